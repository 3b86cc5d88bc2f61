// Garbage collection in a collector under a closed loop, with the Node flags it ships with
// (src/node-flags.ts) against without them, interleaved: goodput, and the collector's GC pauses
// as its own PerformanceObserver saw them (scavenges, mark-compacts, incremental marking steps):
// how many, the median and longest, and the share of the measured run spent in them. The
// collector writes ahead to a fresh DATA_DIR, as the defaults do, pinned to CPU 0 as the other
// benches pin it.
//
//   npx tsx bench/gc-pauses.ts [--spans=12] [--connections=256] [--ms=10000] [--rounds=2]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.js';
import { BodyTemplate } from './lib/body-template.js';
import { startCollectorWorker, startWorker, type WorkerProcess } from './lib/child.js';
import { numberOption } from './lib/options.js';
import { runRawLoad } from './lib/raw-http-client.js';
import type { GcPause } from './lib/serve.js';

const args = process.argv.slice(2);
const spans = numberOption(args, 'spans', 12);
const connections = numberOption(args, 'connections', 256);
const ms = numberOption(args, 'ms', 10_000);
const rounds = numberOption(args, 'rounds', 2);
const port = 18000 + Math.floor(Math.random() * 1000);

async function run(withFlags: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'gc-pauses-'));
  const serveArgs = ['bucket', String(port), `disk=${dir}`];
  const server: WorkerProcess = withFlags ? startCollectorWorker(serveArgs, { cpu: 0 }) : startWorker('bench/lib/serve.ts', serveArgs, { cpu: 0 });
  try {
    await server.next();
    // BodyTemplate's 10-span shape holds 12 spans a body (the emitter's 10–14).
    const template = new BodyTemplate(Math.random().toString(16).slice(2, 10), spans === 12 ? 10 : spans, true, BigInt(Date.now()) * 1_000_000n);
    const load = (durationMs: number) => runRawLoad({ host: '127.0.0.1', port, connections, durationMs, path: '/spans', nextBody: () => template.next() });
    await load(3000);
    server.send({ gc: 'start' });
    const r = await load(ms);
    server.send({ gc: 'stop' });
    const { gcPauses } = await server.next<{ gcPauses: GcPause[] }>();
    return { spansPerSec: ((r.byStatus[202] ?? 0) * template.spans) / (r.elapsedMs / 1000), pauses: gcPauses, elapsedMs: r.elapsedMs };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
function describe(pauses: GcPause[], kind: GcPause['kind']): string {
  const of = pauses.filter((p) => p.kind === kind).map((p) => p.ms).sort((a, b) => a - b);
  if (of.length === 0) return `${kind} none`;
  return `${kind} ${of.length} (median ${fmt(of[Math.floor(of.length / 2)]!)} ms, longest ${fmt(of.at(-1)!)} ms)`;
}

console.log(`gc-pauses: ${spans}-span batches, ${connections} connections, ${ms / 1000} s a run; shipped flags: ${COLLECTOR_NODE_FLAGS.join(' ')}`);
for (let round = 0; round < rounds; round++) {
  for (const withFlags of round % 2 === 0 ? [true, false] : [false, true]) {
    const { spansPerSec, pauses, elapsedMs } = await run(withFlags);
    const pausedMs = pauses.reduce((a, p) => a + p.ms, 0);
    console.log(`${(withFlags ? 'shipped flags' : 'no flags').padEnd(13)} ${fmt(spansPerSec, 0)} spans/s; ${describe(pauses, 'scavenge')}; ${describe(pauses, 'mark-compact')}; ${describe(pauses, 'incremental')}; paused ${fmt((pausedMs / elapsedMs) * 100)}% of the run`);
  }
}
