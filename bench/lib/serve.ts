// Bench worker: a collector on a given port with a given store (and OTLP/gRPC on a second port
// when one is given after the mode). Messages:
// → {ready: port}; ← {advanceClockMs}; → {advanced}; ← {cpu: true} → {cpuMicros} (CPU time used so far);
// ← {gc: 'start'}, then ← {gc: 'stop'} → {gcPauses} (the garbage collector's pauses in between).
// `mode` is a comma-separated list of flags. Purely in memory (STORAGE=memory), unless one flag is
// `disk=<DATA_DIR>`: then every batch goes through the ingest log in that directory first, as with
// the shipped defaults.

import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
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
/** One pause of the garbage collector, as the process's PerformanceObserver reports it. */
export interface GcPause {
  kind: 'scavenge' | 'mark-compact' | 'incremental' | 'weak callbacks' | 'other';
  ms: number;
}
const GC_KINDS = new Map<number, GcPause['kind']>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'scavenge'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'mark-compact'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weak callbacks'],
]);
let gcPauses: GcPause[] = [];
const recordGc = (entries: PerformanceEntry[]) => {
  for (const entry of entries) gcPauses.push({ kind: GC_KINDS.get((entry as unknown as { detail: { kind: number } }).detail.kind) ?? 'other', ms: entry.duration });
};
const gcObserver = new PerformanceObserver((list) => recordGc(list.getEntries()));

process.on('message', async (m: { advanceClockMs?: number; cpu?: boolean; gc?: 'start' | 'stop' }) => {
  if (m.gc === 'start') {
    gcPauses = [];
    gcObserver.observe({ entryTypes: ['gc'] });
  }
  if (m.gc === 'stop') {
    recordGc(gcObserver.takeRecords());
    gcObserver.disconnect();
    process.send!({ gcPauses });
  }
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
