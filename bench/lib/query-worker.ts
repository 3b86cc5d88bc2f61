// Bench worker: a collector whose store is preloaded with N traces, then serves queries.
import { buildApp } from '../../src/app.js';
import { traceDetailJson, traceListJson } from '../../src/http/trace-json.js';
import { loadConfig } from '../../src/config.js';
import { preload, traceIdOf } from './preload.js';
import { makeStore, OffsetClock, type StoreKind } from './stores.js';

const [kind, tracesText, portText] = process.argv.slice(2) as [StoreKind, string, string];
const traces = Number(tracesText);
const clock = new OffsetClock();
const config = loadConfig({ PORT: portText, WINDOW_MINUTES: '30', MAX_EVENT_LOOP_LAG_MS: '0', MAX_SPANS: String(2 ** 40) });
const store = makeStore(kind, clock, 30);
const now = BigInt(Date.now()) * 1_000_000n;
const fromNs = now - 29n * 60_000_000_000n;
const spans = await preload(store, { traces, fromNs, toNs: now, withTags: true });
const { app } = await buildApp({ config, store, logger: false });
await app.listen({ port: config.port, host: '127.0.0.1' });
// Sample ids from the newest 80% of the window: the reference store's listings take minutes at
// scale, long enough for the oldest minute to leave the window before the lookups run.
const newest = Math.floor(traces * 0.8);
const sampleIds = Array.from({ length: 2000 }, (_, i) => traceIdOf(0xbe0c, traces - newest + ((i * 2654435761) % newest)));
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
