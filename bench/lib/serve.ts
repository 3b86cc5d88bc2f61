// Bench worker: a collector on a given port with a given store. Messages:
// → {ready: port}; ← {advanceClockMs}; → {advanced}; ← {stallWatch: ms} → {maxStallMs}.

import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { makeStore, OffsetClock, type StoreKind } from './stores.js';

const [kind, portText, mode] = process.argv.slice(2) as [StoreKind, string, string | undefined];
const clock = new OffsetClock();
// Throughput figures measure the collector flat out; the overload figure keeps admission control on.
const config = loadConfig({ PORT: portText, WINDOW_MINUTES: '30', MAX_EVENT_LOOP_LAG_MS: mode === 'admission' ? '250' : '0', MAX_EVENT_LOOP_UTILIZATION: mode === 'admission' ? '90' : '0' });
const store = makeStore(kind, clock, config.windowMinutes);
const { app } = await buildApp({ config, store, logger: false });
await app.listen({ port: config.port, host: '127.0.0.1' });
process.send?.({ ready: config.port });
process.on('message', async (m: { advanceClockMs?: number }) => {
  if (m.advanceClockMs !== undefined) {
    clock.offsetMs += m.advanceClockMs;
    process.send!({ advanced: true });
  }
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
