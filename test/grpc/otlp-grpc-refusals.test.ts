// What the OTLP/gRPC services answer to messages they cannot take, and to load they refuse: bad
// messages are INVALID_ARGUMENT naming the field (too large: RESOURCE_EXHAUSTED from grpc-js)
// and store nothing, the process keeps serving; overload is UNAVAILABLE with a RetryInfo trailer,
// as the OTLP spec's throttling section asks, counted beside the HTTP paths' refusals.

import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeProtobufExportResponse } from '../../src/otlp/protobuf-codec.js';
import { decodeProtobufLogsResponse } from '../../src/otlp/protobuf-logs-codec.js';
import { DEFAULT_NOW_MS } from '../support/http.js';
import { nsAt } from '../support/spans.js';
import { logsProtobufBody, protobufBody, requestObject, str, type TestSpan } from '../otlp/builders.js';
import type { OtlpCollectorOptions } from '../otlp/support.js';
import { exportRaw, startGrpcCollector, type GrpcCollector } from './support.js';

const TRACE_HEX = '4bf92f3577b34da6a3ce929d0e0e4736';
const ROOT_HEX = '00f067aa0ba902b7';
const TRACE_UUID = '4bf92f35-77b3-4da6-a3ce-929d0e0e4736';

function spanOf(spanId: string, overrides: Partial<TestSpan> = {}): TestSpan {
  return { traceId: TRACE_HEX, spanId, name: 'charge', startTimeUnixNano: nsAt(DEFAULT_NOW_MS - 2000, 11n), endTimeUnixNano: nsAt(DEFAULT_NOW_MS - 1000, 7n), ...overrides };
}

const traceMessage = (spans: TestSpan[]) => protobufBody(requestObject([{ attributes: [{ key: 'service.name', value: str('payments') }], spans }]));

function logsMessage(records: Array<Record<string, unknown>>): Buffer {
  return logsProtobufBody({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: str('payments') }] }, scopeLogs: [{ logRecords: records }] }] });
}

const logRecord = (overrides: Record<string, unknown> = {}) => ({
  timeUnixNano: nsAt(DEFAULT_NOW_MS - 1500, 3n),
  severityNumber: 9,
  body: str('charged'),
  traceId: TRACE_HEX,
  spanId: ROOT_HEX,
  ...overrides,
});

let collector: GrpcCollector | undefined;
afterEach(async () => {
  await collector?.api.close();
  collector = undefined;
});

async function start(options: OtlpCollectorOptions = {}): Promise<GrpcCollector> {
  collector = await startGrpcCollector(options);
  return collector;
}

/** Nothing of the trace is held, and the server still takes a good message afterwards. */
async function expectNothingStoredAndStillServing({ api, address }: GrpcCollector): Promise<void> {
  expect(await api.total()).toBe(0);
  expect((await api.get(`/traces/${TRACE_UUID}/logs`)).status).toBe(404);
  const good = await exportRaw(address, 'trace', traceMessage([spanOf(ROOT_HEX)]));
  expect(good.code).toBe(0);
  expect(await api.total()).toBe(1);
}

