// Per-request limits on every ingest path, against a real collector on 127.0.0.1: bytes that are
// not UTF-8 (POST /spans, POST /logs, OTLP/JSON), tag and attribute keys longer than 256
// characters (all paths, both POST /spans parsers), and the OTLP span cap. Each refusal is a 4xx
// naming the field or the limit, nothing of the request is stored, and a valid request next to it
// still is.

import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_MAX_OTLP_SPANS_PER_REQUEST, loadConfig } from '../../src/config.js';
import type { OtlpEncoding } from '../../src/otlp/otlp-body.js';
import { decodeProtobufStatus } from '../../src/otlp/protobuf-codec.js';
import { MAX_SPANS_PER_BATCH, MAX_TAG_KEY_LENGTH } from '../../schemas/span.js';
import { encodeRequest, protobufBody, requestObject, str, type TestSpan } from '../otlp/builders.js';
import { rawRequest } from '../otlp/support.js';
import { DEFAULT_NOW_MS, spansBody, startCollector, type Api, type JsonObject, type WireSpanInput } from '../support/http.js';
import { nsAt, uuid } from '../support/spans.js';

/** The bytes: not UTF-8 (ff and fe never occur in it; c3 needs a continuation byte, not '('). */
const INVALID = [0xff, 0xfe, 0xc3, 0x28];
/** Stands in a body's text where INVALID goes. */
const MARK = 'INVALID-BYTES';
const START = nsAt(DEFAULT_NOW_MS - 60_000, 123n);

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(env: Record<string, string> = {}): Promise<Api> {
  api = await startCollector({ env });
  return api;
}

/** `text` with every MARK replaced by the INVALID bytes. */
function withInvalidBytes(text: string): Buffer {
  const parts = text.split(MARK);
  const chunks: Buffer[] = [];
  parts.forEach((part, i) => {
    if (i > 0) chunks.push(Buffer.from(INVALID));
    chunks.push(Buffer.from(part, 'utf8'));
  });
  return Buffer.concat(chunks);
}

function wireSpan(n: number, extra: Partial<WireSpanInput> = {}): WireSpanInput {
  return { trace_id: uuid(n), span_id: uuid(n, 1), start_time: START, service: 'checkout', operation: 'place_order', ...extra };
}

async function expectNoTrace(a: Api, traceId: string): Promise<void> {
  expect((await a.get(`/traces/${traceId}`)).status).toBe(404);
}

describe('POST /spans refuses bytes that are not UTF-8, naming the field', () => {
  // Every string field of a span, in the second span of the batch so that the first one shows
  // the whole batch is refused.
  const cases: Array<[string, Partial<WireSpanInput>, string]> = [
    ['trace_id', { trace_id: MARK }, 'spans[1].trace_id: not valid UTF-8'],
    ['span_id', { span_id: MARK }, 'spans[1].span_id: not valid UTF-8'],
    ['parent_span_id', { parent_span_id: MARK }, 'spans[1].parent_span_id: not valid UTF-8'],
    ['service', { service: MARK }, 'spans[1].service: not valid UTF-8'],
    ['operation', { operation: `get ${MARK} order` }, 'spans[1].operation: not valid UTF-8'],
    ['status', { status: MARK as 'ok' }, 'spans[1].status: not valid UTF-8'],
    ['a tag value', { tags: { region: 'eu', env: `prod${MARK}` } }, 'spans[1].tags.env: not valid UTF-8'],
    ['a tag key', { tags: { region: 'eu', [`env${MARK}`]: 'prod' } }, 'spans[1].tags: a key is not valid UTF-8'],
  ];

  it.each(cases)('in %s: 400, and nothing of the batch is stored', async (_field, extra, message) => {
    const a = await start();
    const res = await a.postRaw(withInvalidBytes(spansBody([wireSpan(1), wireSpan(2, extra)])));
    expect(res.status).toBe(400);
    expect((res.json as JsonObject).error).toBe(message);
    await expectNoTrace(a, uuid(1));
    expect(await a.total()).toBe(0);
    expect(await a.metric('traced_batches_rejected_total', { reason: 'invalid' })).toBe(1);
  });

  it('stores valid non-ASCII UTF-8 exactly, and a valid batch after a refused one', async () => {
    const a = await start();
    expect((await a.postRaw(withInvalidBytes(spansBody([wireSpan(1, { service: MARK })])))).status).toBe(400);
    const service = 'Zürich 😀 ✓';
    const res = await a.postSpans([wireSpan(2, { service, tags: { 'città': 'ünïcödé 😀' } })]);
    expect(res.status).toBe(202);
    const detail = (await a.get(`/traces/${uuid(2)}`)).json as { spans: JsonObject[] };
    expect(detail.spans[0]!.service).toBe(service);
    expect(detail.spans[0]!.tags).toEqual({ 'città': 'ünïcödé 😀' });
    await expectNoTrace(a, uuid(1));
  });
});

