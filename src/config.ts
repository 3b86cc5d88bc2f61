// Configuration is read from the environment once, validated, typed, and passed down.
// Nothing below this file reads process.env.

import { totalmem } from 'node:os';

export interface Config {
  port: number;
  host: string;
  windowMinutes: number;
  maxBodyBytes: number;
  logLevel: LogLevel;
  /** `true` for any origin, else the allowed origins. */
  corsOrigin: true | string[];
  /** Memory budget: POST /spans answers 503 while this many spans are held. */
  maxSpans: number;
  /** POST /spans answers 503 while the event loop lags more than this (0 disables). */
  maxEventLoopLagMs: number;
  /** Log budget: POST /logs answers 503 while this many log lines are held. */
  maxLogs: number;
}

/** Default MAX_LOGS: logs are plain objects on the JS heap (~150 bytes plus text each). */
export const DEFAULT_MAX_LOGS = 200_000;

/**
 * Bytes a span may cost on average when the default budget is derived: the compact store needs
 * about 80 with empty tags (bench/memory.ts); the rest leaves room for tags and request buffers.
 */
export const BUDGET_BYTES_PER_SPAN = 200;

/** Default MAX_SPANS: half of the machine's memory at BUDGET_BYTES_PER_SPAN. */
export function defaultMaxSpans(totalMemoryBytes: number): number {
  return Math.max(100_000, Math.floor(totalMemoryBytes / 2 / BUDGET_BYTES_PER_SPAN));
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A configuration problem; its message is the one line shown at start-up. */
export class ConfigError extends Error {}

/** The trimmed value, or undefined when unset or empty (compose files often write `VAR=`). */
function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  const parsed = Number(raw);
  if (parsed < min || parsed > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${parsed}`);
  return parsed;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, totalMemoryBytes = totalmem()): Config {
  const logLevel = (value(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const host = value(env, 'HOST') ?? '0.0.0.0';
  const cors = value(env, 'CORS_ORIGIN') ?? '*';
  let corsOrigin: true | string[] = true;
  if (cors !== '*') {
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
    maxSpans: integer(env, 'MAX_SPANS', defaultMaxSpans(totalMemoryBytes), 1, 2 ** 40),
    maxEventLoopLagMs: integer(env, 'MAX_EVENT_LOOP_LAG_MS', 250, 0, 60_000),
    maxLogs: integer(env, 'MAX_LOGS', DEFAULT_MAX_LOGS, 1, 2 ** 32),
  };
}
