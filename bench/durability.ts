// npm run bench:durability: the shipped defaults (STORAGE=disk: every batch written and
// fdatasync'ed to the ingest log before it is answered) against STORAGE=memory, in one run. The
// collector is pinned to CPU 0, the load to CPU 1; DATA_DIRs are fresh temp directories on the
// machine's disk (os.tmpdir(), not a tmpfs here), removed afterwards.
//
// - Closed loops (each connection sends again as soon as it is answered): goodput, 202s only,
//   at 12- and 108-span batches, disk over memory. Runs go memory, disk, disk, memory, so drift
//   of the machine falls on both sides.
// - POST /spans latency at 10× the emitter's load (8,750 spans/s, open rate, 64 connections).
// - A DATA_DIR holding the ingest log of 10× emitter traffic (bench/lib/durability-seed.ts: the
//   emitter's own traces and batches), replayed by `node --max-semi-space-size=32 dist/src/main.js` (what `npm start` runs,
//   built first with `npm run build:server`) with the defaults, on both cores: time from spawn to GET /health 200, the replay rate (from its own log lines), its
//   peak RSS (VmHWM when replay is done) against the steady state (VmRSS 10 s later), and the
//   bytes on disk per span against the JSON bodies that carried them.
//
//   npm run bench:durability                        16 M spans replayed, 20 s loops
//   npm run bench:durability -- --quick             2 M spans, 8 s loops
//   npm run bench:durability -- --replay-spans=4000000
//   npm run bench:durability -- --restart-only        the replay and restart figures alone
//   npm run bench:durability -- --loops-only          the closed loops and the 10× latency alone

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { BodyTemplate } from './lib/body-template.js';
import { cpuDuring, cpuPerRequest, startCollectorWorker, startWorker, type WorkerProcess } from './lib/child.js';
import { percentile, runRawLoad } from './lib/raw-http-client.js';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.js';

export interface Row {
  figure: string;
  target: string;
  bucket: string;
  reference: string;
}

type Storage = 'disk' | 'memory';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const runId = () => Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'bench-durability-'));
}

