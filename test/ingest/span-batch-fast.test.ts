// The fast path must accept only what the general path accepts, and return exactly what it
// returns; and it must actually take the common shape of body (or it would be dead weight).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IngestRequest, type IngestRequest as IngestRequestBody } from '../../schemas/span.js';
import { compileBodyValidator } from '../../src/http/validation.js';
import { toIngestSpans } from '../../src/ingest/ingest-spans.js';
import { scanSpanTimeLiterals } from '../../src/codec/int64-json.js';
import { ID_WORDS, SpanBatch, TIME_FIELDS } from '../../src/ingest/span-batch.js';
import { parseSpanBatchFast } from '../../src/ingest/span-batch-fast.js';
import type { IngestSpan } from '../../src/store/trace-store.js';

const validate = compileBodyValidator(IngestRequest);
const RUNS = Number(process.env.FC_RUNS ?? 1500);

/**
 * The fast path's batch as the general path's spans. Its columns (id words, times, tag hashes)
 * must be exactly what SpanBatch.fromSpans makes of those spans, and `tagsJson` (an extra the
 * general path lacks) exactly JSON.stringify(tags); it is then set aside for comparison.
 */
function comparable(batch: SpanBatch | undefined): IngestSpan[] | undefined {
  if (batch === undefined) return undefined;
  const spans = batch.toIngestSpans();
  expect(columnsOf(batch)).toEqual(columnsOf(SpanBatch.fromSpans(spans)));
  return spans.map(({ tagsJson, ...span }) => {
    if (tagsJson !== undefined) expect(tagsJson).toBe(JSON.stringify(span.tags));
    return span;
  });
}

function columnsOf(batch: SpanBatch) {
  const { length } = batch;
  // Columns have room beyond `length` (and a reused batch's arrays keep old elements there):
  // only the spans' part counts.
  const services = batch.services.slice(0, length);
  const operations = batch.operations.slice(0, length);
  const ids = Array.from(batch.ids.subarray(0, length * ID_WORDS));
  const times = Array.from(batch.times.subarray(0, length * TIME_FIELDS));
  const flags = Array.from(batch.flags.subarray(0, length));
  const tagHashes = Array.from(batch.tagHashes.subarray(0, batch.tagHashCount));
  const tagEnds = Array.from(batch.tagEnds.subarray(0, length));
  // Tag text may sit in the body (tagsJson null) or be a string: the text is what must match.
  const tagsJson = Array.from({ length }, (_, i) => batch.tagsText(i));
  return { length, ids, times, flags, services, operations, tagsJson, tagHashes, tagEnds };
}

/** POST /spans without the fast path: JSON.parse, schema, int64 scan, conversion. */
function generalPath(text: string): IngestSpan[] | 'rejected' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'rejected';
  }
  if (!validate(parsed)) return 'rejected';
  const converted = toIngestSpans((parsed as IngestRequestBody).spans, scanSpanTimeLiterals(text));
  return converted.ok ? converted.spans : 'rejected';
}

const hex = fc.constantFrom(...'0123456789abcdefABCDEF'.split(''));
const uuidText = fc
  .array(hex, { minLength: 32, maxLength: 32 })
  .map((d) => `${d.slice(0, 8).join('')}-${d.slice(8, 12).join('')}-${d.slice(12, 16).join('')}-${d.slice(16, 20).join('')}-${d.slice(20).join('')}`);
// Mostly ASCII, as real names are: the fast path reads ASCII bodies only, and declines the rest.
const name = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('checkout', 'payment', 'inventory', 'with space') },
  { weight: 2, arbitrary: fc.constantFrom('checkout', 'émoji 😀') },
  fc.constantFrom('checkout', 'payment', 'ünïcödé', 'a"b', 'tab\there', 'x'.repeat(256), 'y'.repeat(257), '😀'.repeat(130)),
  fc.string({ maxLength: 20, unit: 'grapheme' }),
);
const time = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  fc.constantFrom(0n, 1713484800123456789n, (1n << 63n) - 1n, 1n << 63n, -1n),
);
const timeText = fc.oneof(
  { weight: 12, arbitrary: time.map(String) },
  { weight: 1, arbitrary: fc.constantFrom('1.5', '1e3', '1E18', '17.0', '-0', '01', '"123"', 'null', '1713484800123456789.000') },
);
const tags = fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom('a', 'b', 'http.method', 'k'.repeat(256), 'k'.repeat(257)), fc.constantFrom('1', 'GET')), fc.dictionary(
  fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'a\\b')),
  fc.oneof(fc.string({ maxLength: 8 }), fc.constant('v'.repeat(1025))),
  { maxKeys: 52 },
));

