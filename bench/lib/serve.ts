// Bench worker: a collector on a given port with a given store (and OTLP/gRPC on a second port
// when one is given after the mode). Messages:
// → {ready: port}; ← {advanceClockMs}; → {advanced}; ← {cpu: true} → {cpuMicros} (CPU time used so far).
// `mode` is a comma-separated list of flags. Purely in memory (STORAGE=memory), unless one flag is
// `disk=<DATA_DIR>`: then every batch goes through the ingest log in that directory first, as with
// the shipped defaults.

import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { SegmentLog } from '../../src/ingest-log/segment-log.js';
import { makeStore, OffsetClock, type StoreKind } from './stores.js';

const [kind, portText, modeText, grpcPortText] = process.argv.slice(2) as [StoreKind, string, string | undefined, string | undefined];
const flags = (modeText ?? '').split(',').filter((flag) => flag !== '');
const clock = new OffsetClock();
// The shipped defaults, unless the figure is a context row: 'unshed' turns load shedding off,
// 'refuse-all' sets a budget of one span so that every batch after the first is refused.
const env: Record<string, string> = { PORT: portText, WINDOW_MINUTES: '30' };
if (flags.includes('unshed')) env.INGEST_DELAY_TARGET_MS = '0';
if (flags.includes('refuse-all')) env.MAX_SPANS = '1';
// `target=N`: another INGEST_DELAY_TARGET_MS than the default, to explore the setting.
const target = flags.find((flag) => flag.startsWith('target='));
if (target !== undefined) env.INGEST_DELAY_TARGET_MS = target.slice('target='.length);
const config = loadConfig(env);
const store = makeStore(kind, clock, config.windowMinutes);
const dataDir = flags.find((flag) => flag.startsWith('disk='))?.slice('disk='.length);
const ingestLog = dataDir === undefined ? undefined : new SegmentLog({ dir: dataDir, clock, windowMinutes: config.windowMinutes });
const { app, grpc } = await buildApp({ config, store, logger: false, clock, ingestLog });
await app.listen({ port: config.port, host: '127.0.0.1' });
if (grpcPortText !== undefined) await grpc.listen('127.0.0.1', Number(grpcPortText));
process.send?.({ ready: config.port });
process.on('message', async (m: { advanceClockMs?: number; cpu?: boolean }) => {
  if (m.advanceClockMs !== undefined) {
    clock.offsetMs += m.advanceClockMs;
    process.send!({ advanced: true });
  }
  if (m.cpu) {
    const used = process.cpuUsage();
    process.send!({ cpuMicros: used.user + used.system });
  }
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
