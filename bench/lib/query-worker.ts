// Bench worker: a collector whose store is preloaded with N traces, then serves queries.
import { buildApp } from '../../src/app.js';
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
const sampleIds = Array.from({ length: 2000 }, (_, i) => traceIdOf(0xbe0c, Math.floor((i * 2654435761) % traces)));
process.send!({ ready: true, spans, traces, fromNs: fromNs.toString(), toNs: now.toString(), sampleIds });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