interface SpanFields {
  [key: string]: string; // already-serialized JSON values
}

const spanFields: fc.Arbitrary<SpanFields> = fc
  .record(
    {
      trace_id: uuidText.map((u) => JSON.stringify(u)),
      span_id: uuidText.map((u) => JSON.stringify(u)),
      parent_span_id: uuidText.map((u) => JSON.stringify(u)),
      service: name.map((s) => JSON.stringify(s)),
      operation: name.map((s) => JSON.stringify(s)),
      start_time: timeText,
      end_time: timeText,
      status: fc.constantFrom('"ok"', '"error"', '"ok"', '"error"', '"OK"', '1'),
      tags: tags.map((t) => JSON.stringify(t)),
    },
    { requiredKeys: ['trace_id', 'span_id', 'service', 'operation', 'start_time', 'end_time', 'status'] },
  )
  .chain((f) =>
    // Mostly a consistent pair of times, so that many bodies are valid as a whole.
    fc.oneof(
      { weight: 1, arbitrary: fc.constant(f as SpanFields) },
      {
        weight: 4,
        arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: 1n << 62n }), fc.bigInt({ min: 0n, max: 1n << 40n })).map(
          ([start, duration]) => ({ ...(f as SpanFields), start_time: String(start), end_time: String(start + duration) }),
        ),
      },
    ),
  );

const whitespace = fc.constantFrom('', '', '', ' ', '\n  ', '\t');

function spanText(fields: SpanFields, ws: string, extra: string | undefined): string {
  const parts = Object.entries(fields).map(([k, v]) => `${ws}"${k}"${ws}:${ws}${v}`);
  if (extra !== undefined) parts.push(extra);
  return `{${parts.join(',')}${ws}}`;
}

const body = fc
  .tuple(
    fc.array(fc.tuple(spanFields, fc.oneof(
      { weight: 10, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('"unknown":1', '"status":"ok"', '"trace_id":null') },
    )), {
      minLength: 0,
      maxLength: 3,
    }),
    whitespace,
  )
  .map(([spans, ws]) => `${ws}{${ws}"spans"${ws}:${ws}[${spans.map(([f, extra]) => spanText(f, ws, extra)).join(`,${ws}`)}]${ws}}${ws}`);

