// Contract tests for what POST /spans refuses and where its limits lie: a bad span anywhere
// rejects the whole batch with a message naming the field and stores nothing; every limit is
// accepted exactly at its value (tags counted in characters); bodies over MAX_BODY_BYTES get 413,
// chunked or not; tag keys named after Object.prototype members are stored verbatim without
// polluting the prototype. Answers are validated against openapi.yaml by test/support/http.ts.

import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { add, child, closeStarted, errorOf, expectAccepted, root, spanId, T, traceDetail, traceId, WINDOW_MINUTES } from '../support/contract-fixtures.js';
import { spansBody, startCollector, type Api, type JsonObject } from '../support/http.js';

/** The collector of the running test; closed (once) after each test that started one. */
let api: Api;
afterEach(() => closeStarted(api, () => (api = undefined as unknown as Api)));

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
