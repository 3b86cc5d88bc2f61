// Batches through the record codec: what decodes is what was encoded, column for column, ids,
// times to the nanosecond, flags, names and tag text (non-ASCII too) and tag hashes.
import { describe, expect, it } from 'vitest';
import { ByteWriter, RecordFormatError } from '../../src/ingest-log/byte-buffers.js';
import { decodeRecord, encodeDecisions, encodeLogs, encodeSpanBatch, RECORD_DECISIONS, RECORD_LOGS, RECORD_SPANS } from '../../src/ingest-log/record-codec.js';
import { parseSpanBatchFast } from '../../src/ingest/span-batch-fast.js';
import { SpanBatch, ID_WORDS, TIME_FIELDS } from '../../src/ingest/span-batch.js';
import type { IngestLog } from '../../src/logs/log-store.js';
import { span, uuid } from '../support/spans.js';

function columns(batch: SpanBatch) {
  const spans = [];
  for (let i = 0; i < batch.length; i++) {
    const from = i === 0 ? 0 : batch.tagEnds[i - 1]!;
    spans.push({
      ids: [...batch.ids.subarray(i * ID_WORDS, (i + 1) * ID_WORDS)],
      times: [...batch.times.subarray(i * TIME_FIELDS, (i + 1) * TIME_FIELDS)],
      flags: batch.flags[i],
      service: batch.services[i],
      operation: batch.operations[i],
      tags: batch.tagsText(i),
      hashes: [...batch.tagHashes.subarray(from, batch.tagEnds[i])],
      start: batch.startText(i),
      end: batch.endText(i),
    });
  }
  return spans;
}

function roundTrip(batch: SpanBatch): SpanBatch {
  const out = new ByteWriter(16);
  encodeSpanBatch(batch, 1_780_000_000_000, out);
  const decoded = decodeRecord(out.buffer, 0, out.length);
  if (decoded.kind !== RECORD_SPANS) throw new Error('not a span record');
  return decoded.batch;
}

