// Worker of ab-parse-apply.ts: in one process, the POST /spans fast parser and the bucket store's
// apply of another checkout (argv[2]), each timed alone in CPU time over pre-built bodies (this
// checkout's BodyTemplate). Prints one JSON line: the lowest CPU ns a span of each, over reps
// after two of warm-up.

import { existsSync } from 'node:fs';
import { cpuUsage } from 'node:process';
import { BodyTemplate } from './body-template.js';

const [checkout, spansText, repsText] = process.argv.slice(2) as [string, string, string];
const spansPerBody = Number(spansText);
const reps = Number(repsText);
const { parseSpanBatchFast } = await import(`${checkout}/src/ingest/span-batch-fast.ts`);
// Before the store split (04bfb94) the store was store/compact/bucket-store.ts, with ingestBatch().
const beforeSplit = existsSync(`${checkout}/src/store/compact/bucket-store.ts`);
const { BucketStore } = await import(`${checkout}/src/store/${beforeSplit ? 'compact' : 'buckets'}/bucket-store.ts`);
const clock = { nowMs: () => Date.now() };
const SPANS_A_REP = 200_000;

const cpuNs = (work: () => void): number => {
  const before = cpuUsage();
  work();
  const used = cpuUsage(before);
  return (used.user + used.system) * 1000;
};
let parseBest = Infinity;
let applyBest = Infinity;
for (let rep = 0; rep < reps; rep++) {
  const template = new BodyTemplate(Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0'), spansPerBody, true, BigInt(Date.now()) * 1_000_000n);
  const bodies: Buffer[] = [];
  for (let n = 0; n < SPANS_A_REP; n += template.spans) bodies.push(template.next());
  const spans = bodies.length * template.spans;
  // Parsing alone: each batch given back at once, as the route does after the store.
  const parseNs = cpuNs(() => {
    for (const body of bodies) parseSpanBatchFast(body).release();
  });
  // Applying alone: every body parsed beforehand, into a fresh store.
  const batches = bodies.map((body) => parseSpanBatchFast(body));
  const store = new BucketStore({ clock, windowMinutes: 30 });
  const applyNs = cpuNs(() => {
    if (beforeSplit) for (const batch of batches) store.ingestBatch(batch);
    else for (const batch of batches) store.apply(batch);
  });
  if (store.stats().spans !== spans) throw new Error(`the store holds ${store.stats().spans} of ${spans} spans`);
  if (rep < 2) continue;
  parseBest = Math.min(parseBest, parseNs / spans);
  applyBest = Math.min(applyBest, applyNs / spans);
}
console.log(JSON.stringify({ parseNsPerSpan: parseBest, applyNsPerSpan: applyBest }));
