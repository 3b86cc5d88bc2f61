// Bench worker: a collector whose store is preloaded with N traces, then serves queries.
import { buildApp } from '../../src/app.js';
import { traceDetailJson, traceListJson } from '../../src/http/trace-json.js';
import { loadConfig } from '../../src/config.js';
import { preload, traceIdOf } from './preload.js';
import { ManualClock } from '../../src/time/clock.js';
import { makeStore, type StoreKind } from './stores.js';

const [kind, tracesText, portText] = process.argv.slice(2) as [StoreKind, string, string];
const traces = Number(tracesText);
// Time stands still here: the figures measure queries, and a window that moves during a
// minutes-long reference run would make `total` drift and the oldest traces vanish.
const startMs = Date.now();
const clock = new ManualClock(startMs);
const config = loadConfig({ PORT: portText, WINDOW_MINUTES: '30', MAX_SPANS: String(2 ** 40) });
const store = makeStore(kind, clock, 30);
const now = BigInt(startMs) * 1_000_000n;
const fromNs = now - 29n * 60_000_000_000n;
const spans = await preload(store, { traces, fromNs, toNs: now, withTags: true });
const { app } = await buildApp({ config, store, logger: false });
await app.listen({ port: config.port, host: '127.0.0.1' });
const sampleIds = Array.from({ length: 2000 }, (_, i) => traceIdOf(0xbe0c, Math.floor((i * 2654435761) % traces)));
process.send!({ ready: true, spans, traces, fromNs: fromNs.toString(), toNs: now.toString(), sampleIds });
// The same queries in-process, after the HTTP figures: what the store and the JSON writer cost
// without sockets, so the table can tell server work from the machine's request floor.
process.on('message', async (m: { inProcess?: number }) => {
  if (m.inProcess === undefined) return;
  const list: number[] = [];
  const byId: number[] = [];
  for (let i = 0; i < m.inProcess; i++) {
    const t = performance.now();
    traceListJson(await store.listTraces({ limit: 1000 }));
    list.push(performance.now() - t);
  }
  for (const id of sampleIds) {
    const t = performance.now();
    traceDetailJson((await store.getTrace(id))!);
    byId.push(performance.now() - t);
  }
  process.send!({ list, byId });
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