describe(`tag keys are at most ${MAX_TAG_KEY_LENGTH} characters on POST /spans`, () => {
  const long = 'k'.repeat(MAX_TAG_KEY_LENGTH + 1);
  // A plain ASCII body takes the fast parser; an escape sequence anywhere sends it to the general
  // path. Both must refuse, with the same message.
  const bodies: Array<[string, (tags: Record<string, string>) => string]> = [
    ['plain ASCII (fast parser)', (tags) => spansBody([wireSpan(1), wireSpan(2, { tags })])],
    ['with an escape (general path)', (tags) => spansBody([wireSpan(1), wireSpan(2, { tags })]).replace('"place_order"', '"place\\u005Forder"')],
  ];

  it.each(bodies)('%s: a longer key is a 400 naming the span and the limit, and nothing is stored', async (_label, body) => {
    const a = await start();
    const res = await a.postRaw(body({ env: 'prod', [long]: 'v' }));
    expect(res.status).toBe(400);
    const error = String((res.json as JsonObject).error);
    expect(error).toContain('spans[1].tags');
    expect(error).toContain(`at most ${MAX_TAG_KEY_LENGTH} characters`);
    expect(await a.total()).toBe(0);
    await expectNoTrace(a, uuid(1));
  });

  it('counts characters, not bytes or UTF-16 units: 256 are accepted, 257 refused', async () => {
    const a = await start();
    for (const key of ['k'.repeat(MAX_TAG_KEY_LENGTH), 'é'.repeat(MAX_TAG_KEY_LENGTH), '😀'.repeat(MAX_TAG_KEY_LENGTH)]) {
      expect((await a.postSpans([wireSpan(3, { tags: { [key]: 'v' } })])).status, `${key.length} units`).toBe(202);
    }
    const res = await a.postSpans([wireSpan(4, { tags: { ['é'.repeat(MAX_TAG_KEY_LENGTH + 1)]: 'v' } })]);
    expect(res.status).toBe(400);
    await expectNoTrace(a, uuid(4));
    expect(((await a.get(`/traces/${uuid(3)}`)).json as { spans: JsonObject[] }).spans).toHaveLength(1);
  });
});

describe('POST /logs', () => {
  const log = (extra: Record<string, unknown>): string =>
    JSON.stringify({ logs: [{ time: 1, trace_id: uuid(9), service: 'checkout', level: 'info', message: 'ok', ...extra }] }).replace('"time":1', `"time":${START}`);
  const postLogs = (a: Api, body: string | Buffer) => a.request('POST', '/logs', { headers: { 'content-type': 'application/json' }, body });

  it('refuses a message that is not UTF-8, naming it, and stores nothing', async () => {
    const a = await start();
    const res = await postLogs(a, withInvalidBytes(log({ message: `stock ${MARK}` })));
    expect(res.status).toBe(400);
    expect((res.json as JsonObject).error).toBe('logs[0].message: not valid UTF-8');
    expect((await a.get(`/traces/${uuid(9)}/logs`)).status).toBe(404);
  });

  it(`refuses an attribute key longer than ${MAX_TAG_KEY_LENGTH} characters, and takes a valid batch`, async () => {
    const a = await start();
    const res = await postLogs(a, log({ attributes: { ['a'.repeat(MAX_TAG_KEY_LENGTH + 1)]: 'v' } }));
    expect(res.status).toBe(400);
    expect(String((res.json as JsonObject).error)).toMatch(/^logs\[0\]\.attributes: keys must be at most 256 characters/);
    expect((await a.get(`/traces/${uuid(9)}/logs`)).status).toBe(404);
    expect((await postLogs(a, log({ attributes: { ['a'.repeat(MAX_TAG_KEY_LENGTH)]: 'v' } }))).status).toBe(202);
  });

  it('refuses a body over MAX_LOG_BODY_BYTES with a 413 naming it, stores nothing, and takes one at the limit', async () => {
    const a = await start({ MAX_LOG_BODY_BYTES: '4096' });
    const padded = (bytes: number): string => {
      const body = log({ message: '' });
      return body.replace('"message":""', `"message":"${'m'.repeat(bytes - body.length)}"`);
    };
    const over = await postLogs(a, padded(4097));
    expect(over.status).toBe(413);
    expect((over.json as JsonObject).error).toBe('the request body is larger than the limit of 4096 bytes for POST /logs (MAX_LOG_BODY_BYTES)');
    expect((await a.get(`/traces/${uuid(9)}/logs`)).status).toBe(404);
    expect((await postLogs(a, padded(4096))).status).toBe(202);
    // The limit is the logs' own: a span batch larger than it is still taken.
    const spans = Array.from({ length: 6 }, (_, i) => wireSpan(10 + i, { tags: { note: 'n'.repeat(1000) } }));
    expect(spansBody(spans).length).toBeGreaterThan(4096);
    expect((await a.postSpans(spans)).status).toBe(202);
  });

  it('MAX_LOG_BODY_BYTES: 4 MiB by default, at most MAX_BODY_BYTES, and a bad value stops start-up naming it', () => {
    expect(loadConfig({}).maxLogBodyBytes).toBe(4 * 1024 * 1024);
    expect(loadConfig({ MAX_BODY_BYTES: '65536' }).maxLogBodyBytes).toBe(65536);
    expect(() => loadConfig({ MAX_BODY_BYTES: '65536', MAX_LOG_BODY_BYTES: '65537' })).toThrow(/MAX_LOG_BODY_BYTES must be at most MAX_BODY_BYTES \(65536\)/);
    expect(() => loadConfig({ MAX_LOG_BODY_BYTES: 'lots' })).toThrow(ConfigError);
  });
});

