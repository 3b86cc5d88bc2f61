// Contract tests against the real HTTP server: buildApp + BucketStore + ManualClock, listening
// on an ephemeral port, requests through undici. Every response to a path the contract declares
// is validated against openapi.yaml by the helper (test/support/http.ts), so the assertions here
// are about behaviour; the shapes are checked on every call.

import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  contractValidator,
  DEFAULT_NOW_MS,
  LOWERCASE_UUID,
  metricValue,
  nsText,
  parseJsonLossless,
  projectOpenapiPath,
  spansBody,
  startCollector,
  waitFor,
  type Api,
  type JsonObject,
  type WireSpanInput,
} from '../support/http.js';
import { uuid } from '../support/spans.js';

/** 2024-04-19T00:00:00.123456789Z: 19 digits, non-zero low digits, 10 minutes before the clock. */
const T = '1713484800123456789';
const NOW_NS = (BigInt(DEFAULT_NOW_MS) * 1_000_000n).toString();
const WINDOW_MINUTES = 30;
const WINDOW_NS = BigInt(WINDOW_MINUTES) * 60_000_000_000n;

function add(ns: string, delta: bigint): string {
  return (BigInt(ns) + delta).toString();
}
const traceId = (n: number): string => uuid(n, 0xa);
const spanId = (n: number): string => uuid(n, 0xb);

function root(n: number, start: string, extra: Partial<WireSpanInput> = {}): WireSpanInput {
  return { trace_id: traceId(n), span_id: spanId(n * 100), start_time: start, ...extra };
}
function child(n: number, k: number, start: string, extra: Partial<WireSpanInput> = {}): WireSpanInput {
  return { trace_id: traceId(n), span_id: spanId(n * 100 + k), parent_span_id: spanId(n * 100), start_time: start, ...extra };
}

function errorOf(res: { json: unknown }): string {
  const body = res.json as { error?: unknown };
  expect(typeof body.error).toBe('string');
  return body.error as string;
}

async function expectAccepted(api: Api, spans: WireSpanInput[], accepted = spans.length, discarded = 0): Promise<void> {
  const res = await api.postSpans(spans);
  expect(res.status, res.text).toBe(202);
  expect(res.json).toEqual({ status: 'ok', accepted, discarded });
}

