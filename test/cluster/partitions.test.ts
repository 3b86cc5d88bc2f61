// Partitioning and stream messages, without a server: a batch cut by partition keeps each trace
// whole and in order; a message of framed records reads back exactly, and a cut one is refused.
import { describe, expect, it } from 'vitest';
import { appendRecord, recordsOf } from '../../src/cluster/message-codec.js';
import { partitionOfSpan, splitByPartition } from '../../src/cluster/partitions.js';
import { ByteWriter, RecordFormatError } from '../../src/ingest-log/byte-buffers.js';
import { encodeSpanBatch, RECORD_SPANS } from '../../src/ingest-log/record-codec.js';
import { SpanBatch } from '../../src/ingest/span-batch.js';
import { nsAt, span, uuid } from '../support/spans.js';

function batchOf(traces: number, spansEach: number): SpanBatch {
  const spans = [];
  for (let t = 0; t < traces; t++) {
    for (let s = 0; s < spansEach; s++) spans.push(span({ traceId: uuid(t * 7919 + 1, t), spanId: uuid(t * 100 + s + 1, 0xabc), startTime: nsAt(1_713_485_400_000 + s, BigInt(t)), tags: { s: String(s) } }));
  }
  return SpanBatch.fromSpans(spans);
}

describe('partitions', () => {
  it('cut a batch so that every trace is whole in one part, in batch order, and every span is in exactly one part', () => {
    const batch = batchOf(40, 5);
    const parts = splitByPartition(batch, 16);
    expect(parts.size).toBeGreaterThan(4);
    let total = 0;
    const partOfTrace = new Map<string, number>();
    for (const [partition, part] of parts) {
      total += part.length;
      for (let i = 0; i < part.length; i++) {
        expect(partitionOfSpan(part, i, 16)).toBe(partition);
        const seen = partOfTrace.get(part.traceIdText(i));
        expect(seen === undefined || seen === partition).toBe(true);
        partOfTrace.set(part.traceIdText(i), partition);
      }
      const order = part.toIngestSpans().map((s) => `${s.traceId}/${s.spanId}`);
      const inBatch = batch.toIngestSpans().map((s) => `${s.traceId}/${s.spanId}`);
      expect(order).toEqual(inBatch.filter((key) => order.includes(key)));
    }
    expect(total).toBe(batch.length);
    expect(partOfTrace.size).toBe(40);
  });

  it('give a batch of one partition back as itself', () => {
    const batch = batchOf(1, 12);
    const parts = splitByPartition(batch, 16);
    expect([...parts.values()]).toEqual([batch]);
  });
});

describe('stream messages', () => {
  it('read back every framed record exactly, and refuse a message cut inside a frame', () => {
    const first = batchOf(3, 4);
    const second = batchOf(2, 2);
    const out = new ByteWriter(16);
    appendRecord(out, (w) => encodeSpanBatch(first, 1000, w));
    appendRecord(out, (w) => encodeSpanBatch(second, 2000, w));
    const message = out.buffer.subarray(0, out.length);
    const records = [...recordsOf(message)];
    expect(records.map((r) => [r.kind, r.appendMs])).toEqual([
      [RECORD_SPANS, 1000],
      [RECORD_SPANS, 2000],
    ]);
    // The decoded batch also carries each span's tag text; the fields compared are the span's.
    const spansOf = (b: SpanBatch) => b.toIngestSpans().map(({ traceId, spanId, parentSpanId, service, operation, startTime, endTime, error, tags }) => ({ traceId, spanId, parentSpanId, service, operation, startTime, endTime, error, tags }));
    expect(records.map((r) => (r.kind === RECORD_SPANS ? spansOf(r.batch) : []))).toEqual([spansOf(first), spansOf(second)]);
    expect(() => [...recordsOf(message.subarray(0, message.length - 3))]).toThrow(RecordFormatError);
    expect(() => [...recordsOf(message.subarray(0, 2))]).toThrow(/inside a frame/);
  });
});
