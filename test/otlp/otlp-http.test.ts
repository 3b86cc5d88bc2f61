// POST /v1/traces against a real collector (127.0.0.1:0, ManualClock): both encodings, the
// mapping onto Traced spans read back through GET /traces/{id}, partial success, the failure
// answers the OTLP spec asks for, gzip, and the shared admission control and metrics.

import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeProtobufExportResponse, decodeProtobufStatus } from '../../src/otlp/protobuf-codec.js';
import type { OtlpEncoding } from '../../src/otlp/otlp-body.js';
import type { Api, JsonObject } from '../support/http.js';
import { encodeRequest, requestObject, str, type JsonValue, type TestSpan } from './builders.js';
import { rawRequest, spansById, startOtlpCollector, type RawResponse } from './support.js';

// DEFAULT_NOW_MS is 2024-04-19T00:10:00Z; T is ten minutes earlier with non-zero low digits.
const T = 1713484800123456789n;
const ns = (offset: bigint): string => (T + offset).toString();

const TRACE_HEX = '4BF92F3577B34DA6A3CE929D0E0E4736'; // upper case on purpose: hex is case-insensitive
const TRACE_UUID = '4bf92f35-77b3-4da6-a3ce-929d0e0e4736';
const ROOT_HEX = '00f067aa0ba902b7';
const ROOT_UUID = '00000000-0000-0000-00f0-67aa0ba902b7';
const CHILD_HEX = 'b7ad6b7169203331';
const CHILD_UUID = '00000000-0000-0000-b7ad-6b7169203331';
const ENCODINGS: OtlpEncoding[] = ['json', 'protobuf'];

let api: Api;
beforeEach(async () => {
  api = await startOtlpCollector();
});
afterEach(async () => {
  await api.close();
});

async function post(encoding: OtlpEncoding, object: unknown, options: { gzip?: boolean } = {}): Promise<RawResponse> {
  const { body, headers } = encodeRequest(encoding, object, options);
  const res = await rawRequest(api, 'POST', '/v1/traces', headers, body);
  if (encoding === 'json' && res.contentType.startsWith('application/json')) {
    // JSON answers are also held to openapi.yaml.
    const problems = api.contract.check('POST', '/v1/traces', res.status, res.contentType, res.body.toString('utf8'));
    expect(problems).toEqual([]);
  }
  return res;
}