describe('OTLP/gRPC bad messages', () => {
  it('a truncated message is INVALID_ARGUMENT naming the message type, on both services', async () => {
    const c = await start();
    const whole = traceMessage([spanOf(ROOT_HEX), spanOf('00f067aa0ba902b8')]);
    const trace = await exportRaw(c.address, 'trace', whole.subarray(0, whole.length - 5));
    expect(trace.code).toBe(3);
    expect(trace.details).toMatch(/not a protobuf ExportTraceServiceRequest/);
    const logs = logsMessage([logRecord()]);
    const logAnswer = await exportRaw(c.address, 'logs', logs.subarray(0, logs.length - 3));
    expect(logAnswer.code).toBe(3);
    expect(logAnswer.details).toMatch(/not a protobuf ExportLogsServiceRequest/);
    expect(await c.api.metric('traced_otlp_requests_rejected_total', { reason: 'invalid' })).toBe(1);
    await expectNothingStoredAndStillServing(c);
  });

  it('a field of the wrong wire type is INVALID_ARGUMENT', async () => {
    const c = await start();
    // resource_spans (field 1) as a varint, then a length-delimited field holding a bad varint.
    const wrongType = Buffer.from([0x08, 0x96, 0x01, 0x0a, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const answer = await exportRaw(c.address, 'trace', wrongType);
    expect(answer.code).toBe(3);
    expect(answer.details).toMatch(/ExportTraceServiceRequest/);
    await expectNothingStoredAndStillServing(c);
  });

  it('ids of the wrong length: the message whose spans all have them is INVALID_ARGUMENT naming traceId; in a mixed one, only that span is rejected, in partial_success', async () => {
    const c = await start();
    const allBad = await exportRaw(c.address, 'trace', traceMessage([spanOf(ROOT_HEX, { traceId: 'abcdef0123456789' })]));
    expect(allBad.code).toBe(3);
    expect(allBad.details).toMatch(/spans\[0\]: traceId must be 16 bytes \(32 hex digits\), not all zero; got "abcdef0123456789"/);
    const badLog = await exportRaw(c.address, 'logs', logsMessage([logRecord({ spanId: '00f067aa0ba902' })]));
    expect(badLog.code).toBe(3);
    expect(badLog.details).toMatch(/logRecords\[0\]: spanId must be empty or 8 bytes/);
    expect(await c.api.total()).toBe(0);

    const mixed = await exportRaw(c.address, 'trace', traceMessage([spanOf(ROOT_HEX), spanOf('00f067aa0ba9'), spanOf('00f067aa0ba902b9', { parentSpanId: ROOT_HEX })]));
    expect(mixed.code).toBe(0);
    const response = decodeProtobufExportResponse(mixed.response!);
    expect(response.partialSuccess?.rejectedSpans).toBe('1');
    expect(response.partialSuccess?.errorMessage).toMatch(/spans\[1\]: spanId must be 8 bytes/);
    const trace = await c.api.get(`/traces/${TRACE_UUID}`);
    expect((trace.json as { spans: unknown[] }).spans).toHaveLength(2);
  });

  it('a message over MAX_BODY_BYTES is RESOURCE_EXHAUSTED, also when it only inflates past it', async () => {
    const c = await start({ maxBodyBytes: 4096 });
    const big = traceMessage(Array.from({ length: 60 }, (_, i) => spanOf((0x1000000000000000n + BigInt(i)).toString(16), { name: 'x'.repeat(40) })));
    expect(big.length).toBeGreaterThan(4096);
    const plain = await exportRaw(c.address, 'trace', big);
    expect(plain.code).toBe(8);
    expect(plain.details).toMatch(/larger than max.*4096/);
    // Sent gzip-compressed: small on the wire, too large once inflated.
    expect(gzipSync(big).length).toBeLessThan(4096);
    const inflated = await exportRaw(c.address, 'trace', big, { gzip: true });
    expect(inflated.code).toBe(8);
    expect(inflated.details).toMatch(/decompresses to a size larger than 4096/);
    await expectNothingStoredAndStillServing(c);
  });

  it('more spans than MAX_OTLP_SPANS_PER_REQUEST is INVALID_ARGUMENT naming the setting', async () => {
    const c = await start();
    const limit = c.api.config.maxOtlpSpansPerRequest;
    const tooMany = traceMessage(Array.from({ length: limit + 1 }, (_, i) => spanOf((0x1000000000000000n + BigInt(i)).toString(16))));
    const answer = await exportRaw(c.address, 'trace', tooMany);
    expect(answer.code).toBe(3);
    expect(answer.details).toMatch(/more than 2048 spans.*MAX_OTLP_SPANS_PER_REQUEST/);
    await expectNothingStoredAndStillServing(c);
  });

  it('calls the client gives up on mid-way (deadline exceeded) leave the server serving', async () => {
    const c = await start();
    const big = traceMessage(Array.from({ length: 2000 }, (_, i) => spanOf((0x1000000000000000n + BigInt(i)).toString(16))));
    const abandoned = await Promise.all(Array.from({ length: 8 }, () => exportRaw(c.address, 'trace', big, { deadlineMs: 5 })));
    expect(abandoned.some((a) => a.code === 4)).toBe(true); // DEADLINE_EXCEEDED
    const good = await exportRaw(c.address, 'logs', logsMessage([logRecord()]));
    expect(good.code).toBe(0);
    expect(await c.api.metric('traced_logs_accepted_total')).toBe(1);
  });

  it('gzip-compressed messages are accepted', async () => {
    const c = await start();
    const answer = await exportRaw(c.address, 'trace', traceMessage([spanOf(ROOT_HEX)]), { gzip: true });
    expect(answer.code).toBe(0);
    expect(answer.response!.length).toBe(0); // an empty ExportTraceServiceResponse: nothing rejected
    const logs = await exportRaw(c.address, 'logs', logsMessage([logRecord()]), { gzip: true });
    expect(logs.code).toBe(0);
    expect(decodeProtobufLogsResponse(logs.response!)).toEqual({});
    const lines = await c.api.get(`/traces/${TRACE_UUID}/logs`);
    expect((lines.json as { logs: unknown[] }).logs).toEqual([
      { time: nsAt(DEFAULT_NOW_MS - 1500, 3n), trace_id: TRACE_UUID, span_id: '00000000-0000-0000-00f0-67aa0ba902b7', service: 'payments', level: 'info', message: 'charged' },
    ]);
  });
});

describe('OTLP/gRPC under overload', () => {
  it('answers UNAVAILABLE with a RetryInfo trailer at MAX_SPANS, counted as an OTLP refusal, and stores nothing of it', async () => {
    const c = await start({ maxSpans: 1 });
    expect((await exportRaw(c.address, 'trace', traceMessage([spanOf(ROOT_HEX)]))).code).toBe(0);
    await c.api.collector.admission.sample();
    const refused = await exportRaw(c.address, 'trace', traceMessage([spanOf('00f067aa0ba902b9', { parentSpanId: ROOT_HEX })]));
    expect(refused.code).toBe(14);
    expect(refused.details).toMatch(/MAX_SPANS=1/);
    expect(refused.statusDetails).toMatchObject({ code: 14, message: refused.details });
    expect(refused.statusDetails!.retryDelaySec).toBeGreaterThan(0);
    expect(refused.statusDetails!.retryDelaySec).toBeLessThanOrEqual(60);
    expect(await c.api.metric('traced_otlp_requests_rejected_total', { reason: 'memory' })).toBe(1);
    expect((await c.api.get(`/traces/${TRACE_UUID}`)).json).toMatchObject({ spans: [{ span_id: '00000000-0000-0000-00f0-67aa0ba902b7' }] });
  });

  it('answers UNAVAILABLE with RetryInfo to logs at their budget (MAX_LOGS), keeping the lines held', async () => {
    collector = await startGrpcCollector({ maxLogs: 1 });
    const { api, address } = collector;
    expect((await exportRaw(address, 'logs', logsMessage([logRecord()]))).code).toBe(0);
    const full = await exportRaw(address, 'logs', logsMessage([logRecord({ body: str('again') })]));
    expect(full.code).toBe(14);
    expect(full.details).toMatch(/MAX_LOGS=1/);
    expect(full.statusDetails!.retryDelaySec).toBeGreaterThan(0);
    expect(await api.metric('traced_log_batches_rejected_total', { reason: 'log_budget' })).toBe(1);
    expect((await api.get(`/traces/${TRACE_UUID}/logs`)).json).toMatchObject({ logs: [{ message: 'charged' }] });
  });

  it('refuses while the ingest log replays, with the replay RetryInfo', async () => {
    const c = await start();
    c.api.collector.gate.setUnavailable({ reason: 'replaying', retryAfterSec: 2, message: 'replaying' });
    const refused = await exportRaw(c.address, 'trace', traceMessage([spanOf(ROOT_HEX)]));
    expect(refused.code).toBe(14);
    expect(refused.statusDetails!.retryDelaySec).toBe(2);
    expect(await c.api.metric('traced_otlp_requests_rejected_total', { reason: 'replaying' })).toBe(1);
    c.api.collector.gate.setUnavailable(undefined);
    expect((await exportRaw(c.address, 'trace', traceMessage([spanOf(ROOT_HEX)]))).code).toBe(0);
  });
});
