// POST /v1/logs with hand-built OTLP bodies, JSON and protobuf: the mapping (ids as spans map
// them, exact times, severity, body, attributes), partial success, and bad input: each a clear
// error in the request's encoding, with nothing stored and the collector still serving.

import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OtlpEncoding } from '../../src/otlp/otlp-body.js';
import { decodeProtobufStatus } from '../../src/otlp/protobuf-codec.js';
import { decodeProtobufLogsResponse } from '../../src/otlp/protobuf-logs-codec.js';
import { DEFAULT_NOW_MS, type Api } from '../support/http.js';
import { nsAt } from '../support/spans.js';
import { logsProtobufBody, str, type JsonValue } from '../otlp/builders.js';
import { rawRequest, startOtlpCollector, type RawResponse } from '../otlp/support.js';

const TRACE_HEX = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_UUID = '4bf92f35-77b3-4da6-a3ce-929d0e0e4736';
const SPAN_HEX = '00f067aa0ba902b7';
const SPAN_UUID = '00000000-0000-0000-00f0-67aa0ba902b7';

function logsObject(records: Array<Record<string, JsonValue>>): Record<string, JsonValue> {
  return { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: str('ledger') }] }, scopeLogs: [{ scope: { name: 't' }, logRecords: records }] }] };
}

const record = (overrides: Record<string, JsonValue> = {}): Record<string, JsonValue> => ({
  timeUnixNano: nsAt(DEFAULT_NOW_MS - 1000, 123n),
  severityNumber: 13,
  body: str('balance low'),
  attributes: [{ key: 'account', value: str('acc-1') }, { key: 'cents', value: { intValue: '9007199254740993' } }],
  traceId: TRACE_HEX,
  spanId: SPAN_HEX,
  ...overrides,
});

function body(encoding: OtlpEncoding, object: unknown, gzip = false): { body: Buffer; headers: Record<string, string> } {
  const raw = encoding === 'protobuf' ? logsProtobufBody(object) : Buffer.from(JSON.stringify(object));
  const headers: Record<string, string> = { 'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json' };
  if (gzip) headers['content-encoding'] = 'gzip';
  return { body: gzip ? gzipSync(raw) : raw, headers };
}

function answer(encoding: OtlpEncoding, res: RawResponse): Record<string, unknown> {
  if (res.status === 200) return encoding === 'protobuf' ? decodeProtobufLogsResponse(res.body) : (JSON.parse(res.body.toString()) as Record<string, unknown>);
  return encoding === 'protobuf' ? decodeProtobufStatus(res.body) : (JSON.parse(res.body.toString()) as Record<string, unknown>);
}

let api: Api;
beforeEach(async () => {
  api = await startOtlpCollector({ maxLogBodyBytes: 4096 });
});
afterEach(async () => {
  await api.close();
});

async function post(encoding: OtlpEncoding, object: unknown, gzip = false): Promise<RawResponse> {
  const { body: bytes, headers } = body(encoding, object, gzip);
  return rawRequest(api, 'POST', '/v1/logs', headers, bytes);
}

async function storedLogs(): Promise<unknown[]> {
  const res = await api.get(`/traces/${TRACE_UUID}/logs`);
  return res.status === 200 ? (res.json as { logs: unknown[] }).logs : [];
}

async function expectNothingStoredAndStillServing(encoding: OtlpEncoding): Promise<void> {
  expect(await storedLogs()).toEqual([]);
  expect((await post(encoding, logsObject([record()]))).status).toBe(200);
  expect(await storedLogs()).toHaveLength(1);
}