describe('the record codec', () => {
  it('gives back every column of a batch made from spans, times to the nanosecond', () => {
    const base = 1_780_000_000_123_456_789n;
    const spans = [
      span({ traceId: uuid(1), spanId: uuid(2), startTime: base.toString(), endTime: (base + 999_999_999n).toString(), tags: { 'http.method': 'POST', 'emitter.worker': '3' } }),
      // A child before its parent in the batch, and one whose parent is in no batch.
      span({ traceId: uuid(1), spanId: uuid(3), parentSpanId: uuid(4), startTime: (base + 1n).toString(), endTime: (base + 2n).toString(), error: true, service: 'paiement', operation: 'débit € 日本', tags: { 'peer.service': 'ünïcödé 🎉' } }),
      span({ traceId: uuid(1), spanId: uuid(4), parentSpanId: uuid(2), startTime: (base + 3n).toString(), endTime: (base + 86_400_000_000_000n * 200n).toString(), tags: { 'peer.service': 'ünïcödé 🎉' } }),
      span({ traceId: uuid(9, 0xfffffff), spanId: uuid(5), parentSpanId: uuid(77, 5), startTime: '0', endTime: '1', tags: {} }),
      span({ traceId: uuid(10), spanId: uuid(6), startTime: '-5', endTime: '7' }),
      span({ traceId: uuid(11), spanId: uuid(7), startTime: '9223372036854775807', endTime: '9223372036854775807' }),
    ];
    const batch = SpanBatch.fromSpans(spans);
    const decoded = roundTrip(batch);
    expect(columns(decoded)).toEqual(columns(batch));
    expect(decoded.spanAt(1).operation).toBe('débit € 日本');
    expect(decoded.spanAt(2).startTime).toBe((base + 3n).toString());
    expect(decoded.spanAt(5).endTime).toBe('9223372036854775807');
  });

  it('gives back a batch whose tag text is still in the request body (the fast parser)', () => {
    const body = Buffer.from(
      JSON.stringify({
        spans: [
          { trace_id: uuid(1), span_id: uuid(2), service: 's', operation: 'o', start_time: 1, end_time: 2, status: 'ok', tags: { a: 'b' } },
          { trace_id: uuid(1), span_id: uuid(3), parent_span_id: uuid(2), service: 's', operation: 'p', start_time: 3, end_time: 4, status: 'error', tags: { c: 'd', e: 'f' } },
        ],
      }).replace('"start_time":1', '"start_time":1780000000123456789').replace('"end_time":2', '"end_time":1780000000223456789'),
    );
    const batch = parseSpanBatchFast(body);
    expect(batch).toBeDefined();
    expect(columns(roundTrip(batch!))).toEqual(columns(batch!));
  });

  it('gives back an empty batch, and many spans of many traces', () => {
    expect(roundTrip(SpanBatch.fromSpans([])).length).toBe(0);
    const spans = Array.from({ length: 500 }, (_, i) =>
      span({ traceId: uuid(i % 37), spanId: uuid(1000 + i), parentSpanId: i % 3 === 0 ? undefined : uuid(1000 + ((i * 7) % 500)), startTime: (1_780_000_000_000_000_000n + BigInt(i) * 1_234_567n).toString(), tags: { n: String(i % 5) } }),
    );
    const batch = SpanBatch.fromSpans(spans);
    expect(columns(roundTrip(batch))).toEqual(columns(batch));
  });

  it('gives back batches whose ids share the words the encoder looks them up by, and hundreds of names', () => {
    // The encoder finds traces and parents by one word of the id: ids equal there but not
    // elsewhere (the prefix) must still come back as themselves. 300 services and operations
    // pass any small-table shortcut; records written after each other reuse the encoder's tables.
    const spans = Array.from({ length: 600 }, (_, i) =>
      span({
        traceId: uuid(7, i % 40),
        spanId: uuid(9, i),
        parentSpanId: i % 4 === 0 ? undefined : uuid(9, (i * 13) % 600),
        service: `svc-${i % 300}`,
        operation: `op-é-${i % 150}`,
        startTime: (1_780_000_000_000_000_000n + BigInt(i)).toString(),
        tags: i % 2 === 0 ? { shared: 'x' } : { own: String(i) },
      }),
    );
    for (let round = 0; round < 3; round++) {
      const batch = SpanBatch.fromSpans(spans.slice(round * 50));
      expect(columns(roundTrip(batch))).toEqual(columns(batch));
    }
    const small = SpanBatch.fromSpans(spans.slice(0, 3));
    expect(columns(roundTrip(small))).toEqual(columns(small));
  });

  it('gives back logs with their exact times', () => {
    const logs: IngestLog[] = [
      { time: '1780000000123456789', traceId: uuid(1), spanId: uuid(2), service: 'é', level: 'info', message: 'hällo 🎉', attributes: { k: 'v' } },
      { time: '-1', traceId: uuid(1), spanId: undefined, service: 's', level: 'error', message: '', attributes: undefined },
    ];
    const out = new ByteWriter(4);
    encodeLogs(logs, 1_780_000_000_000, out);
    const decoded = decodeRecord(out.buffer, 0, out.length);
    expect(decoded.kind).toBe(RECORD_LOGS);
    expect(decoded.kind === RECORD_LOGS && decoded.logs).toEqual(JSON.parse(JSON.stringify(logs)));
    out.u8(0);
    expect(() => decodeRecord(out.buffer, 0, out.length)).toThrow(/left after the logs/);
  });

  it('gives back tail-sampling decisions, and refuses them cut short or padded', () => {
    const decisions = { keep: [uuid(1), 'ffffffff-ffff-4fff-8fff-ffffffffffff'], drop: [uuid(2), uuid(3), uuid(4)] };
    const out = new ByteWriter(4);
    encodeDecisions(decisions, 1_780_000_000_000, out);
    // Kind, time, two counts, five ids of 16 bytes.
    expect(out.length).toBe(1 + 6 + 2 + 5 * 16);
    const decoded = decodeRecord(out.buffer, 0, out.length);
    expect(decoded.appendMs).toBe(1_780_000_000_000);
    expect(decoded.kind === RECORD_DECISIONS && decoded.decisions).toEqual(decisions);
    for (let end = 0; end < out.length; end++) expect(() => decodeRecord(out.buffer, 0, end)).toThrow();
    out.u8(0);
    expect(() => decodeRecord(out.buffer, 0, out.length)).toThrow(/left after the decisions/);
    const empty = new ByteWriter(4);
    encodeDecisions({ keep: [], drop: [] }, 5, empty);
    expect(decodeRecord(empty.buffer, 0, empty.length)).toEqual({ kind: RECORD_DECISIONS, appendMs: 5, decisions: { keep: [], drop: [] } });
  });

  it('refuses a record cut short or of an unknown kind, with an error rather than a wrong batch', () => {
    const out = new ByteWriter();
    encodeSpanBatch(SpanBatch.fromSpans([span({ traceId: uuid(1), spanId: uuid(2), startTime: '5' })]), 1_780_000_000_000, out);
    for (let end = 0; end < out.length; end++) expect(() => decodeRecord(out.buffer, 0, end)).toThrow();
    // Parents inside the batch and outside it, tags, times with many-byte numbers: cut anywhere,
    // the record is refused as malformed (what replay counts and passes over), never read past its end.
    const rich = new ByteWriter();
    const spans = [
      span({ traceId: uuid(1), spanId: uuid(2), startTime: '1780000000123456789', endTime: '1780000009123456789', tags: { 'http.method': 'GET' } }),
      span({ traceId: uuid(1), spanId: uuid(3), parentSpanId: uuid(2), startTime: '1780000000223456789', tags: { 'http.method': 'GET' } }),
      span({ traceId: uuid(1), spanId: uuid(4), parentSpanId: uuid(5), startTime: '1780000300000000001', tags: { city: 'Zürich' } }),
      span({ traceId: uuid(6), spanId: uuid(7), parentSpanId: uuid(8), startTime: '7' }),
      span({ traceId: uuid(6), spanId: uuid(8), startTime: '8' }),
    ];
    encodeSpanBatch(SpanBatch.fromSpans(spans), 1_780_000_000_000, rich);
    const whole = decodeRecord(rich.buffer, 0, rich.length);
    if (whole.kind !== RECORD_SPANS) throw new Error('not a span record');
    expect(columns(whole.batch)).toEqual(columns(SpanBatch.fromSpans(spans)));
    for (let end = 0; end < rich.length; end++) {
      expect(() => decodeRecord(rich.buffer, 0, end)).toThrow(RecordFormatError);
      // Also where the buffer itself ends there, as a reader's buffer may.
      expect(() => decodeRecord(Buffer.from(rich.buffer.subarray(0, end)), 0, end)).toThrow(RecordFormatError);
    }
    out.buffer[0] = 9;
    expect(() => decodeRecord(out.buffer, 0, out.length)).toThrow(/unknown record kind/);
  });

  it('refuses a count its record cannot hold as malformed, before allocating for it', () => {
    // Span records: spans, base second, then the names', trace ids' and tag sets' counts.
    const headers = [
      [1, 0, 2 ** 40],
      [1, 0, 0, 2 ** 40],
      [1, 0, 0, 0, 2 ** 40],
    ];
    for (const counts of headers) {
      const out = new ByteWriter();
      out.u8(RECORD_SPANS);
      out.varint(1_780_000_000_000);
      for (const count of counts) out.varint(count);
      expect(() => decodeRecord(out.buffer, 0, out.length)).toThrow(RecordFormatError);
    }
    const decisions = new ByteWriter();
    decisions.u8(RECORD_DECISIONS);
    decisions.varint(1_780_000_000_000);
    decisions.varint(2 ** 40);
    expect(() => decodeRecord(decisions.buffer, 0, decisions.length)).toThrow(/record ends \d+ bytes early/);
  });
});