async function traceDetail(api: Api, id: string): Promise<{ trace_id: string; spans: JsonObject[] }> {
  const res = await api.get(`/traces/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.json as unknown as { trace_id: string; spans: JsonObject[] };
}

/** The collector of the running test; closed (once) after each test that started one. */
let api: Api;
afterEach(async () => {
  const running = api as Api | undefined;
  api = undefined as unknown as Api;
  await running?.close();
});

describe('POST /spans and exact int64 round trips', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('answers 202 {status, accepted, discarded} and round-trips 19-digit times digit for digit', async () => {
    const childStart = add(T, 20_000_007n);
    const childEnd = add(T, 100_000_003n);
    const rootEnd = add(T, 150_999_999n);
    await expectAccepted(api, [
      root(1, T, { end_time: rootEnd, service: 'checkout', operation: 'place_order', tags: { order_id: 'ord_123' } }),
      child(1, 1, childStart, { end_time: childEnd, service: 'inventory', operation: 'reserve_stock' }),
    ]);

    const listRes = await api.get('/traces');
    // The integers travel as bare JSON numbers with every digit, not as strings.
    expect(listRes.text).toContain(`"start_time":${T}`);
    const list = listRes.json as unknown as { traces: JsonObject[]; total: number };
    expect(list.total).toBe(1);
    expect(list.traces).toHaveLength(1);
    const summary = list.traces[0]!;
    expect(nsText(summary.start_time)).toBe(T);
    expect(summary).toMatchObject({
      trace_id: traceId(1),
      root_service: 'checkout',
      root_operation: 'place_order',
      span_count: 2,
      duration_ms: 150, // floor(150_999_999 / 1e6)
      status: 'ok',
    });

    const detail = await traceDetail(api, traceId(1));
    expect(detail.trace_id).toBe(traceId(1));
    expect(detail.spans.map((s) => [nsText(s.start_time), nsText(s.end_time)])).toEqual([
      [T, rootEnd],
      [childStart, childEnd],
    ]);
    expect(detail.spans[0]).toMatchObject({ span_id: spanId(100), service: 'checkout', tags: { order_id: 'ord_123' } });
    expect(detail.spans[0]).not.toHaveProperty('parent_span_id');
    expect(detail.spans[1]).toMatchObject({ span_id: spanId(101), parent_span_id: spanId(100), service: 'inventory' });
    expect(detail.spans[1]).not.toHaveProperty('tags');
  });

  it('keeps the extremes exact: end_time at INT64_MAX and a zero duration', async () => {
    const INT64_MAX = '9223372036854775807';
    await expectAccepted(api, [root(2, T, { end_time: T }), child(2, 1, add(T, 1n), { end_time: INT64_MAX })]);
    const detail = await traceDetail(api, traceId(2));
    expect(detail.spans.map((s) => nsText(s.end_time))).toEqual([T, INT64_MAX]);
    const [summary] = (await api.listTraces()).traces;
    expect(summary!.duration_ms).toBe(0);
  });

  it('reads every integral JSON spelling and the last of duplicate keys exactly', async () => {
    const tid = traceId(3);
    const start = '1713484800123456791';
    // Exponent form, an escaped key, a decoy inside a string, and a duplicated key.
    const body =
      `{"spans":[{"service":"svc \\"start_time\\": 1","trace_id":"${tid}","span_id":"${spanId(300)}",` +
      `"operation":"op","start\\u005ftime":1.713484800123456791e18,"end_time":1,"end_time":${add(start, 5n)},` +
      `"status":"ok","tags":{"start_time":"7"}}]}`;
    const res = await api.postRaw(body);
    expect(res.status, res.text).toBe(202);
    const detail = await traceDetail(api, tid);
    expect(nsText(detail.spans[0]!.start_time)).toBe(start);
    expect(nsText(detail.spans[0]!.end_time)).toBe(add(start, 5n));
    expect(detail.spans[0]!.service).toBe('svc "start_time": 1');
    expect(detail.spans[0]!.tags).toEqual({ start_time: '7' });
  });

  it('reads exact times from a pretty-printed body', async () => {
    const end = add(T, 42n);
    const body = `{\n\t"spans" : [\n  {\r\n    "trace_id" : "${traceId(4)}",\n    "span_id" : "${spanId(400)}",\n` +
      `    "service" : "s", "operation" : "o",\n    "start_time" :\t${T} ,\n    "end_time" :  ${end}\n,` +
      `    "status" : "ok"\n  }\n ]\n}\n`;
    const res = await api.postRaw(body);
    expect(res.status, res.text).toBe(202);
    const detail = await traceDetail(api, traceId(4));
    expect([nsText(detail.spans[0]!.start_time), nsText(detail.spans[0]!.end_time)]).toEqual([T, end]);
  });

  it('compares after/before exactly, one nanosecond apart', async () => {
    // T−1, T and T+1 are one double apart from nothing: all three round to the same double.
    const Tm1 = add(T, -1n);
    const Tp1 = add(T, 1n);
    expect(Number(Tm1)).toBe(Number(Tp1));
    await expectAccepted(api, [root(10, Tm1), root(11, T), root(12, Tp1)]);

    const starts = async (query: string) => {
      const list = await api.listTraces(query);
      expect(list.total).toBe(list.traces.length);
      return list.traces.map((t) => nsText(t.start_time));
    };
    expect(await starts('')).toEqual([Tp1, T, Tm1]);
    expect(await starts(`after=${T}`)).toEqual([Tp1, T]); // included by after=T
    expect(await starts(`before=${T}`)).toEqual([Tm1]); // excluded by before=T
    expect(await starts(`before=${Tp1}`)).toEqual([T, Tm1]); // included by before=T+1
    expect(await starts(`after=${Tp1}`)).toEqual([Tp1]); // excluded by after=T+1
    expect(await starts(`after=${T}&before=${Tp1}`)).toEqual([T]);
    expect(await starts(`after=0&before=${Tm1}`)).toEqual([]);
  });
});

describe('POST /spans rejects bad input whole, naming the field', () => {
  const VALID_FIELDS = (n: number): Record<string, string> => ({
    trace_id: JSON.stringify(traceId(n)),
    span_id: JSON.stringify(spanId(n * 100)),
    service: '"checkout"',
    operation: '"place_order"',
    start_time: T,
    end_time: add(T, 150_000_000n),
    status: '"ok"',
  });
  /** One span as JSON text; each field is raw JSON text, undefined leaves the field out. */
  function rawSpan(n: number, overrides: Record<string, string | undefined> = {}): string {
    const fields = { ...VALID_FIELDS(n), ...overrides };
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${v}`);
    return `{${parts.join(',')}}`;
  }
  /** Three valid roots of new traces, then the bad span at index 3. */
  function badAt3(overrides: Record<string, string | undefined>): string {
    return `{"spans":[${rawSpan(900)},${rawSpan(901)},${rawSpan(902)},${rawSpan(903, overrides)}]}`;
  }
  const manyTags = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])));
  const validBatch = (count: number) => `{"spans":[${Array.from({ length: count }, (_, i) => rawSpan(2000 + i)).join(',')}]}`;
  const URN = 'urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8';

  type Case = [name: string, body: string, contentType: string | null, status: number, message: RegExp];
  const cases: Case[] = [
    ['span_id not a UUID at index 3', badAt3({ span_id: '"not-a-uuid"' }), 'application/json', 400, /^spans\[3\]\.span_id must be a UUID$/],
    ['urn:uuid: span_id', badAt3({ span_id: JSON.stringify(URN) }), 'application/json', 400, /^spans\[3\]\.span_id must be a UUID$/],
    ['urn:uuid: trace_id', badAt3({ trace_id: JSON.stringify(URN) }), 'application/json', 400, /^spans\[3\]\.trace_id must be a UUID$/],
    ['urn:uuid: parent_span_id', badAt3({ parent_span_id: JSON.stringify(URN) }), 'application/json', 400, /^spans\[3\]\.parent_span_id must be a UUID$/],
    ['span_id without dashes', badAt3({ span_id: '"6ba7b8109dad11d180b400c04fd430c8"' }), 'application/json', 400, /spans\[3\]\.span_id/],
    ['missing operation', badAt3({ operation: undefined }), 'application/json', 400, /spans\[3\]\.operation/],
    ['missing start_time', badAt3({ start_time: undefined }), 'application/json', 400, /spans\[3\]\.start_time/],
    ['missing trace_id', badAt3({ trace_id: undefined }), 'application/json', 400, /spans\[3\]\.trace_id/],
    ['"service": 5 (no coercion in bodies)', badAt3({ service: '5' }), 'application/json', 400, /spans\[3\]\.service must be a string/],
    ['"status": "warn"', badAt3({ status: '"warn"' }), 'application/json', 400, /spans\[3\]\.status/],
    ['"status": "OK"', badAt3({ status: '"OK"' }), 'application/json', 400, /spans\[3\]\.status/],
    ['"parent_span_id": null', badAt3({ parent_span_id: 'null' }), 'application/json', 400, /spans\[3\]\.parent_span_id/],
    ['service longer than 256', badAt3({ service: JSON.stringify('s'.repeat(257)) }), 'application/json', 400, /spans\[3\]\.service/],
    ['end_time < start_time', badAt3({ end_time: add(T, -1n) }), 'application/json', 400, /spans\[3\]\.end_time/],
    ['start_time 1.5', badAt3({ start_time: '1.5' }), 'application/json', 400, /spans\[3\]\.start_time/],
    ['a 19-digit start_time with a fraction (an integer as a double)', badAt3({ start_time: `${T}.5` }), 'application/json', 400, /spans\[3\]\.start_time/],
    ['end_time with a fraction', badAt3({ end_time: `${add(T, 5n)}.25` }), 'application/json', 400, /spans\[3\]\.end_time/],
    ['start_time 2^63 (above int64)', badAt3({ start_time: '9223372036854775808', end_time: '9223372036854775808' }), 'application/json', 400, /spans\[3\]\.start_time/],
    ['end_time 1e19 (above int64)', badAt3({ end_time: '10000000000000000000' }), 'application/json', 400, /spans\[3\]\.end_time/],
    ['start_time below int64', badAt3({ start_time: '-9223372036854775809' }), 'application/json', 400, /spans\[3\]\.start_time/],
    ['start_time as a string', badAt3({ start_time: JSON.stringify(T) }), 'application/json', 400, /spans\[3\]\.start_time/],
    ['tags with 51 keys', badAt3({ tags: manyTags(51) }), 'application/json', 400, /spans\[3\]\.tags/],
    ['a tag value that is a number', badAt3({ tags: '{"retries":3}' }), 'application/json', 400, /spans\[3\]\.tags/],
    ['a tag value that is null', badAt3({ tags: '{"a":null}' }), 'application/json', 400, /spans\[3\]\.tags/],
    ['a tag value longer than 1024', badAt3({ tags: JSON.stringify({ a: 'x'.repeat(1025) }) }), 'application/json', 400, /spans\[3\]\.tags/],
    ['a tag key longer than 256', badAt3({ tags: JSON.stringify({ ['k'.repeat(257)]: 'v' }) }), 'application/json', 400, /^spans\[3\]\.tags: keys must be at most 256 characters/],
    ['tags as an array', badAt3({ tags: '["a"]' }), 'application/json', 400, /spans\[3\]\.tags/],
    ['501 spans', validBatch(501), 'application/json', 400, /\bspans\b.*500/],
    ['an empty spans array', '{"spans":[]}', 'application/json', 400, /\bspans\b/],
    ['no spans field', '{}', 'application/json', 400, /\bspans\b/],
    ['spans not an array', `{"spans":${rawSpan(904)}}`, 'application/json', 400, /\bspans\b/],
    ['a JSON null body', 'null', 'application/json', 400, /./],
    ['a JSON array body', `[${rawSpan(905)}]`, 'application/json', 400, /./],
    ['malformed JSON', `{"spans":[${rawSpan(906)}`, 'application/json', 400, /JSON/],
    ['trailing garbage after JSON', `${validBatch(1)}x`, 'application/json', 400, /JSON/],
    ['an empty body', '', 'application/json', 400, /empty/],
    ['a whitespace-only body', '  \n ', 'application/json', 400, /./],
    ['text/plain', validBatch(1), 'text/plain', 415, /application\/json/],
    ['a form content type', validBatch(1), 'application/x-www-form-urlencoded', 415, /application\/json/],
    ['no content type', validBatch(1), null, 415, /application\/json/],
  ];

  // One collector for the whole table (nothing may be stored by any case).
  let shared: Api;
  beforeAll(async () => {
    shared = await startCollector({ windowMinutes: WINDOW_MINUTES });
    await expectAccepted(shared, [root(1, T), child(1, 1, add(T, 1n))]);
  });
  afterAll(async () => {
    await shared.close();
  });

  it.each(cases)('%s', async (_name, body, contentType, status, message) => {
    const totalBefore = await shared.total();
    const spansBefore = await shared.metric('traced_store_spans');
    const acceptedBefore = await shared.metric('traced_spans_accepted_total');
    expect(totalBefore).toBe(1);
    expect(spansBefore).toBe(2);

    const res = await shared.postRaw(body, contentType);
    expect(res.status, res.text).toBe(status);
    expect(errorOf(res)).toMatch(message);

    expect(await shared.total()).toBe(totalBefore);
    expect(await shared.metric('traced_store_spans')).toBe(spansBefore);
    expect(await shared.metric('traced_spans_accepted_total')).toBe(acceptedBefore);
    for (const n of [900, 901, 902, 903]) expect((await shared.get(`/traces/${traceId(n)}`)).status).toBe(404);
  });

  it('accepts exactly 500 spans, and the valid form of the table batch', async () => {
    const res = await shared.postRaw(validBatch(500));
    expect(res.status, res.text).toBe(202);
    expect(res.json).toEqual({ status: 'ok', accepted: 500, discarded: 0 });
    const ok = await shared.postRaw(badAt3({}));
    expect(ok.status, ok.text).toBe(202);
    expect(await shared.total()).toBe(1 + 500 + 4);
  });
});