describe.each(['json', 'protobuf'] as const)('POST /v1/logs (%s)', (encoding) => {
  it('stores each record on its trace and span, with an exact time, level, body and attributes; gzip too', async () => {
    const res = await post(encoding, logsObject([record(), record({ timeUnixNano: '0', observedTimeUnixNano: nsAt(DEFAULT_NOW_MS - 500, 9n), severityNumber: 0, severityText: 'Warning', body: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } }, attributes: [], spanId: '' })]), true);
    expect(res.status).toBe(200);
    expect(res.contentType).toContain(encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json');
    expect(answer(encoding, res)).toEqual({});
    expect(await storedLogs()).toEqual([
      { time: nsAt(DEFAULT_NOW_MS - 1000, 123n), trace_id: TRACE_UUID, span_id: SPAN_UUID, service: 'ledger', level: 'warn', message: 'balance low', attributes: { account: 'acc-1', cents: '9007199254740993' } },
      { time: nsAt(DEFAULT_NOW_MS - 500, 9n), trace_id: TRACE_UUID, service: 'ledger', level: 'warn', message: '{"k":true}' },
    ]);
  });

  it('rejects records it cannot keep in partial_success, naming why, and stores the rest', async () => {
    const res = await post(encoding, logsObject([record(), record({ traceId: '' }), record({ traceId: 'abcd' }), record({ timeUnixNano: '0' })]));
    expect(res.status).toBe(200);
    const partial = answer(encoding, res).partialSuccess as { rejectedLogRecords: string; errorMessage: string };
    expect(partial.rejectedLogRecords).toBe('3');
    expect(partial.errorMessage).toMatch(/logRecords\[1\]: traceId is empty/);
    expect(partial.errorMessage).toMatch(/logRecords\[2\]: traceId must be 16 bytes \(32 hex digits\), not all zero; got "abcd"/);
    expect(partial.errorMessage).toMatch(/logRecords\[3\]: timeUnixNano and observedTimeUnixNano are both unset/);
    expect(await storedLogs()).toHaveLength(1);
  });

  it('answers 413 to a body over MAX_LOG_BODY_BYTES, also one that only inflates past it', async () => {
    const big = logsObject(Array.from({ length: 40 }, () => record({ body: str('y'.repeat(200)) })));
    const plain = await post(encoding, big);
    expect(plain.status).toBe(413);
    expect(String(answer(encoding, plain).message)).toMatch(/MAX_LOG_BODY_BYTES/);
    const bomb = await post(encoding, big, true);
    expect(bomb.status).toBe(413);
    expect(String(answer(encoding, bomb).message)).toMatch(/decompressed request body is larger than the limit of 4096 bytes \(MAX_LOG_BODY_BYTES\)/);
    await expectNothingStoredAndStillServing(encoding);
  });

  it('answers 400 naming an attribute key over 256 characters, storing nothing of the request', async () => {
    const res = await post(encoding, logsObject([record(), record({ attributes: [{ key: 'k'.repeat(257), value: str('v') }] })]));
    expect(res.status).toBe(400);
    expect(answer(encoding, res)).toMatchObject({ code: 3, message: expect.stringMatching(/logRecords\[1\]\.attributes\[0\]\.key is longer than 256/) });
    await expectNothingStoredAndStillServing(encoding);
  });

  it('answers 503 with Retry-After at the log budget', async () => {
    await api.close();
    api = await startOtlpCollector({ maxLogs: 1 });
    expect((await post(encoding, logsObject([record()]))).status).toBe(200);
    const res = await post(encoding, logsObject([record({ body: str('second') })]));
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(answer(encoding, res)).toMatchObject({ code: 14, message: expect.stringMatching(/MAX_LOGS=1/) });
  });
});

describe('POST /v1/logs bad bodies', () => {
  it('a truncated protobuf body is a 400 naming the message type', async () => {
    const whole = logsProtobufBody(logsObject([record()]));
    const res = await rawRequest(api, 'POST', '/v1/logs', { 'content-type': 'application/x-protobuf' }, whole.subarray(0, whole.length - 4));
    expect(res.status).toBe(400);
    expect(decodeProtobufStatus(res.body).message).toMatch(/not a protobuf ExportLogsServiceRequest/);
    await expectNothingStoredAndStillServing('protobuf');
  });

  it('a JSON value of the wrong type is a 400 naming its path, checked against the contract', async () => {
    const res = await api.request('POST', '/v1/logs', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(logsObject([record(), record({ severityNumber: 'loud' })])),
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ code: 3, message: 'resourceLogs[0].scopeLogs[0].logRecords[1].severityNumber must be an integer enum value (0..24)' });
    const times = await api.request('POST', '/v1/logs', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(logsObject([record({ timeUnixNano: 'soon' })])) });
    expect(times.status).toBe(400);
    expect(String((times.json as { message: string }).message)).toMatch(/logRecords\[0\]\.timeUnixNano must be an unsigned 64-bit integer/);
    const notArray = await api.request('POST', '/v1/logs', { headers: { 'content-type': 'application/json' }, body: '{"resourceLogs":{"scopeLogs":[]}}' });
    expect(notArray.status).toBe(400);
    expect((notArray.json as { message: string }).message).toBe('resourceLogs must be an array');
    await expectNothingStoredAndStillServing('json');
  });

  it('keeps 19-digit times written as JSON numbers exact', async () => {
    const text = JSON.stringify(logsObject([record({ timeUnixNano: 'TIME' })])).replace('"TIME"', nsAt(DEFAULT_NOW_MS - 1000, 987n));
    const res = await api.request('POST', '/v1/logs', { headers: { 'content-type': 'application/json' }, body: text });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({});
    expect(await storedLogs()).toMatchObject([{ time: nsAt(DEFAULT_NOW_MS - 1000, 987n) }]);
  });
});
