// Bench worker (run with --expose-gc): RSS growth per span held, after full garbage collection.
import { preload } from './preload.js';
import { makeStore, OffsetClock, type StoreKind } from './stores.js';

const [kind, spansText] = process.argv.slice(2) as [StoreKind, string];
const targetSpans = Number(spansText);
const gc = (globalThis as { gc?: () => void }).gc!;
const settle = (): void => {
  for (let i = 0; i < 3; i++) gc();
};

const clock = new OffsetClock();
const store = makeStore(kind, clock, 30);
settle();
const before = process.memoryUsage();
const now = BigInt(Date.now()) * 1_000_000n;
const started = performance.now();
// Emitter shape (2–5 spans a trace, 3.5 on average), empty tags, spread over 29 minutes.
const spans = await preload(store, { traces: Math.round(targetSpans / 3.5), fromNs: now - 29n * 60_000_000_000n, toNs: now });
const ingestSec = (performance.now() - started) / 1000;
settle();
const after = process.memoryUsage();
const stats = await store.stats();
process.send!({
  spans,
  heldSpans: stats.spans,
  traces: stats.traces,
  rssBytes: after.rss,
  bytesPerSpan: (after.rss - before.rss) / spans,
  heapUsedBytes: after.heapUsed,
  arrayBufferBytes: after.arrayBuffers,
  ingestSpansPerSec: spans / ingestSec,
});
