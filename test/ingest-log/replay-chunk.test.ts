// Replay chunks: what the reader gives back is what the builder took, also when the builder
// fills a chunk's arrays again after the reader is done with them (ChunkBuilder.recycle), and
// the new records are fewer, shorter or without the tags that were there before.
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/ingest-log/byte-buffers.js';
import { decodeRecord, encodeSpanBatch, RECORD_SPANS } from '../../src/ingest-log/record-codec.js';
import { ChunkBuilder, ChunkReader } from '../../src/ingest-log/replay-chunk.js';
import { SpanBatch } from '../../src/ingest/span-batch.js';
import type { IngestSpan } from '../../src/ingest/ingest-span.js';
import { span, uuid } from '../support/spans.js';

const T = 1_780_000_000_000_000_000n;

function record(spans: IngestSpan[]) {
  const out = new ByteWriter(16);
  encodeSpanBatch(SpanBatch.fromSpans(spans), 1_780_000_000_000, out);
  const decoded = decodeRecord(out.buffer, 0, out.length);
  if (decoded.kind !== RECORD_SPANS) throw new Error('not a span record');
  return decoded.batch;
}

/** Every span as text, and the tag pair hashes it carries for the tag index. */
function plain(batch: SpanBatch) {
  return Array.from({ length: batch.length }, (_, i) => ({
    ...batch.spanAt(i),
    tagsJson: batch.tagsText(i),
    hashes: [...batch.tagHashes.subarray(i === 0 ? 0 : batch.tagEnds[i - 1], batch.tagEnds[i])],
  }));
}

function spansOf(round: number, count: number, tagged: boolean): IngestSpan[] {
  return Array.from({ length: count }, (_, i) =>
    span({
      traceId: uuid(round, i % 3),
      spanId: uuid(round * 1000 + i),
      parentSpanId: i % 2 === 0 ? undefined : uuid(round * 1000 + i - 1),
      service: `svc-${round}-${i % 2}`,
      operation: i % 3 === 0 ? 'débit € 日本' : `op-${i}`,
      startTime: (T + BigInt(round * 1_000_000 + i)).toString(),
      error: i % 4 === 1,
      tags: tagged ? (i % 2 === 0 ? { shared: 'x'.repeat(40 + round) } : { own: `${round}-${i}`, 'ünï': 'cödé' }) : undefined,
    }),
  );
}

describe('replay chunks', () => {
  it('give back every span of every record, in chunks whose arrays are filled again', () => {
    const builder = new ChunkBuilder();
    const reader = new ChunkReader();
    // Each round's chunk refills the arrays of the round two before it (the builder starts the
    // next chunk as it hands one out). Big tagged records first; later ones fewer, shorter, some
    // untagged where tags were, with logs and decisions between them.
    const rounds = [
      [spansOf(1, 14, true), spansOf(2, 12, true), spansOf(3, 10, true)],
      [spansOf(4, 3, false), spansOf(5, 2, true)],
      [spansOf(6, 5, true), spansOf(7, 1, false)],
      [spansOf(8, 13, true), spansOf(9, 4, false)],
      [spansOf(10, 2, false), spansOf(11, 6, true)],
    ];
    const chunks = [];
    for (const [round, records] of rounds.entries()) {
      const expected = [];
      for (const [r, spans] of records.entries()) {
        const batch = record(spans);
        expected.push(plain(batch));
        expect(expected[r]!.map((s) => s.spanId)).toEqual(spans.map((s) => s.spanId));
        builder.addSpans(batch, 1_780_000_000_000 + r, r * 100);
        batch.release();
      }
      builder.addLogs([{ time: '1', service: `svc-${round}`, level: 'info', message: `round ${round}` }] as never, 1_780_000_000_000, 999);
      builder.addDecisions({ keep: [uuid(round)], drop: [] }, 1_780_000_000_000, 1000);
      const chunk = builder.take();
      chunks.push(chunk);
      if (round >= 2) {
        expect(chunk.ids).toBe(chunks[round - 2]!.ids);
        expect(chunk.tagBytes).toBe(chunks[round - 2]!.tagBytes);
      }
      reader.load(chunk);
      expect(chunk.records).toBe(records.length + 2);
      for (let r = 0; r < records.length; r++) {
        expect(chunk.offsets[r]).toBe(r * 100);
        const batch = reader.batch(r);
        expect(plain(batch)).toEqual(expected[r]);
        batch.release();
      }
      expect(reader.logs()).toEqual([{ time: '1', service: `svc-${round}`, level: 'info', message: `round ${round}` }]);
      expect(reader.decisions()).toEqual({ keep: [uuid(round)], drop: [] });
      builder.recycle(chunk);
    }
  });
});
