// `npm run demo` (tsx demo/main.ts): options, start-up banner, summary, Ctrl-C.
//
//   npm run demo                     run until Ctrl-C; collector on :8080 (or PORT)
//   npm run demo -- --duration 20s   run 20 seconds, print a summary, exit
//   npm run demo -- --interval 100   pause between requests, in ms (default 400)
//   npm run demo -- --quiet          one line per request instead of trace trees

import { ConfigError, loadConfig } from '../src/config.js';
import { SCENARIOS, startDemo, type Demo } from './demo.js';

export interface DemoArgs {
  durationMs: number | undefined;
  intervalMs: number;
  quiet: boolean;
}

/** "20s", "1.5m", "500ms", "90" (seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw new Error(`--duration takes a time like 20s, 2m or 500ms, got "${text}"`);
  const value = Number(m[1]);
  return Math.round(m[2] === 'ms' ? value : m[2] === 'm' ? value * 60_000 : value * 1000);
}

export function parseArgs(argv: readonly string[]): DemoArgs {
  const args: DemoArgs = { durationMs: undefined, intervalMs: 400, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    if (name === '--duration') args.durationMs = parseDuration(value());
    else if (name === '--interval') {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`--interval takes milliseconds, got "${v}"`);
      args.intervalMs = Number(v);
    } else if (name === '--quiet') args.quiet = true;
    else throw new Error(`unknown option ${arg} (options: --duration 20s, --interval 400, --quiet)`);
  }
  return args;
}

function summary(demo: Demo): string {
  const byScenario = new Map<string, number[]>();
  for (const r of demo.requests) {
    const statuses = byScenario.get(r.scenario.name) ?? [];
    statuses.push(r.status);
    byScenario.set(r.scenario.name, statuses);
  }
  let out = `\n${demo.requests.length} requests:\n`;
  for (const [name, statuses] of byScenario) {
    const counts = new Map<number, number>();
    for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
    out += `  ${name.padEnd(14)} ${[...counts].map(([s, n]) => `${n}× ${s}`).join(', ')}\n`;
  }
  return out;
}

export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let args: DemoArgs;
  let config;
  try {
    args = parseArgs(argv);
    config = loadConfig({ LOG_LEVEL: 'warn', ...env, PORT: env.PORT ?? '8080' });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof Error) {
      process.stderr.write(`demo: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  let demo: Demo;
  try {
    demo = await startDemo({ config, intervalMs: args.intervalMs, printTrees: !args.quiet });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `demo: port ${config.port} is in use; set PORT to another port (PORT=0 picks a free one)\n`
        : `demo: could not start: ${(error as Error).message}\n`,
    );
    return 1;
  }
  const port = new URL(demo.collectorUrl).port;
  process.stdout.write(
    `traced demo\n` +
      `  collector  http://localhost:${port}   (dashboard at /, API docs at /docs)\n` +
      `  gateway    ${demo.services.gateway}   our SDK, Fastify\n` +
      `  checkout   ${demo.services.checkout}   OpenTelemetry SDK → OTLP/protobuf → /v1/traces\n` +
      `  inventory  ${demo.services.inventory}   our SDK, Fastify (slow path: bulky-sofa)\n` +
      `  payment    ${demo.services.payment}   our SDK, plain http (declined and crashing cards)\n` +
      `  requests cycle through: ${[...new Set(SCENARIOS.map((s) => s.name))].join(', ')}\n` +
      (args.durationMs === undefined ? '  Ctrl-C to stop.\n' : `  running for ${args.durationMs / 1000} s.\n`),
  );

  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (args.durationMs !== undefined) timer = setTimeout(stop, args.durationMs);
  });

  process.stdout.write('\nstopping: flushing spans and logs…\n');
  await demo.stopLoad();
  process.stdout.write(summary(demo));
  const total = (JSON.parse(await (await fetch(`${demo.collectorUrl}/traces?limit=0`)).text()) as { total: number }).total;
  process.stdout.write(`  the collector held ${total} traces at http://localhost:${port} until now.\n`);
  await demo.close();
  return 0;
}
