// Configuration is read from the environment once, validated, typed, and passed down.
// Nothing below this file reads process.env.

export interface Config {
  port: number;
  host: string;
  windowMinutes: number;
  maxBodyBytes: number;
  logLevel: LogLevel;
  /** `true` for any origin, else the allowed origins. */
  corsOrigin: true | string[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A configuration problem; its message is the one line shown at start-up. */
export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${value}`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const host = (env.HOST ?? '0.0.0.0').trim();
  if (host === '') throw new ConfigError('HOST must not be empty');
  const cors = (env.CORS_ORIGIN ?? '*').trim();
  let corsOrigin: true | string[] = true;
  if (cors !== '*' && cors !== '') {
    corsOrigin = cors.split(',').map((o) => o.trim());
    for (const origin of corsOrigin) {
      if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
        throw new ConfigError(`CORS_ORIGIN must be * or a comma-separated list of origins like http://localhost:8081, got "${origin}"`);
      }
    }
  }
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host,
    // Up to a week: the ring of minute buckets is sized by the window.
    windowMinutes: integer(env, 'WINDOW_MINUTES', 30, 1, 10_080),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    logLevel: logLevel as LogLevel,
    corsOrigin,
  };
}