async function withServer<T>(storage: Storage, port: number, body: (server: WorkerProcess) => Promise<T>): Promise<T> {
  const dir = storage === 'disk' ? dataDir() : undefined;
  const server = startCollectorWorker(['bucket', String(port), ...(dir === undefined ? [] : [`disk=${dir}`])], { cpu: 0 });
  await server.next();
  try {
    return await body(server);
  } finally {
    await server.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

async function closedLoop(storage: Storage, port: number, spansPerBody: number, connections: number, ms: number) {
  return withServer(storage, port, async (server) => {
    const template = new BodyTemplate(runId(), spansPerBody, true, BigInt(Date.now()) * 1_000_000n);
    const load = (durationMs: number) => runRawLoad({ host: '127.0.0.1', port, connections, durationMs, path: '/spans', nextBody: () => template.next() });
    await load(3000);
    const { result: r, cpuMicros } = await cpuDuring(server, () => load(ms));
    const accepted = r.byStatus[202] ?? 0;
    return {
      spans: template.spans,
      spansPerSec: (accepted * template.spans) / (r.elapsedMs / 1000),
      statuses: r.byStatus,
      // Every thread counts: the syncs run on libuv's pool.
      ...cpuPerRequest(cpuMicros, accepted, r.elapsedMs),
    };
  });
}

async function latencyAt10x(storage: Storage, port: number, ms: number) {
  return withServer(storage, port, async () => {
    const template = new BodyTemplate(runId(), 10, true, BigInt(Date.now()) * 1_000_000n);
    const ratePerSec = 8750 / template.spans;
    const run = (durationMs: number) => runRawLoad({ host: '127.0.0.1', port, connections: 64, durationMs, ratePerSec, path: '/spans', nextBody: () => template.next() });
    await run(3000);
    const r = await run(ms);
    const lat = r.latenciesMs.sort();
    return { requests: r.requests, accepted: r.byStatus[202] ?? 0, p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), maxMs: lat[lat.length - 1] ?? NaN };
  });
}

function procStatusKib(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Number(match[1]);
}

async function restartFigure(port: number, spans: number) {
  const dir = dataDir();
  try {
    process.stderr.write(`bench: durability: writing the ingest log of ${fmt(spans)} emitter spans…\n`);
    const seeder = startWorker('bench/lib/durability-seed.ts', [dir, String(spans), '8750'], { cpu: 0 });
    const seed = await seeder.next<{ spans: number; batches: number; logBytes: number; jsonBytes: number; minutes: number; seedSeconds: number }>();
    await seeder.stop();
    // As users start it: `npm start` builds dist/ and runs `node <COLLECTOR_NODE_FLAGS> dist/src/main.js`.
    process.stderr.write(`bench: durability: npm run build:server, then restarting on it…\n`);
    const build = spawnSync('npm', ['run', 'build:server'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) throw new Error('npm run build:server failed');
    const argv = [...COLLECTOR_NODE_FLAGS, 'dist/src/main.js'];
    const env = { ...process.env, PORT: String(port), OTLP_GRPC_PORT: '0', HOST: '127.0.0.1', WINDOW_MINUTES: '30', LOG_LEVEL: 'info', STORAGE: 'disk', DATA_DIR: dir };
    const spawnedAt = performance.now();
    // On every core: nothing else of the bench runs meanwhile, and replay reads and decodes in a
    // worker thread beside the main one (pinning is inherited, so it is set explicitly).
    const allCpus = `0-${cpus().length - 1}`;
    const child = hasTaskset ? spawn('taskset', ['-c', allCpus, process.execPath, ...argv], { env, stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const logLine = (msg: string) =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.msg === msg);
    let healthyAfterMs = NaN;
    let peakKib = NaN;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the collector exited (${child.exitCode}):\n${out}`);
      const done = logLine('replay done');
      if (done !== undefined && Number.isNaN(peakKib)) peakKib = procStatusKib(child.pid!, 'VmHWM');
      try {
        const res = await request(`http://127.0.0.1:${port}/health`);
        await res.body.text();
        if (res.statusCode === 200) {
          healthyAfterMs = performance.now() - spawnedAt;
          if (Number.isNaN(peakKib)) peakKib = procStatusKib(child.pid!, 'VmHWM');
          break;
        }
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    await sleep(10_000);
    const steadyKib = procStatusKib(child.pid!, 'VmRSS');
    const started = logLine('replaying the ingest log')!;
    const done = logLine('replay done')!;
    const replayMs = Number(done.time) - Number(started.time);
    const stats = (await (await request(`http://127.0.0.1:${port}/stats`)).body.json()) as Record<string, unknown>;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    return {
      seed,
      replayedSpans: Number(done.spans),
      replayMs,
      replaySpansPerSec: Number(done.spans) / (replayMs / 1000),
      corruptRecords: Number(done.corruptRecords),
      healthyAfterMs,
      peakRssMib: peakKib / 1024,
      steadyRssMib: steadyKib / 1024,
      storeStats: stats,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(options: { quick: boolean; port: () => number; replaySpans?: number; restartOnly?: boolean; loopsOnly?: boolean }): Promise<{ rows: Row[]; json: Record<string, unknown> }> {
  const loopMs = options.quick ? 8000 : 20_000;
  const rows: Row[] = [];
  const json: Record<string, unknown> = {};
  if (!options.restartOnly) await loopFigures(options, loopMs, rows, json);
  if (options.loopsOnly) return { rows, json };
  const restart = await restartFigure(options.port(), options.replaySpans ?? (options.quick ? 2_000_000 : 16_000_000));
  json.restart = restart;
  rows.push({
    figure: `replay of ${fmt(restart.replayedSpans)} spans (${fmt(restart.seed.minutes, 1)} min of 10× emitter load)`,
    target: '≥ 1 M spans/s; peak RSS ≤ 1.2 × steady',
    bucket: `**${fmt(restart.replaySpansPerSec)} spans/s** (${fmt(restart.replayMs / 1000, 1)} s); peak RSS ${fmt(restart.peakRssMib)} MiB vs ${fmt(restart.steadyRssMib)} MiB steady: **${fmt(restart.peakRssMib / restart.steadyRssMib, 2)}×**`,
    reference: '—',
  });
  rows.push({
    figure: 'bytes on disk per emitter-shaped span (10–14-span batches)',
    target: '≤ 120 B',
    bucket: `**${fmt(restart.seed.logBytes / restart.seed.spans, 1)} B** (the JSON bodies: ${fmt(restart.seed.jsonBytes / restart.seed.spans, 1)} B)`,
    reference: '—',
  });
  rows.push({
    figure: `restart to 200 on /health with ${fmt(restart.replayedSpans)} spans (spawn of node ${COLLECTOR_NODE_FLAGS.join(' ')} dist/src/main.js, as npm start)`,
    target: '< 20 s',
    bucket: `**${fmt(restart.healthyAfterMs / 1000, 1)} s**`,
    reference: '—',
  });
  return { rows, json };
}

async function loopFigures(options: { quick: boolean; port: () => number }, loopMs: number, rows: Row[], json: Record<string, unknown>): Promise<void> {
  for (const [spansPerBody, connections] of [
    [12, 32],
    [108, 16],
  ] as const) {
    process.stderr.write(`bench: durability: closed loops, ${spansPerBody}-span batches…\n`);
    const runs: Record<Storage, number[]> = { disk: [], memory: [] };
    const cpu: Record<Storage, number[]> = { disk: [], memory: [] };
    const busy: Record<Storage, number[]> = { disk: [], memory: [] };
    let spans = 0;
    for (const storage of ['memory', 'disk', 'disk', 'memory'] as const) {
      const r = await closedLoop(storage, options.port(), spansPerBody, connections, loopMs);
      runs[storage].push(r.spansPerSec);
      cpu[storage].push(r.cpuMicrosPerRequest);
      busy[storage].push(r.busyShare);
      spans = r.spans;
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratio = mean(runs.disk) / mean(runs.memory);
    json[`goodput_${spansPerBody}`] = { spansPerBody: spans, connections, runs, ratio, cpuMicrosPerRequest: cpu, busyShare: busy };
    rows.push({
      figure: `closed-loop ingest goodput, ${spans}-span batches, ${connections} connections, ${loopMs / 1000} s × 2 each`,
      target: 'disk ≥ 90% of memory',
      bucket: `disk ${fmt(mean(runs.disk))} spans/s vs memory ${fmt(mean(runs.memory))} spans/s: **${fmt(ratio * 100, 1)}%**`,
      reference: '—',
    });
    rows.push({
      figure: `context: the collector's CPU per accepted request (all threads), and its core's busy share, same runs`,
      target: '—',
      bucket: `disk ${fmt(mean(cpu.disk), 1)} µs (busy ${fmt(mean(busy.disk), 2)}) vs memory ${fmt(mean(cpu.memory), 1)} µs (busy ${fmt(mean(busy.memory), 2)}): ${fmt(mean(cpu.disk) / mean(cpu.memory), 2)}×`,
      reference: '—',
    });
  }
  process.stderr.write('bench: durability: POST /spans at 10× the emitter…\n');
  const latency = { disk: await latencyAt10x('disk', options.port(), options.quick ? 10_000 : 30_000), memory: await latencyAt10x('memory', options.port(), options.quick ? 10_000 : 30_000) };
  json.latency_10x = latency;
  rows.push({
    figure: 'POST /spans latency at 10× the emitter load (8,750 spans/s)',
    target: 'p99 < 10 ms (disk)',
    bucket: `disk p50 ${fmt(latency.disk.p50Ms, 2)} / **p99 ${fmt(latency.disk.p99Ms, 2)}** / max ${fmt(latency.disk.maxMs, 1)} ms; memory p50 ${fmt(latency.memory.p50Ms, 2)} / p99 ${fmt(latency.memory.p99Ms, 2)} ms`,
    reference: '—',
  });
}