// ---------------------------------------------------------------------------------------------
// POST /v1/traces

const ENCODINGS: OtlpEncoding[] = ['protobuf', 'json'];
const CAP = 10;

const traceHex = (t: number): string => t.toString(16).padStart(32, '0');
const traceUuid = (t: number): string => traceHex(t).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

function otlpSpans(trace: number, count: number, attributes: TestSpan['attributes'] = []): TestSpan[] {
  return Array.from({ length: count }, (_, i) => ({
    traceId: traceHex(trace),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `op ${i}`,
    startTimeUnixNano: START,
    endTimeUnixNano: (BigInt(START) + 1000n).toString(),
    attributes,
  }));
}

async function postOtlp(a: Api, encoding: OtlpEncoding, object: unknown): Promise<{ status: number; code: number | undefined; message: string }> {
  const { body, headers } = encodeRequest(encoding, object);
  return answer(encoding, await rawRequest(a, 'POST', '/v1/traces', headers, body));
}

function answer(encoding: OtlpEncoding, res: Awaited<ReturnType<typeof rawRequest>>): { status: number; code: number | undefined; message: string } {
  if (res.status === 200) return { status: 200, code: undefined, message: '' };
  const status = encoding === 'json' ? (JSON.parse(res.body.toString('utf8')) as { code: number; message: string }) : decodeProtobufStatus(res.body);
  return { status: res.status, code: status.code, message: status.message };
}