/** The ExportTraceServiceResponse or Status of a response, whichever encoding it came in. */
function decodeAnswer(encoding: OtlpEncoding, res: RawResponse): JsonObject {
  expect(res.contentType.split(';')[0]).toBe(encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json');
  if (encoding === 'json') return JSON.parse(res.body.toString('utf8')) as JsonObject;
  if (res.status === 200) return decodeProtobufExportResponse(res.body) as unknown as JsonObject;
  return decodeProtobufStatus(res.body) as unknown as JsonObject;
}

function rootAndChild(extraRoot: Partial<TestSpan> = {}, extraChild: Partial<TestSpan> = {}): TestSpan[] {
  return [
    {
      traceId: TRACE_HEX,
      spanId: ROOT_HEX,
      name: 'GET /checkout',
      kind: 2,
      startTimeUnixNano: ns(0n),
      endTimeUnixNano: ns(150_000_007n),
      ...extraRoot,
    },
    {
      traceId: TRACE_HEX,
      spanId: CHILD_HEX,
      parentSpanId: ROOT_HEX,
      name: 'reserve_stock',
      startTimeUnixNano: ns(20_000_001n),
      endTimeUnixNano: ns(100_000_003n),
      status: { code: 2, message: 'out of stock' },
      ...extraChild,
    },
  ];
}

describe.each(ENCODINGS)('POST /v1/traces, %s', (encoding) => {
  it('stores spans with exact ids, parents, times, status, service and operation, and answers 200 with an empty response', async () => {
    const res = await post(encoding, requestObject([{ attributes: [{ key: 'service.name', value: str('checkout') }], spans: rootAndChild() }]));
    expect(res.status).toBe(200);
    expect(decodeAnswer(encoding, res)).toEqual({});

    const spans = await spansById(api, TRACE_UUID);
    expect([...spans.keys()].sort()).toEqual([ROOT_UUID, CHILD_UUID].sort());
    const root = spans.get(ROOT_UUID)!;
    expect(root).toMatchObject({
      trace_id: TRACE_UUID,
      span_id: ROOT_UUID,
      service: 'checkout',
      operation: 'GET /checkout',
      start_time: '1713484800123456789',
      end_time: '1713484800273456796',
      status: 'ok',
    });
    expect(root).not.toHaveProperty('parent_span_id');
    expect(root.tags).toEqual({ 'span.kind': 'server' });
    const child = spans.get(CHILD_UUID)!;
    expect(child.parent_span_id).toBe(ROOT_UUID);
    expect(child.start_time).toBe('1713484800143456790');
    expect(child.end_time).toBe('1713484800223456792');
    expect(child.status).toBe('error');
    expect(child.tags).toEqual({ 'otel.status_description': 'out of stock' });

    // The trace is listed like any other: the OTLP root is a Traced root.
    const list = await api.listTraces();
    expect(list.traces.map((t) => t.trace_id)).toEqual([TRACE_UUID]);
    expect(list.traces[0]!.root_service).toBe('checkout');
  });

  it('turns every attribute type into a string tag, deterministically and exactly', async () => {
    const attributes: Array<{ key: string; value: JsonValue }> = [
      { key: 'http.method', value: str('GET') },
      { key: 'retry', value: { boolValue: true } },
      { key: 'int.max', value: { intValue: '9223372036854775807' } },
      { key: 'int.min', value: { intValue: '-9223372036854775808' } },
      { key: 'ratio', value: { doubleValue: 0.25 } },
      { key: 'big', value: { doubleValue: 1e300 } },
      { key: 'raw', value: { bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') } },
      { key: 'list', value: { arrayValue: { values: [str('a'), { intValue: '12345678901234567890'.slice(0, 19) }, { boolValue: false }, {}] } } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'b', value: str('x"y') }, { key: 'a', value: { doubleValue: 1.5 } }] } } },
      { key: 'nothing', value: {} },
      { key: '__proto__', value: str('an ordinary tag') },
    ];
    const res = await post(encoding, requestObject([{ spans: [{ ...rootAndChild()[0]!, attributes }] }]));
    expect(res.status).toBe(200);
    const root = (await spansById(api, TRACE_UUID)).get(ROOT_UUID)!;
    expect(root.service).toBe('unknown_service'); // no service.name on the resource
    const tags = root.tags as Record<string, string>;
    expect(Object.getOwnPropertyNames(tags)).toContain('__proto__');
    expect({ ...tags }).toEqual({
      'span.kind': 'server',
      'http.method': 'GET',
      retry: 'true',
      'int.max': '9223372036854775807',
      'int.min': '-9223372036854775808',
      ratio: '0.25',
      big: '1e+300',
      raw: 'AAH+/w==',
      list: '["a",1234567890123456789,false,null]',
      map: '{"b":"x\\"y","a":1.5}',
      ['__proto__']: 'an ordinary tag', // computed: an own key, not the prototype
    });
  });

  it('puts protocol tags first, then span attributes, then resource attributes, and keeps 50 tags of at most 1024 characters', async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ key: `attr.${String(i).padStart(2, '0')}`, value: str(`v${i}`) }));
    // 1001 + 2·11 = 1023 code units; the 12th emoji would straddle the cut at 1024, so it goes.
    const long = 'é'.repeat(1001) + '😀'.repeat(100);
    const spans = rootAndChild(
      {
        attributes: [{ key: 'long', value: str(long) }, { key: 'span.kind', value: str('ignored: the protocol value wins') }, ...many],
        events: [
          { name: 'log', attributes: [{ key: 'exception.type', value: str('not an exception event') }] },
          { name: 'exception', attributes: [{ key: 'exception.type', value: str('TypeError') }, { key: 'exception.message', value: str('x is undefined') }] },
        ],
        status: { code: 2, message: 'failed' },
      },
      { attributes: [{ key: 'service.version', value: str('from the span') }] },
    );
    const resource = [
      { key: 'service.name', value: str('s'.repeat(300)) },
      { key: 'service.version', value: str('1.2.3') },
      { key: 'deployment.environment.name', value: str('demo') },
    ];
    expect((await post(encoding, requestObject([{ attributes: resource, spans }]))).status).toBe(200);
    const stored = await spansById(api, TRACE_UUID);
    const root = stored.get(ROOT_UUID)!;
    expect(root.service).toBe('s'.repeat(256));
    const tags = root.tags as Record<string, string>;
    const keys = Object.keys(tags);
    expect(keys).toHaveLength(50);
    expect(keys.slice(0, 5)).toEqual(['span.kind', 'otel.status_description', 'exception.type', 'exception.message', 'long']);
    expect(tags['span.kind']).toBe('server');
    expect(tags['exception.type']).toBe('TypeError');
    expect(tags['exception.message']).toBe('x is undefined');
    expect(tags.long!.length).toBeLessThanOrEqual(1024);
    expect(tags.long).toBe(long.slice(0, 1023));
    expect(keys).not.toContain('service.version'); // the span filled the 50 before the resource came
    expect(keys).not.toContain('service.name');

    const child = stored.get(CHILD_UUID)!;
    expect(child.tags).toEqual({
      'otel.status_description': 'out of stock',
      'service.version': 'from the span', // span attributes win over the resource's
      'deployment.environment.name': 'demo',
    });
  });

  it('rejects invalid spans one by one with partial success and stores the rest', async () => {
    const good = rootAndChild();
    const bad: TestSpan[] = [
      { ...good[0]!, traceId: '00000000000000000000000000000000', spanId: '1111111111111111' },
      { ...good[0]!, spanId: 'abcd' },
      { ...good[0]!, spanId: '2222222222222222', parentSpanId: '0000000000000000' },
      { ...good[0]!, spanId: '3333333333333333', startTimeUnixNano: ns(10n), endTimeUnixNano: ns(9n) },
      { ...good[0]!, spanId: '4444444444444444', startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '18446744073709551615' },
      // Outside the window: 31 minutes before the collector's clock.
      { ...good[0]!, spanId: '5555555555555555', startTimeUnixNano: ns(-21n * 60_000_000_000n), endTimeUnixNano: ns(-21n * 60_000_000_000n + 1n) },
    ];
    const res = await post(encoding, requestObject([{ spans: [...good, ...bad] }]));
    expect(res.status).toBe(200);
    const answer = decodeAnswer(encoding, res) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(answer.partialSuccess.rejectedSpans).toBe('6');
    const message = answer.partialSuccess.errorMessage;
    expect(message).toMatch(/^5 spans could not be mapped to Traced spans: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[2\]: traceId must be 16 bytes/);
    expect(message).toContain('spans[3]: spanId must be 8 bytes (16 hex digits), not all zero; got "abcd"');
    expect(message).toContain('spans[4]: parentSpanId must be empty (a root span) or 8 bytes');
    expect(message).toContain('; and 2 more');
    expect(message).toContain('1 span was outside the collector\'s window and dropped (start time older than 30 minutes');

    expect([...(await spansById(api, TRACE_UUID)).keys()].sort()).toEqual([ROOT_UUID, CHILD_UUID].sort());
    expect(await api.metric('traced_otlp_spans_rejected_total')).toBe(5);
    expect(await api.metric('traced_spans_discarded_total', { reason: 'stale' })).toBe(1);
    expect(await api.metric('traced_spans_accepted_total')).toBe(2);
  });

  it('accepts gzip, and counts re-sent spans as duplicates, not twice', async () => {
    const object = requestObject([{ spans: rootAndChild() }]);
    expect((await post(encoding, object, { gzip: true })).status).toBe(200);
    expect((await post(encoding, object, { gzip: true })).status).toBe(200);
    expect((await spansById(api, TRACE_UUID)).size).toBe(2);
    expect(await api.metric('traced_spans_accepted_total')).toBe(4);
    expect(await api.metric('traced_spans_duplicate_total')).toBe(2);
    expect((await api.listTraces()).traces[0]!.span_count).toBe(2);
  });

  it('answers an empty request with success', async () => {
    const res = await post(encoding, { resourceSpans: [] });
    expect(res.status).toBe(200);
    expect(decodeAnswer(encoding, res)).toEqual({});
  });

  it('answers 400 with a google.rpc.Status for an undecodable body, and stores nothing', async () => {
    const body = encoding === 'json' ? Buffer.from('{"resourceSpans": [') : Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]);
    const headers = { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' };
    const res = await rawRequest(api, 'POST', '/v1/traces', headers, body);
    expect(res.status).toBe(400);
    const status = decodeAnswer(encoding, res);
    expect(status.code).toBe(3);
    expect(String(status.message)).toMatch(encoding === 'json' ? /not valid JSON/ : /not a protobuf ExportTraceServiceRequest/);

    const badGzip = await rawRequest(api, 'POST', '/v1/traces', { ...headers, 'content-encoding': 'gzip' }, Buffer.from('not gzip'));
    expect(badGzip.status).toBe(400);
    expect(String(decodeAnswer(encoding, badGzip).message)).toMatch(/not valid gzip/);
    expect(await api.metric('traced_otlp_requests_rejected_total', { reason: 'invalid' })).toBe(2);
    expect(await api.total()).toBe(0);
  });

  it('answers 413 when the body, or the body after decompression, exceeds MAX_BODY_BYTES', async () => {
    await api.close();
    api = await startOtlpCollector({ maxBodyBytes: 4096 });
    const huge = requestObject([{ spans: rootAndChild({ attributes: [{ key: 'pad', value: str('x'.repeat(20_000)) }] }) }]);
    const plain = await post(encoding, huge);
    expect(plain.status).toBe(413);
    expect(decodeAnswer(encoding, plain).code).toBe(8);
    // Compresses to well under 4 KiB, inflates past it: refused while inflating.
    const bomb = encodeRequest(encoding, huge, { gzip: true });
    expect(bomb.body.length).toBeLessThan(4096);
    const inflated = await rawRequest(api, 'POST', '/v1/traces', bomb.headers, bomb.body);
    expect(inflated.status).toBe(413);
    expect(String(decodeAnswer(encoding, inflated).message)).toMatch(/decompressed request body is larger than the limit of 4096 bytes/);
    expect(await api.total()).toBe(0);
  });

  it('answers 503 with Retry-After in the request encoding when admission control refuses, as POST /spans does', async () => {
    await api.close();
    api = await startOtlpCollector({ maxSpans: 2 });
    expect((await post(encoding, requestObject([{ spans: rootAndChild() }]))).status).toBe(200);
    await api.collector.admission.sample();
    const res = await post(encoding, requestObject([{ spans: [{ ...rootAndChild()[0]!, spanId: '9999999999999999' }] }]));
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const status = decodeAnswer(encoding, res);
    expect(status.code).toBe(14);
    expect(String(status.message)).toMatch(/MAX_SPANS=2/);
    expect(await api.metric('traced_otlp_requests_rejected_total', { reason: 'memory' })).toBe(1);
  });
});

