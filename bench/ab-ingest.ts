// Interleaved A/B of the ingest figures (bench:ingest's two loads, production store, shipped
// defaults) between another checkout of this repository and this one: base, head, head, base…,
// so that the drift of a shared VM over minutes falls on both sides alike. For refactors that
// must not cost speed.
//
//   git worktree add /tmp/base <rev> && (cd /tmp/base && npm ci)
//   npx tsx bench/ab-ingest.ts --base=/tmp/base [--head=<another checkout>] [--rounds=2] [--duration=20s] [--spans=N]
//
// Each server runs from its own checkout (its bench/lib/serve.ts), pinned to CPU 0; the load
// comes from this checkout's client, pinned to CPU 1. Prints one line per run, then the medians
// and head / base per load, of goodput and of the server's CPU time per stored span.

import { cpuDuring, pinSelf, startCollectorWorker } from './lib/child.js';
import { BodyTemplate } from './lib/body-template.js';
import { runRawLoad } from './lib/raw-http-client.js';

const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const base = option('base');
if (base === undefined) throw new Error('--base=<checkout of the revision to compare with> is required');
const rounds = Number(option('rounds') ?? 2);
const durationMs = Number((option('duration') ?? '20s').replace(/s$/, '')) * 1000;
// The checkout compared with the base: this one unless --head names another.
const here = process.cwd();
const head = option('head') ?? here;
// --spans=N measures N-span batches alone (bench:ingest's loads are 12 × 32 and 108 × 16):
// 32 connections below 50 spans a batch, 16 from there.
const spansOption = option('spans');
const loads =
  spansOption === undefined
    ? [
        { spans: 10, connections: 32 },
        { spans: 100, connections: 16 },
      ]
    : [{ spans: Number(spansOption), connections: Number(spansOption) < 50 ? 32 : 16 }];
const loadName = (l: { spans: number; connections: number }) => `${l.spans}-span batches × ${l.connections} connections`;
let nextPort = 19000 + Math.floor(Math.random() * 500);

/**
 * Goodput, and the server's CPU time per stored span over the same run (from its process's
 * cpuUsage): on a VM shared with other work, goodput follows whoever else is running, while CPU
 * per span moves far less, so both are printed.
 */
async function measure(checkout: string, spans: number, connections: number): Promise<{ spansPerSec: number; cpuNsPerSpan: number }> {
  const port = nextPort++;
  const server = startCollectorWorker(['bucket', String(port)], { cpu: 0, cwd: checkout });
  await server.next();
  const template = new BodyTemplate(Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0'), spans, true, BigInt(Date.now()) * 1_000_000n);
  const load = (ms: number) => runRawLoad({ host: '127.0.0.1', port, connections, durationMs: ms, path: '/spans', nextBody: () => template.next() });
  await load(3000);
  const { result: r, cpuMicros } = await cpuDuring(server, () => load(durationMs));
  await server.stop();
  const stored = (r.byStatus[202] ?? 0) * template.spans;
  return { spansPerSec: stored / (r.elapsedMs / 1000), cpuNsPerSpan: (cpuMicros * 1000) / stored };
}

pinSelf(1);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2 : (sorted[Math.floor(mid)] ?? NaN);
};
for (const l of loads) {
  const figures: Record<'base' | 'head', number[]> = { base: [], head: [] };
  const cpu: Record<'base' | 'head', number[]> = { base: [], head: [] };
  for (let round = 0; round < rounds; round++) {
    // ABBA: the side that runs first alternates, so a VM that slows over a round (thermal or
    // CPU-credit throttling) does not always penalise the same side.
    for (const side of round % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
      const value = await measure(side === 'base' ? base : head, l.spans, l.connections);
      figures[side].push(value.spansPerSec);
      cpu[side].push(value.cpuNsPerSpan);
      console.log(`${loadName(l)}, round ${round + 1}, ${side}: ${Math.round(value.spansPerSec).toLocaleString('en-US')} spans/s, server CPU ${Math.round(value.cpuNsPerSpan)} ns a span`);
    }
  }
  const b = median(figures.base);
  const h = median(figures.head);
  console.log(`${loadName(l)}: base ${Math.round(b).toLocaleString('en-US')}, head ${Math.round(h).toLocaleString('en-US')} spans/s (medians); head / base ${(h / b).toFixed(3)}`);
  const cb = median(cpu.base);
  const ch = median(cpu.head);
  // Inverted so that, like goodput, above 1 means head is faster.
  console.log(`${loadName(l)}: server CPU a span, base ${Math.round(cb)} ns, head ${Math.round(ch)} ns (medians); base / head ${(cb / ch).toFixed(3)}`);
}