describe.each(ENCODINGS)('POST /v1/traces, %s: per-request limits', (encoding) => {
  it(`refuses more than MAX_OTLP_SPANS_PER_REQUEST spans, counted across resources and scopes, and stores nothing`, async () => {
    const a = await start({ MAX_OTLP_SPANS_PER_REQUEST: String(CAP) });
    const split = requestObject([{ spans: otlpSpans(1, 6) }, { spans: otlpSpans(2, CAP - 6 + 1) }]);
    const res = await postOtlp(a, encoding, split);
    expect(res.status).toBe(400);
    expect(res.code).toBe(3);
    expect(res.message).toContain(`more than ${CAP} spans`);
    expect(res.message).toContain('MAX_OTLP_SPANS_PER_REQUEST');
    await expectNoTrace(a, traceUuid(1));
    await expectNoTrace(a, traceUuid(2));
    // At the cap, the same request shape is stored.
    expect((await postOtlp(a, encoding, requestObject([{ spans: otlpSpans(3, 6) }, { spans: otlpSpans(4, CAP - 6) }]))).status).toBe(200);
    expect(((await a.get(`/traces/${traceUuid(3)}`)).json as { spans: unknown[] }).spans).toHaveLength(6);
  });

  it(`refuses an attribute key longer than ${MAX_TAG_KEY_LENGTH} characters, naming it, and stores nothing`, async () => {
    const a = await start();
    const attributes = [
      { key: 'http.method', value: str('GET') },
      { key: 'x'.repeat(MAX_TAG_KEY_LENGTH + 1), value: str('v') },
    ];
    const onSpan = await postOtlp(a, encoding, requestObject([{ spans: [...otlpSpans(5, 1), ...otlpSpans(6, 1, attributes)] }]));
    expect(onSpan.status).toBe(400);
    expect(onSpan.message).toContain(`resourceSpans[0].scopeSpans[0].spans[1].attributes[1].key is longer than ${MAX_TAG_KEY_LENGTH} characters`);
    const onResource = await postOtlp(a, encoding, requestObject([{ attributes, spans: otlpSpans(7, 1) }]));
    expect(onResource.status).toBe(400);
    expect(onResource.message).toContain(`resourceSpans[0].resource.attributes[1].key is longer than ${MAX_TAG_KEY_LENGTH}`);
    for (const t of [5, 6, 7]) await expectNoTrace(a, traceUuid(t));
    const atLimit = [{ key: 'x'.repeat(MAX_TAG_KEY_LENGTH), value: str('v') }];
    expect((await postOtlp(a, encoding, requestObject([{ spans: otlpSpans(8, 1, atLimit) }]))).status).toBe(200);
    expect(((await a.get(`/traces/${traceUuid(8)}`)).json as { spans: Array<{ tags: JsonObject }> }).spans[0]!.tags['x'.repeat(256)]).toBe('v');
  });

  it('takes a stock SDK batch of 512 spans with the default cap (POST /spans stops at 500)', async () => {
    const a = await start();
    expect(MAX_SPANS_PER_BATCH).toBeLessThan(512);
    expect((await postOtlp(a, encoding, requestObject([{ spans: otlpSpans(9, 512) }]))).status).toBe(200);
    expect(((await a.get(`/traces/${traceUuid(9)}`)).json as { spans: unknown[] }).spans).toHaveLength(512);
  });
});

describe('POST /v1/traces, other limits', () => {
  it('counts protobuf spans before decoding them: bytes past the cap are never read', async () => {
    const a = await start({ MAX_OTLP_SPANS_PER_REQUEST: String(CAP) });
    // The spans, then a truncated field that makes the body undecodable: the cap answers first.
    const body = Buffer.concat([protobufBody(requestObject([{ spans: otlpSpans(1, CAP + 1) }])), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])]);
    const res = answer('protobuf', await rawRequest(a, 'POST', '/v1/traces', { 'content-type': 'application/x-protobuf' }, body));
    expect(res.status).toBe(400);
    expect(res.message).toContain(`more than ${CAP} spans`);
    const under = Buffer.concat([protobufBody(requestObject([{ spans: otlpSpans(1, CAP) }])), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])]);
    const decodeError = answer('protobuf', await rawRequest(a, 'POST', '/v1/traces', { 'content-type': 'application/x-protobuf' }, under));
    expect(decodeError.status).toBe(400);
    expect(decodeError.message).toMatch(/not a protobuf ExportTraceServiceRequest/);
    await expectNoTrace(a, traceUuid(1));
  });

  it('refuses OTLP/JSON that is not UTF-8, naming the field', async () => {
    const a = await start();
    const object = requestObject([{ attributes: [{ key: 'service.name', value: str(MARK) }], spans: otlpSpans(2, 1) }]);
    const body = withInvalidBytes(JSON.stringify(object));
    const res = answer('json', await rawRequest(a, 'POST', '/v1/traces', { 'content-type': 'application/json' }, body));
    expect(res.status).toBe(400);
    expect(res.message).toBe('resourceSpans[0].resource.attributes[0].value.stringValue: not valid UTF-8');
    await expectNoTrace(a, traceUuid(2));
  });

  it('MAX_OTLP_SPANS_PER_REQUEST: default, and invalid values stop start-up naming the variable', () => {
    expect(loadConfig({}).maxOtlpSpansPerRequest).toBe(DEFAULT_MAX_OTLP_SPANS_PER_REQUEST);
    expect(loadConfig({ MAX_OTLP_SPANS_PER_REQUEST: '512' }).maxOtlpSpansPerRequest).toBe(512);
    for (const bad of ['0', '-1', '1.5', 'lots', '99999999']) {
      expect(() => loadConfig({ MAX_OTLP_SPANS_PER_REQUEST: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ MAX_OTLP_SPANS_PER_REQUEST: bad })).toThrow(/MAX_OTLP_SPANS_PER_REQUEST/);
    }
  });
});