describe('POST /v1/traces, OTLP/JSON specifics', () => {
  async function postJson(text: string): Promise<RawResponse> {
    return rawRequest(api, 'POST', '/v1/traces', { 'content-type': 'application/json; charset=utf-8' }, text);
  }

  it('reads int64 fields written as JSON numbers without rounding them', async () => {
    // 1713484800123456789 and 9007199254740993 are not doubles; JSON.parse would change both.
    const text =
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_HEX}","spanId":"${ROOT_HEX}","name":"n",` +
      `"startTimeUnixNano":1713484800123456789,"endTimeUnixNano":1.713484800223456789e18,` +
      `"attributes":[{"key":"i","value":{"intValue":9007199254740993}},{"key":"z","value":{"intValue":"-0"}}]}]}]}]}`;
    const res = await postJson(text);
    expect(res.status, res.body.toString()).toBe(200);
    const root = (await spansById(api, TRACE_UUID)).get(ROOT_UUID)!;
    expect(root.start_time).toBe('1713484800123456789');
    expect(root.end_time).toBe('1713484800223456789');
    expect(root.tags).toEqual({ i: '9007199254740993', z: '0' });
  });

  it('ignores unknown fields, takes null as absent, and accepts enum names leniently', async () => {
    const text = JSON.stringify({
      futureField: { anything: [1, 2] },
      resourceSpans: [
        {
          resource: null,
          schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_HEX,
                  spanId: ROOT_HEX,
                  parentSpanId: '',
                  name: 'n',
                  kind: 'SPAN_KIND_CLIENT',
                  startTimeUnixNano: ns(0n),
                  endTimeUnixNano: ns(1n),
                  status: { code: 'STATUS_CODE_ERROR' },
                  droppedAttributesCount: 3,
                  links: [{ traceId: 'ff', spanId: 'ee' }],
                  flags: 257,
                },
              ],
            },
          ],
        },
      ],
    });
    expect((await postJson(text)).status).toBe(200);
    const root = (await spansById(api, TRACE_UUID)).get(ROOT_UUID)!;
    expect(root).toMatchObject({ status: 'error', tags: { 'span.kind': 'client' } });
    expect(root).not.toHaveProperty('parent_span_id');
  });

  it.each([
    ['{"resourceSpans":{}}', 'resourceSpans must be an array'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]}', 'resourceSpans[0].scopeSpans[0].spans[0].name must be a string'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"12abc"}]}]}]}', 'startTimeUnixNano must be an unsigned 64-bit integer'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"endTimeUnixNano":-1}]}]}]}', 'endTimeUnixNano must be an unsigned 64-bit integer'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":1.5}]}]}]}', 'startTimeUnixNano must be an unsigned 64-bit integer'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":{"intValue":"9223372036854775808"}}]}]}]}]}', 'intValue must be a 64-bit integer'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":{"stringValue":"a","boolValue":true}}]}]}]}]}', 'sets both stringValue and boolValue'],
    ['[1,2]', 'the request body must be an object'],
    ['', 'not valid JSON'],
  ])('400 for %s', async (text, message) => {
    const res = await postJson(text);
    expect(res.status).toBe(400);
    const status = JSON.parse(res.body.toString()) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toContain(message);
    expect(api.contract.check('POST', '/v1/traces', 400, res.contentType, res.body.toString())).toEqual([]);
  });
});