describe('POST /spans accepts every limit exactly', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('50 tags of 1024 characters, 256-character names, counted in characters not UTF-16 units', async () => {
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, String.fromCharCode(97 + (i % 26)).repeat(1024)]));
    const emoji = '\u{1F600}';
    const spans = [
      root(80, T, { tags, service: 's'.repeat(256), operation: 'o'.repeat(256) }),
      root(81, T, { service: emoji.repeat(256), tags: { wide: emoji.repeat(1024) } }),
      root(82, T, { service: 'a\u0001b\u2028c', operation: 'lone \ud800 surrogate', tags: { 'key with "quotes" and \\': 'v' } }),
    ];
    await expectAccepted(api, spans);
    for (const s of spans) {
      const detail = await traceDetail(api, s.trace_id);
      expect(detail.spans[0]).toMatchObject({ service: s.service, operation: s.operation ?? 'place_order', tags: s.tags });
    }
    const tooWide = await api.postSpans([root(83, T, { service: emoji.repeat(257) })]);
    expect(tooWide.status).toBe(400);
    expect(errorOf(tooWide)).toMatch(/spans\[0\]\.service/);
    expect(await api.total()).toBe(3);
  });
});

describe('POST /spans body size limit', () => {
  it('answers 413 over MAX_BODY_BYTES and stores nothing', async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES, maxBodyBytes: 2048 });
    const small = spansBody([root(1, T)]);
    expect(Buffer.byteLength(small)).toBeLessThan(2048);
    await expectAccepted(api, [root(1, T)]);

    const spans = Array.from({ length: 12 }, (_, i) => root(100 + i, T, { tags: { note: 'x'.repeat(100) } }));
    const big = spansBody(spans);
    expect(Buffer.byteLength(big)).toBeGreaterThan(2048);
    const res = await api.postRaw(big);
    expect(res.status).toBe(413);
    expect(errorOf(res)).toMatch(/MAX_BODY_BYTES|2048/);
    expect(await api.total()).toBe(1);
    expect(await api.metric('traced_store_spans')).toBe(1);

    // Without a content-length (chunked), the limit still holds.
    async function* chunks(): AsyncGenerator<Buffer> {
      const half = Math.floor(big.length / 2);
      yield Buffer.from(big.slice(0, half));
      yield Buffer.from(big.slice(half));
    }
    const chunked = await request(`${api.baseUrl}/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(chunks()),
    });
    const chunkedText = await chunked.body.text();
    expect(chunked.statusCode, chunkedText).toBe(413);
    expect(api.contract.check('POST', '/spans', 413, String(chunked.headers['content-type']), chunkedText)).toEqual([]);
    expect(await api.total()).toBe(1);
    expect(await api.metric('traced_store_spans')).toBe(1);
  });
});

describe('tag keys that name Object.prototype members', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('stores __proto__, constructor and prototype verbatim and leaves Object.prototype alone', async () => {
    const protoNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const tid = traceId(40);
    const body =
      `{"spans":[{"trace_id":"${tid}","span_id":"${spanId(4000)}","service":"s","operation":"o",` +
      `"start_time":${T},"end_time":${T},"status":"ok",` +
      `"tags":{"__proto__":"polluted","constructor":"c","prototype":"p","plain":"v"}}]}`;
    const res = await api.postRaw(body);
    expect(res.status, res.text).toBe(202);
    expect(res.json).toEqual({ status: 'ok', accepted: 1, discarded: 0 });

    const detail = await api.get(`/traces/${tid}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('"__proto__":"polluted"');
    const tags = ((detail.json as JsonObject).spans as JsonObject[])[0]!.tags as JsonObject;
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
    expect(Object.keys(tags).sort()).toEqual(['__proto__', 'constructor', 'plain', 'prototype']);
    expect(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value).toBe('polluted');
    expect(Object.getOwnPropertyDescriptor(tags, 'constructor')?.value).toBe('c');
    expect(Object.getOwnPropertyDescriptor(tags, 'prototype')?.value).toBe('p');

    // The collector runs in this process: a polluted prototype would show here.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNamesBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.constructor).toBe(Object);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(typeof ({} as { constructor: unknown }).constructor).toBe('function');
  });

  it('stores other Object.prototype member names verbatim from a plain compact body too', async () => {
    const protoNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const tags = { constructor: 'c', prototype: 'p', toString: 't', hasOwnProperty: 'h', valueOf: 'v', __defineGetter__: 'g' };
    await expectAccepted(api, [root(41, T, { tags })]);
    const detail = await traceDetail(api, traceId(41));
    const stored = detail.spans[0]!.tags as JsonObject;
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(Object.keys(stored).sort()).toEqual(Object.keys(tags).sort());
    for (const [k, v] of Object.entries(tags)) expect(Object.getOwnPropertyDescriptor(stored, k)?.value, k).toBe(v);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNamesBefore);
    expect(typeof Object.prototype.toString).toBe('function');
    expect(typeof Object.prototype.hasOwnProperty).toBe('function');
  });
});

