// What one fanned-out 1000-trace page costs in-process, step by step, on each side: the peer's
// listing and encoding, the asking node's UTF-8 check, parse and validation, and the public
// writer for comparison. Means over repeated runs after a warm-up.
//
//   npx tsx bench/fanout-wire-cost.ts [--traces=100000]
import { isUtf8 } from 'node:buffer';
import { decodeTraceList, encodeTraceList } from '../src/cluster/peer-wire.js';
import { traceListJson } from '../src/http/trace-json.js';
import { BucketStore } from '../src/store/buckets/bucket-store.js';
import { ManualClock } from '../src/time/clock.js';
import { preload } from './lib/preload.js';

const traces = Number(process.argv.find((a) => a.startsWith('--traces='))?.split('=')[1] ?? 100_000);
const nowMs = Date.now();
const store = new BucketStore({ clock: new ManualClock(nowMs), windowMinutes: 30 });
const toNs = BigInt(nowMs) * 1_000_000n;
await preload(store, { traces, fromNs: toNs - 29n * 60_000_000_000n, toNs, withTags: true });

const timed = (name: string, step: () => unknown, reps = 300): void => {
  for (let i = 0; i < 50; i++) step();
  const started = performance.now();
  for (let i = 0; i < reps; i++) step();
  console.log(`${name.padEnd(44)} ${((performance.now() - started) / reps).toFixed(3)} ms`);
};
const list = store.listTraces({ limit: 1000 });
const text = encodeTraceList(list);
const bytes = Buffer.from(text);
const parsed = JSON.parse(text) as unknown;
console.log(`${traces} traces; internal page of 1000: ${bytes.length} bytes`);
timed('peer: listTraces({ limit: 1000 })', () => store.listTraces({ limit: 1000 }));
timed('peer: encodeTraceList (JSON.stringify)', () => encodeTraceList(list));
timed('asking node: isUtf8 + toString', () => isUtf8(bytes) && bytes.toString('utf8'));
timed('asking node: JSON.parse', () => JSON.parse(text));
timed('asking node: decodeTraceList (schema, order)', () => decodeTraceList(parsed, 1000));
timed('either: traceListJson (the public page)', () => traceListJson(list));