describe('POST /v1/traces, media types', () => {
  it('answers 415 with a JSON Status for other content types and encodings, and leaves POST /spans alone', async () => {
    const text = await api.request('POST', '/v1/traces', { headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBe(415);
    expect(text.json).toEqual({ code: 12, message: 'unsupported content type: send OTLP as application/x-protobuf or application/json' });

    const brotli = await api.request('POST', '/v1/traces', {
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
      body: '{}',
    });
    expect(brotli.status).toBe(415);
    expect((brotli.json as JsonObject).message).toMatch(/unsupported content-encoding "br"/);

    // The global application/json parser still serves POST /spans (lossless times included).
    const spans = await api.postSpans([{ trace_id: TRACE_UUID, span_id: ROOT_UUID, start_time: ns(0n) }]);
    expect(spans.status).toBe(202);
    // And POST /spans does not learn protobuf from this plugin.
    const pb = await api.postRaw(gzipSync('x'), 'application/x-protobuf');
    expect(pb.status).toBe(415);
  });

  it('accepts application/protobuf as a synonym and answers in application/x-protobuf', async () => {
    const { body } = encodeRequest('protobuf', requestObject([{ spans: rootAndChild() }]));
    const res = await rawRequest(api, 'POST', '/v1/traces', { 'content-type': 'application/protobuf' }, body);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/x-protobuf');
    expect(res.body.length).toBe(0);
  });
});
