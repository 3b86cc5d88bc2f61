// Restart A/B: the compiled collector of another checkout (`base`, e.g. main) against this one
// (`new`), each started as `npm start` does (node with COLLECTOR_NODE_FLAGS dist/src/main.js, both cores) on a copy of one
// ingest log of emitter traffic (bench/lib/durability-seed.ts), in ABBA order. Per start: time to
// GET /health 200, the replay rate from the collector's own log lines, and the CPU seconds of the
// process and of its main thread (from /proc at 200): with the replay worker, the main thread's
// spans per CPU second is what bounds replay once the second core is free.
//
//   (cd <base> && npx tsc -p tsconfig.build.json); npm run build:server
//   npx tsx bench/restart-ab.ts <base checkout> [spans, default 4000000] [rounds, default 1]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { startWorker } from './lib/child.js';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.js';
const [baseRoot, spansText, roundsText] = process.argv.slice(2);
if (baseRoot === undefined) throw new Error('usage: npx tsx bench/restart-ab.ts <base checkout> [spans] [rounds]');
const spans = Number(spansText ?? 4_000_000);
const rounds = Number(roundsText ?? 1);
const seedDir = mkdtempSync(join(tmpdir(), 'bench-restart-ab-seed-'));
const seeder = startWorker('bench/lib/durability-seed.ts', [seedDir, String(spans), '8750']);
console.log(await seeder.next());
await seeder.stop();
const roots: Record<string, string> = { base: baseRoot, new: process.cwd() };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let nextPort = 23_000 + Math.floor(Math.random() * 1000);

/** utime + stime of a /proc stat line, in seconds. */
function cpuSeconds(statPath: string): number {
  const fields = readFileSync(statPath, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function restart(which: 'base' | 'new'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-restart-ab-'));
  spawnSync('cp', ['-r', `${seedDir}/.`, dir]);
  const port = nextPort++;
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', WINDOW_MINUTES: '30', LOG_LEVEL: 'info', STORAGE: 'disk', DATA_DIR: dir };
  const t0 = performance.now();
  const child = spawn('taskset', ['-c', `0-${cpus().length - 1}`, process.execPath, ...COLLECTOR_NODE_FLAGS, join(roots[which]!, 'dist/src/main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  let healthy = NaN;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      await r.text();
      if (r.status === 200) {
        healthy = performance.now() - t0;
        break;
      }
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  const processCpuS = cpuSeconds(`/proc/${child.pid}/stat`);
  // The main thread's task has the process's id (taskset execs node in place).
  const mainThreadCpuS = cpuSeconds(`/proc/${child.pid}/task/${child.pid}/stat`);
  const lines = out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; time: number; spans: number });
  const started = lines.find((line) => line.msg === 'replaying the ingest log')!;
  const done = lines.find((line) => line.msg === 'replay done')!;
  const replayMs = done.time - started.time;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  console.log(JSON.stringify({ which, healthyS: +(healthy / 1000).toFixed(2), replayS: replayMs / 1000, spansPerSec: Math.round(done.spans / (replayMs / 1000)), processCpuS, mainThreadCpuS, spansPerMainCpuS: Math.round(done.spans / mainThreadCpuS), load }));
}
for (let round = 0; round < rounds; round++) for (const which of round % 2 ? (['new', 'base', 'base', 'new'] as const) : (['base', 'new', 'new', 'base'] as const)) await restart(which);
rmSync(seedDir, { recursive: true, force: true });
