// Interleaved A/B, in-process, of the two halves of span ingest between another checkout and this
// one: the POST /spans fast parser alone and the bucket store's apply alone, in CPU time per span
// (lib/parse-apply-worker.ts), base, head, head, base… as ab-ingest.ts does for the whole server.
// No HTTP, so far less noise on a shared VM than goodput; it says which half moved.
//
//   npx tsx bench/ab-parse-apply.ts --base=<checkout> [--head=<checkout>] [--spans=100] [--rounds=3] [--reps=6]

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const base = option('base');
if (base === undefined) throw new Error('--base=<checkout of the revision to compare with> is required');
const head = option('head') ?? process.cwd();
const spans = option('spans') ?? '100';
const rounds = Number(option('rounds') ?? 3);
const reps = option('reps') ?? '6';
const worker = resolve('bench/lib/parse-apply-worker.ts');

type Figures = { parseNsPerSpan: number; applyNsPerSpan: number };
const runs: Record<'base' | 'head', Figures[]> = { base: [], head: [] };
for (let round = 0; round < rounds; round++) {
  for (const side of round % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
    const checkout = resolve(side === 'base' ? base : head);
    // From the checkout, so that its own tsx and dependencies load its sources.
    const run = spawnSync(process.execPath, ['--import', 'tsx', worker, checkout, spans, reps], { cwd: checkout, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${side}: ${run.stderr}`);
    const figures = JSON.parse(run.stdout.trim().split('\n').pop()!) as Figures;
    runs[side].push(figures);
    console.log(`round ${round + 1}, ${side}: parse ${figures.parseNsPerSpan.toFixed(0)} ns a span, apply ${figures.applyNsPerSpan.toFixed(0)} ns a span (CPU)`);
  }
}
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
for (const part of ['parseNsPerSpan', 'applyNsPerSpan'] as const) {
  const b = median(runs.base.map((r) => r[part]));
  const h = median(runs.head.map((r) => r[part]));
  console.log(`${part === 'parseNsPerSpan' ? 'parse' : 'apply'}, ${spans}-span batches: base ${b.toFixed(0)}, head ${h.toFixed(0)} ns a span (medians); base / head ${(b / h).toFixed(3)}`);
}
