// Bench worker: a collector holding one minute bucket of N spans at the old edge of the window.
// On {evict} the clock moves a minute so that the bucket leaves the window; the worker reports
// the longest event-loop stall (a 1 ms timer's lateness) from then until the spans are gone.
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { preload } from './preload.js';
import { makeStore, OffsetClock, type StoreKind } from './stores.js';

const [kind, spansText, portText] = process.argv.slice(2) as [StoreKind, string, string];
const clock = new OffsetClock();
const config = loadConfig({ PORT: portText, WINDOW_MINUTES: '30', MAX_SPANS: String(2 ** 40) });
const store = makeStore(kind, clock, 30);
// All of them inside one minute: the oldest whole minute still in the window.
const nowMs = Date.now();
const minuteStartMs = Math.floor((nowMs - 29.5 * 60_000) / 60_000) * 60_000 + 60_000;
const fromNs = BigInt(minuteStartMs) * 1_000_000n;
const spans = await preload(store, { traces: Math.round(Number(spansText) / 3.5), fromNs, toNs: fromNs + 50_000_000_000n });
const { app, metrics } = await buildApp({ config, store, logger: false, evictionIntervalMs: 250 });
const evictedSoFar = async (): Promise<number> => (await metrics.spansEvicted.get()).values[0]?.value ?? 0;
await app.listen({ port: config.port, host: '127.0.0.1' });
process.send!({ ready: true, spans, bucketStartMs: minuteStartMs });

/** Longest lateness of a 1 ms timer while `during` runs. */
async function longestStall(during: () => Promise<void>): Promise<number> {
  let maxStallMs = 0;
  let last = performance.now();
  const watch = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last - 1);
    last = now;
  }, 1);
  await during();
  clearInterval(watch);
  return maxStallMs;
}

process.on('message', async (m: { evict?: boolean }) => {
  if (!m.evict) return;
  // The same load without eviction, for comparison: request handling alone stalls a little.
  const baselineStallMs = await longestStall(() => new Promise((r) => setTimeout(r, 2000)));
  let evictMs = 0;
  const maxStallMs = await longestStall(async () => {
  const before = await evictedSoFar();
  // Move the clock so the bucket's minute is wholly before the window edge.
  clock.offsetMs = minuteStartMs + 60_000 + 30 * 60_000 + 1000 - Date.now();
  const started = performance.now();
  // The load keeps adding spans, so watch the eviction counter rather than the spans held.
  while ((await evictedSoFar()) < before + spans) await new Promise((r) => setTimeout(r, 5));
  evictMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 200));
  });
  process.send!({ maxStallMs, baselineStallMs, evictMs, evicted: spans });
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