describe('every way of writing a body stores the same thing', () => {
  it('a compact body and the same body with escapes, spacing and reordered keys give identical answers', async () => {
    const spans: WireSpanInput[] = [
      root(70, T, { end_time: add(T, 150_000_001n), tags: { order_id: 'ord_1', region: 'eu' }, service: 'checkout' }),
      child(70, 1, add(T, 3n), { status: 'error', service: 'inventory', operation: 'reserve' }),
      { ...child(70, 2, add(T, 2n)), trace_id: traceId(70).toUpperCase(), span_id: spanId(7002).toUpperCase() },
      root(71, add(T, 9n), { tags: {} }),
    ];
    const compact = spansBody(spans);
    // Same content: every string written with an escape, keys reversed, spaces between tokens.
    const escaped = (value: string) => JSON.stringify(value).replace(/[a-z]/, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`);
    const general =
      '{ "spans" : [ ' +
      spans
        .map((s) => {
          const end = s.end_time ?? add(s.start_time, 150_000_000n);
          const fields: string[] = [];
          if (s.tags !== undefined) {
            fields.push(`"tags" : { ${Object.entries(s.tags).map(([k, v]) => `${escaped(k)} : ${escaped(v)}`).join(' , ')} }`);
          }
          fields.push(`"status" : ${escaped(s.status ?? 'ok')}`, `"end_time" : ${end}`, `"start_time" : ${s.start_time}`);
          fields.push(`"operation" : ${escaped(s.operation ?? 'place_order')}`, `"service" : ${escaped(s.service ?? 'checkout')}`);
          if (s.parent_span_id !== undefined) fields.push(`"parent_span_id" : ${escaped(s.parent_span_id)}`);
          fields.push(`"span_id" : ${JSON.stringify(s.span_id)}`, `"trace_id" : ${JSON.stringify(s.trace_id)}`);
          return `{ ${fields.join(' , ')} }`;
        })
        .join(' , ') +
      ' ] }';
    expect(JSON.parse(general)).toEqual(JSON.parse(compact));

    const answers: string[][] = [];
    for (const body of [compact, general]) {
      const c = await startCollector({ windowMinutes: WINDOW_MINUTES });
      try {
        const res = await c.postRaw(body);
        expect(res.status, res.text).toBe(202);
        expect(res.json).toEqual({ status: 'ok', accepted: 4, discarded: 0 });
        answers.push([
          (await c.get('/traces')).text,
          (await c.get(`/traces/${traceId(70)}`)).text,
          (await c.get(`/traces/${traceId(71)}`)).text,
        ]);
      } finally {
        await c.close();
      }
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]![0]).toContain(`"start_time":${add(T, 9n)}`);
    expect(answers[0]![1]).toContain(`"end_time":${add(T, 150_000_001n)}`);
    expect(answers[0]![1]).toContain(`"span_id":"${spanId(7002)}"`);
    expect(answers[0]![2]).toContain('"tags":{}');
  });
});

describe('GET /traces', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('defaults to 20, limit=0 gives only the total, total counts before the limit', async () => {
    const spans = Array.from({ length: 25 }, (_, i) => root(100 + i, add(T, BigInt(i) * 1_000_000n)));
    await expectAccepted(api, spans);
    const list = await api.listTraces();
    expect(list.total).toBe(25);
    expect(list.traces).toHaveLength(20);
    // The newest 20, newest first.
    expect(list.traces.map((t) => t.trace_id)).toEqual(Array.from({ length: 20 }, (_, i) => traceId(124 - i)));

    expect(await api.listTraces('limit=0')).toEqual({ traces: [], total: 25 });
    const three = await api.listTraces('limit=3');
    expect(three.total).toBe(25);
    expect(three.traces.map((t) => t.trace_id)).toEqual([traceId(124), traceId(123), traceId(122)]);
    expect((await api.listTraces('limit=1000')).traces).toHaveLength(25);

    const after = add(T, 10n * 1_000_000n);
    const filtered = await api.listTraces(`after=${after}&limit=2`);
    expect(filtered.total).toBe(15);
    expect(filtered.traces.map((t) => t.trace_id)).toEqual([traceId(124), traceId(123)]);
    const bounded = await api.listTraces(`after=${after}&before=${add(after, 5n * 1_000_000n)}&limit=0`);
    expect(bounded).toEqual({ traces: [], total: 5 });
  });

  it('orders by start_time descending, ties by trace_id ascending', async () => {
    const S = add(T, 7n);
    await expectAccepted(api, [
      root(3, S),
      root(50, add(S, -1n)),
      root(1, S),
      root(60, add(S, 1n)),
      root(2, S),
    ]);
    const list = await api.listTraces();
    expect(list.traces.map((t) => t.trace_id)).toEqual([traceId(60), traceId(1), traceId(2), traceId(3), traceId(50)]);
    expect(list.traces.map((t) => nsText(t.start_time))).toEqual([add(S, 1n), S, S, S, add(S, -1n)]);
  });

  it('lists only rooted traces, counts every span received, and reports error from any span', async () => {
    // Children before their root; a child in error under an ok root; an orphan that never gets a root.
    await expectAccepted(api, [child(7, 1, add(T, 5n)), child(7, 2, add(T, 6n), { status: 'error' }), child(8, 1, T)]);
    expect(await api.listTraces()).toEqual({ traces: [], total: 0 });
    await expectAccepted(api, [root(7, T, { status: 'ok' })]);
    const list = await api.listTraces();
    expect(list.total).toBe(1);
    expect(list.traces[0]).toMatchObject({ trace_id: traceId(7), span_count: 3, status: 'error' });
    // The orphan's trace is still readable by id, with the spans that arrived.
    const orphan = await traceDetail(api, traceId(8));
    expect(orphan.spans.map((s) => s.span_id)).toEqual([spanId(801)]);
  });

  it.each([
    ['limit=1001', /limit/],
    ['limit=-1', /limit/],
    ['limit=1.5', /limit/],
    ['limit=abc', /limit/],
    ['limit=0x10', /limit/],
    ['limit=1e1', /limit/],
    ['limit=%205', /limit/],
    ['after=-1', /after/],
    ['before=-5', /before/],
    ['after=abc', /after/],
    ['after=1.5', /after/],
    ['before=9223372036854775808', /before/],
    ['after=99999999999999999999', /after/],
    [`after=${T}&before=${T}`, /after.*before|before.*after/],
    [`after=${add(T, 1n)}&before=${T}`, /after.*before|before.*after/],
  ])('%s → 400 {error}', async (query, message) => {
    await expectAccepted(api, [root(1, T)]);
    const res = await api.get(`/traces?${query}`);
    expect(res.status, res.text).toBe(400);
    expect(errorOf(res)).toMatch(message);
  });
});

describe('GET /traces/{trace_id}', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('returns spans by start_time ascending, one nanosecond apart', async () => {
    await expectAccepted(api, [child(5, 2, add(T, 2n)), root(5, T), child(5, 3, add(T, 3n)), child(5, 1, add(T, 1n))]);
    const detail = await traceDetail(api, traceId(5));
    expect(detail.spans.map((s) => nsText(s.start_time))).toEqual([T, add(T, 1n), add(T, 2n), add(T, 3n)]);
    expect(detail.spans.map((s) => s.span_id)).toEqual([spanId(500), spanId(501), spanId(502), spanId(503)]);
  });

  it('400 for a non-UUID id, 404 for an unknown one', async () => {
    await expectAccepted(api, [root(5, T)]);
    for (const bad of ['not-a-uuid', '12345', `${traceId(5)}0`, encodeURIComponent(`urn:uuid:${traceId(5)}`)]) {
      const res = await api.get(`/traces/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(errorOf(res)).toMatch(/trace_id/);
    }
    const missing = await api.get(`/traces/${traceId(6)}`);
    expect(missing.status).toBe(404);
    expect(errorOf(missing)).not.toBe('');
  });

  it('matches ids case-insensitively and returns them in lowercase', async () => {
    const upperTrace = traceId(0xabc).toUpperCase();
    await expectAccepted(api, [
      { trace_id: upperTrace, span_id: 'ABCDEF00-0000-4000-8000-0000000000AA', start_time: T },
      { trace_id: upperTrace, span_id: 'abcdef00-0000-4000-8000-0000000000bb', parent_span_id: 'ABCDEF00-0000-4000-8000-0000000000AA', start_time: add(T, 1n) },
    ]);
    for (const id of [upperTrace, upperTrace.toLowerCase()]) {
      const detail = await traceDetail(api, id);
      expect(detail.trace_id).toBe(upperTrace.toLowerCase());
      for (const s of detail.spans) {
        expect(s.trace_id).toMatch(LOWERCASE_UUID);
        expect(s.span_id).toMatch(LOWERCASE_UUID);
      }
      expect(detail.spans.map((s) => [s.span_id, s.parent_span_id])).toEqual([
        ['abcdef00-0000-4000-8000-0000000000aa', undefined],
        ['abcdef00-0000-4000-8000-0000000000bb', 'abcdef00-0000-4000-8000-0000000000aa'],
      ]);
    }
    expect((await api.listTraces()).traces[0]!.trace_id).toBe(upperTrace.toLowerCase());
  });

  it('404 once the window has passed the trace', async () => {
    await expectAccepted(api, [root(5, T), child(5, 1, add(T, 1n))]);
    expect((await api.get(`/traces/${traceId(5)}`)).status).toBe(200);
    // T is 10 minutes before now; the window edge passes it after 20 more minutes.
    api.clock.advance((WINDOW_MINUTES - 10) * 60_000 - 1000);
    expect((await api.get(`/traces/${traceId(5)}`)).status).toBe(200);
    api.clock.advance(2000);
    const gone = await api.get(`/traces/${traceId(5)}`);
    expect(gone.status).toBe(404);
    expect(errorOf(gone)).not.toBe('');
    expect(await api.listTraces()).toEqual({ traces: [], total: 0 });
  });
});