describe('the POST /spans fast path', () => {
  it('returns exactly what the general path returns, or declines', () => {
    let taken = 0;
    let accepted = 0;
    fc.assert(
      fc.property(body, (text) => {
        const fast = comparable(parseSpanBatchFast(Buffer.from(text)));
        const general = generalPath(text);
        if (fast !== undefined) {
          taken++;
          expect(general).toEqual(fast);
        }
        if (general !== 'rejected') accepted++;
      }),
      { numRuns: RUNS },
    );
    // The comparison above means something only if both paths often accept.
    expect(taken).toBeGreaterThan(RUNS / 20);
    expect(accepted).toBeGreaterThan(taken);
  });

  it('declines every corrupted body the general path rejects', () => {
    fc.assert(
      fc.property(body, fc.nat(), fc.constantFrom('', ',', '}', ']', '"', '\\', '1', ' ', 'x', '\u0001'), (text, at, insert) => {
        const cut = at % (text.length + 1);
        const mutated = text.slice(0, cut) + insert + text.slice(cut + (insert === '' ? 1 : 0));
        const fast = comparable(parseSpanBatchFast(Buffer.from(mutated)));
        const general = generalPath(mutated);
        if (fast !== undefined) expect(general).toEqual(fast);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads a body right into a batch given back after holding a bigger one', () => {
    const span = (n: number, tags: string) =>
      `{"trace_id":"0af76519-16cd-43dd-8448-eb211c8031${String(n).padStart(2, '0')}","span_id":"b7ad6b71-6920-3331-8448-eb211c8031${String(n).padStart(2, '0')}",` +
      `"service":"s${n}","operation":"o${n}","start_time":${n},"end_time":${n + 1},"status":"ok"${tags}}`;
    const big = parseSpanBatchFast(Buffer.from(`{"spans":[${Array.from({ length: 40 }, (_, n) => span(n, ',"tags":{"a":"1","b":"2"}')).join(',')}]}`))!;
    expect(big.length).toBe(40);
    big.release();
    const text = `{"spans":[${span(7, '')},${span(8, ',"tags":{"c":"3"}')}]}`;
    const small = parseSpanBatchFast(Buffer.from(text))!;
    // The same object, reused: what it held before must not show through.
    expect(small).toBe(big);
    expect(comparable(small)).toEqual(generalPath(text));
    expect(small.tagHashCount).toBe(1);
  });

  it('declines every truncated body, never reading past its end into the memory that follows', () => {
    const text =
      '{"spans":[{"trace_id":"0af76519-16cd-43dd-8448-eb211c80319c","span_id":"b7ad6b71-6920-3331-8448-eb211c80319c",' +
      '"parent_span_id":"c7ad6b71-6920-3331-8448-eb211c80319c","service":"checkout","operation":"pay","start_time":1,' +
      '"end_time":2,"status":"ok","tags":{}}]}';
    const whole = Buffer.from(text);
    expect(parseSpanBatchFast(whole)).toBeDefined();
    // A view of the start of the body: the rest of it still sits in the same memory.
    for (let cut = 0; cut < whole.length; cut++) expect(parseSpanBatchFast(whole.subarray(0, cut))).toBeUndefined();
  });

  it('declines every body with a byte outside ASCII, which the general path then reads', () => {
    const ascii =
      '{"spans":[{"trace_id":"0af76519-16cd-43dd-8448-eb211c80319c","span_id":"b7ad6b71-6920-3331-8448-eb211c80319c",' +
      '"service":"checkout","operation":"pay","start_time":1,"end_time":2,"status":"ok","tags":{"region":"eu"}}]}';
    expect(parseSpanBatchFast(Buffer.from(ascii))).toBeDefined();
    for (const text of [ascii.replace('checkout', 'chéckout'), ascii.replace('"pay"', '"pay 😀"'), ascii.replace('"eu"', '"Zürich"')]) {
      expect(parseSpanBatchFast(Buffer.from(text))).toBeUndefined();
      expect(generalPath(text)).not.toBe('rejected');
    }
  });

  it('reads every name right while thousands of distinct names share its small cache of names', () => {
    // 3000 services and operations against 512 cache slots: slots are taken over and hashes
    // collide, and every name read must still be the one in the body.
    const spanOf = (n: number) =>
      `{"trace_id":"0af76519-16cd-43dd-8448-${n.toString(16).padStart(12, '0')}","span_id":"b7ad6b71-6920-3331-8448-eb211c80319c",` +
      `"service":"svc-${n}","operation":"op-${n % 7}-${n}","start_time":1,"end_time":2,"status":"ok"}`;
    for (let round = 0; round < 2; round++) {
      for (let from = 0; from < 3000; from += 10) {
        const numbers = Array.from({ length: 10 }, (_, k) => (from + k * 37 * (round + 1)) % 3000);
        const batch = parseSpanBatchFast(Buffer.from(`{"spans":[${numbers.map(spanOf).join(',')}]}`))!;
        expect(batch.services.slice(0, batch.length)).toEqual(numbers.map((n) => `svc-${n}`));
        expect(batch.operations.slice(0, batch.length)).toEqual(numbers.map((n) => `op-${n % 7}-${n}`));
      }
    }
  });

  it('takes the common shape of body itself', () => {
    const plain = fc.record({
      trace_id: uuidText,
      span_id: uuidText,
      service: fc.constantFrom('checkout', 'payment'),
      operation: fc.constantFrom('place_order', 'charge'),
      start: fc.bigInt({ min: 1n, max: 1n << 61n }),
      duration: fc.bigInt({ min: 0n, max: 1n << 40n }),
      error: fc.boolean(),
      tags: fc.dictionary(fc.constantFrom('http.method', 'region', 'constructor'), fc.string({ maxLength: 5 }).filter((s) => !/["\\\u0000-\u001f]/.test(s))),
    });
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 20 }), (spans) => {
        const text = `{"spans":[${spans
          .map(
            (s) =>
              `{"trace_id":"${s.trace_id}","span_id":"${s.span_id}","service":"${s.service}","operation":"${s.operation}","start_time":${s.start},"end_time":${s.start + s.duration},"status":"${s.error ? 'error' : 'ok'}","tags":${JSON.stringify(s.tags)}}`,
          )
          .join(',')}]}`;
        const fast = comparable(parseSpanBatchFast(Buffer.from(text)));
        expect(fast).toBeDefined();
        expect(generalPath(text)).toEqual(fast);
      }),
      { numRuns: 300 },
    );
  });
});
