// The ingest log's span-record encoder against another checkout's, in one process: the same
// batches (emitter-shaped bodies through the POST /spans parser, and batches with tags as strings,
// as OTLP, Zipkin and the general path make them) encoded by both, checked byte for byte equal,
// then timed interleaved, best of the rounds after two of warm-up.
//
// Each batch is made (parsed, or built from its spans) just before it is encoded and only the
// encoding is timed, as on a request's path, where the body was just parsed and sits in the
// cache. Batches made all at first and encoded later read their bodies from memory: that timed
// the emitter's 108-span batches at 344 ns a span where this takes 234 (2026-12-07).
//
//   npx tsx bench/ab-encoder.ts --base=/path/to/other/checkout [--rounds=12]
//
// The other checkout needs its node_modules only if its sources import packages (these do not).

import { parseSpanBatchFast } from '../src/ingest/span-batch-fast.js';
import { SpanBatch } from '../src/ingest/span-batch.js';
import type { IngestSpan } from '../src/ingest/ingest-span.js';
import { ByteWriter } from '../src/ingest-log/byte-buffers.js';
import { encodeSpanBatch } from '../src/ingest-log/record-codec.js';
import { BodyTemplate } from './lib/body-template.js';

type Encode = (batch: SpanBatch, appendMs: number, out: ByteWriter) => void;

const args = process.argv.slice(2);
const base = args.find((a) => a.startsWith('--base='))?.slice('--base='.length);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 12);
if (base === undefined) throw new Error('usage: npx tsx bench/ab-encoder.ts --base=/path/to/other/checkout');
const baseEncode = (await import(`${base}/src/ingest-log/record-codec.ts`)).encodeSpanBatch as Encode;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** What a batch is made from, and how: just before it is encoded. */
interface Sources<T> {
  items: T[];
  make(item: T): SpanBatch;
}

function emitterBodies(spansPerBody: number): Sources<Buffer> {
  const template = new BodyTemplate('abcdef12', spansPerBody, true, BigInt(Date.now()) * 1_000_000n);
  const items: Buffer[] = [];
  for (let spans = 0; spans < 60_000; spans += template.spans) items.push(template.next());
  return { items, make: (body) => parseSpanBatchFast(body)! };
}

function stringTagSpans(): Sources<IngestSpan[]> {
  const items: IngestSpan[][] = [];
  for (let b = 0; b < 600; b++) {
    const spans = [];
    for (let i = 0; i < 100; i++) {
      spans.push({
        traceId: `${hex(b, 8)}-0000-4000-8000-${hex(Math.floor(i / 10), 12)}`,
        spanId: `${hex(b, 8)}-0000-4000-8000-${hex(1000 + i, 12)}`,
        parentSpanId: i % 10 === 0 ? undefined : `${hex(b, 8)}-0000-4000-8000-${hex(1000 + i - (i % 10), 12)}`,
        service: `svc-${i % 5}`,
        operation: `op-${i % 7}`,
        startTime: String(1_780_000_000_000_000_000n + BigInt(i * 1000)),
        endTime: String(1_780_000_000_100_000_000n + BigInt(i * 1000)),
        error: i % 17 === 0,
        tags: { 'http.method': 'GET', 'http.route': `/api/v1/item/${i % 3}` },
      });
    }
    items.push(spans);
  }
  return { items, make: (spans) => SpanBatch.fromSpans(spans) };
}

function check<T>(sources: Sources<T>): void {
  const a = new ByteWriter(1 << 20);
  const b = new ByteWriter(1 << 20);
  for (const item of sources.items) {
    const batch = sources.make(item);
    a.reset();
    b.reset();
    encodeSpanBatch(batch, 1_780_000_000_000, a);
    baseEncode(batch, 1_780_000_000_000, b);
    if (a.buffer.subarray(0, a.length).compare(b.buffer.subarray(0, b.length)) !== 0) throw new Error('the two encoders wrote different bytes');
  }
}

function nsPerSpan<T>(encode: Encode, sources: Sources<T>, out: ByteWriter): number {
  let spans = 0;
  let ms = 0;
  for (const item of sources.items) {
    const batch = sources.make(item);
    out.reset();
    const started = performance.now();
    encode(batch, 1_780_000_000_000, out);
    ms += performance.now() - started;
    spans += batch.length;
  }
  return (ms * 1e6) / spans;
}

const out = new ByteWriter(1 << 20);
for (const [name, sources] of [
  ['emitter bodies, 12-span batches', emitterBodies(12)],
  ['emitter bodies, 108-span batches', emitterBodies(108)],
  ['tags as strings (OTLP, Zipkin), 100-span batches', stringTagSpans()],
] as [string, Sources<unknown>][]) {
  check(sources);
  const best = { base: Infinity, head: Infinity };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
    for (const which of order) {
      const ns = nsPerSpan(which === 'base' ? baseEncode : encodeSpanBatch, sources, out);
      if (round >= 2) best[which] = Math.min(best[which], ns);
    }
  }
  console.log(`${name}: base ${best.base.toFixed(0)} ns/span, this checkout ${best.head.toFixed(0)} ns/span, ratio ${(best.head / best.base).toFixed(3)} (same bytes)`);
}