describe('idempotent ingest', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('re-sending a batch answers 202 with the same counts and stores nothing twice', async () => {
    const batch = [root(9, T), child(9, 1, add(T, 1n)), child(9, 2, add(T, 2n), { status: 'error' })];
    await expectAccepted(api, batch, 3, 0);
    await expectAccepted(api, batch, 3, 0);
    const list = await api.listTraces();
    expect(list.total).toBe(1);
    expect(list.traces[0]).toMatchObject({ span_count: 3, status: 'error' });
    expect((await traceDetail(api, traceId(9))).spans).toHaveLength(3);
    expect(await api.metric('traced_spans_duplicate_total')).toBe(3);
    expect(await api.metric('traced_store_spans')).toBe(3);
    expect(await api.metric('traced_store_traces')).toBe(1);
  });

  it('a span repeated inside one batch, or re-sent with other fields, changes nothing', async () => {
    await expectAccepted(api, [root(9, T), root(9, T)], 2, 0);
    expect((await api.listTraces()).traces[0]).toMatchObject({ span_count: 1, status: 'ok' });
    expect(await api.metric('traced_spans_duplicate_total')).toBe(1);

    await expectAccepted(api, [root(9, add(T, 1n), { status: 'error', service: 'other', end_time: add(T, 999_000_000n) })], 1, 0);
    const list = await api.listTraces();
    expect(list.total).toBe(1);
    expect(list.traces[0]).toMatchObject({ span_count: 1, status: 'ok', root_service: 'checkout', duration_ms: 150 });
    expect(nsText(list.traces[0]!.start_time)).toBe(T);
    const detail = await traceDetail(api, traceId(9));
    expect(detail.spans).toHaveLength(1);
    expect(detail.spans[0]).toMatchObject({ service: 'checkout', status: 'ok' });
    expect(await api.metric('traced_store_spans')).toBe(1);

    // The same span_id in another trace is another span.
    await expectAccepted(api, [{ ...root(10, T), span_id: spanId(900) }], 1, 0);
    expect(await api.total()).toBe(2);
    expect(await api.metric('traced_store_spans')).toBe(2);
  });
});

describe('CORS, docs and the served contract', () => {
  it('answers a cross-origin GET and a POST preflight (any origin by default)', async () => {
    api = await startCollector();
    const get = await api.get('/traces', { origin: 'http://localhost:8081' });
    expect(get.status).toBe(200);
    expect(['*', 'http://localhost:8081']).toContain(get.headers['access-control-allow-origin']);

    const preflight = await api.request('OPTIONS', '/spans', {
      headers: {
        origin: 'http://localhost:8081',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBeGreaterThanOrEqual(200);
    expect(preflight.status).toBeLessThan(300);
    expect(['*', 'http://localhost:8081']).toContain(preflight.headers['access-control-allow-origin']);
    expect(String(preflight.headers['access-control-allow-methods'])).toMatch(/\bPOST\b/);
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toMatch(/\bcontent-type\b/);
  });

  it('allows only the configured origins when CORS_ORIGIN lists them', async () => {
    api = await startCollector({ corsOrigin: ['http://localhost:8081'] });
    const allowed = await api.get('/traces', { origin: 'http://localhost:8081' });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:8081');
    const other = await api.get('/traces', { origin: 'http://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('/docs serves Swagger UI from local assets, no CDN', async () => {
    api = await startCollector();
    const docs = await api.get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.contentType).toMatch(/^text\/html/);
    expect(docs.text).toMatch(/swagger-ui/i);
    const sources = [...docs.text.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    expect(docs.text).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)[^"'\s]*\.(?:js|css)/i);
    for (const src of sources) {
      expect(src, 'asset from a remote host').not.toMatch(/^(?:https?:)?\/\//i);
      const url = src.startsWith('/') ? src : `/docs/${src.replace(/^\.\//, '')}`;
      const asset = await api.get(url);
      expect(asset.status, url).toBe(200);
      if (/\.js$/.test(url)) expect(asset.text, url).not.toMatch(/<script[^>]+src=["']https:\/\//i);
    }
  });

  it('/openapi.yaml serves the YAML contract', async () => {
    api = await startCollector();
    const res = await api.get('/openapi.yaml');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/yaml/);
    expect(parseYaml(res.text)).toEqual(parseYaml(readFileSync(projectOpenapiPath, 'utf8')));
  });

  it('/health answers 200 {status: "ok"}', async () => {
    api = await startCollector();
    const res = await api.get('/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });

  it('serves every path and method the contract declares', async () => {
    api = await startCollector();
    const paths = api.contract.doc.paths as JsonObject;
    for (const [template, item] of Object.entries(paths)) {
      for (const method of Object.keys(item as JsonObject)) {
        const url = template.replace(/\{([^}]+)\}/g, ':$1');
        expect(api.collector.app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method} ${template}`).toBe(true);
      }
    }
  });
});

describe('/metrics', () => {
  it('exposes the store and ingest series, with stale and future discards at the exact edges', async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
    const text = await api.metricsText();
    for (const name of [
      'traced_store_spans',
      'traced_store_traces',
      'traced_spans_accepted_total',
      'traced_spans_duplicate_total',
      'traced_evicted_spans_total',
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name} 0$`, 'm'));
    }
    expect(text).toMatch(/^traced_spans_discarded_total\{reason="stale"\} 0$/m);
    expect(text).toMatch(/^traced_spans_discarded_total\{reason="future"\} 0$/m);

    const edge = add(NOW_NS, -WINDOW_NS);
    const future = add(NOW_NS, 5n * 60_000_000_000n);
    const res = await api.postSpans([
      root(1, T),
      root(2, edge), // exactly at the window edge: held
      root(3, add(edge, -1n)), // one nanosecond older: stale
      root(4, add(NOW_NS, -WINDOW_NS - 60_000_000_000n)), // a minute older: stale
      root(5, future), // exactly five minutes ahead: held
      root(6, add(future, 1n)), // one nanosecond more: future
    ]);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'ok', accepted: 3, discarded: 3 });

    expect(await api.metric('traced_spans_accepted_total')).toBe(3);
    expect(await api.metric('traced_spans_discarded_total', { reason: 'stale' })).toBe(2);
    expect(await api.metric('traced_spans_discarded_total', { reason: 'future' })).toBe(1);
    expect(await api.metric('traced_store_spans')).toBe(3);
    expect(await api.metric('traced_store_traces')).toBe(3);
    const list = await api.listTraces();
    expect(list.traces.map((t) => t.trace_id).sort()).toEqual([traceId(1), traceId(2), traceId(5)]);
  });

  it('shows eviction with no ingest traffic', async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES, evictionIntervalMs: 20 });
    await expectAccepted(api, [root(1, T), child(1, 1, add(T, 1n)), root(2, add(T, 60_000_000_000n))]);
    expect(await api.metric('traced_store_spans')).toBe(3);
    expect(await api.metric('traced_evicted_spans_total')).toBe(0);

    api.clock.advance((WINDOW_MINUTES + 5) * 60_000);
    let last = '';
    await waitFor(
      'traced_evicted_spans_total > 0 and traced_store_spans = 0',
      async () => {
        last = await api.metricsText();
        return (metricValue(last, 'traced_evicted_spans_total') ?? 0) > 0 && metricValue(last, 'traced_store_spans') === 0;
      },
      5000,
      25,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${last.split('\n').filter((l) => l.startsWith('traced_')).join('\n')}`);
    });
    expect(await api.metric('traced_evicted_spans_total')).toBe(3);
    expect(await api.metric('traced_store_traces')).toBe(0);
    expect(await api.listTraces()).toEqual({ traces: [], total: 0 });
  });
});

describe('the response check in the helper', () => {
  it('rejects responses that break the contract', () => {
    const check = contractValidator();
    const json = 'application/json; charset=utf-8';
    const summary = `{"trace_id":"${traceId(1)}","root_service":"s","root_operation":"o","span_count":1,"duration_ms":0,"start_time":${T},"status":"ok"}`;
    expect(check.check('GET', '/traces', 200, json, `{"traces":[${summary}],"total":1}`)).toEqual([]);
    // Each of these must be caught.
    const bad: Array<[string, string, number, string, string]> = [
      ['POST', '/spans', 202, json, '{"status":"ok"}'],
      ['POST', '/spans', 202, json, '{"status":"ok","accepted":-1,"discarded":0}'],
      ['GET', '/traces', 200, json, `{"traces":[${summary.replace(`${T}`, `"${T}"`)}],"total":1}`],
      ['GET', '/traces', 200, json, `{"traces":[${summary.replace(traceId(1), traceId(1).toUpperCase())}],"total":1}`],
      ['GET', '/traces', 200, json, `{"traces":[${summary.replace('"ok"', '"warn"')}],"total":1}`],
      ['GET', '/traces', 200, json, `{"traces":[${summary}],"total":1.5}`],
      ['GET', '/traces', 200, json, `{"traces":[${summary}]}`],
      ['GET', '/traces', 500, json, '{"error":"internal error"}'],
      ['GET', '/traces', 200, 'text/plain', `{"traces":[],"total":0}`],
      ['GET', `/traces/${traceId(1)}`, 404, json, '{"message":"not found"}'],
      ['GET', `/traces/${traceId(1)}`, 200, json, `{"trace_id":"${traceId(1)}","spans":[{"trace_id":"${traceId(1)}"}]}`],
      ['POST', '/spans', 413, json, 'not json'],
      ['GET', '/health', 200, json, '{"status":"fine"}'],
    ];
    for (const [method, path, status, type, body] of bad) {
      expect(check.check(method, path, status, type, body).length, `${method} ${path} ${status} ${body}`).toBeGreaterThan(0);
    }
  });
});

describe('lossless JSON reading in the helper', () => {
  it('keeps 16+ digit integers exact and leaves strings alone', () => {
    const parsed = parseJsonLossless(`{"a":${T},"b":"${T}","c":12345,"d":[-${T}],"e":"x\\"${T}","f":1.5e3}`) as JsonObject;
    expect(parsed).toEqual({ a: T, b: T, c: 12345, d: [`-${T}`], e: `x"${T}`, f: 1500 });
    // Why the helper exists: JSON.parse loses the low digits.
    expect(String(JSON.parse(`{"a":${T}}`).a)).not.toBe(T);
  });
});
