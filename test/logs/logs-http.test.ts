// POST /logs and GET /traces/{trace_id}/logs against a real collector (127.0.0.1:0) whose span
// and log stores share a ManualClock: exact times, ordering, the 404 rule, whole-batch
// validation, the window, eviction by the shared timer, the MAX_LOGS budget and metrics.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_NOW_MS, type Api, type JsonObject } from '../support/http.js';
import { startOtlpCollector } from '../otlp/support.js';

const TRACE = '4bf92f35-77b3-4da6-a3ce-929d0e0e4736';
const OTHER_TRACE = '0af76519-16cd-43dd-8448-eb211c80319c';
const SPAN = '00000000-0000-0000-00f0-67aa0ba902b7';
const T = 1713484800123456789n; // ten minutes before the collector's clock
const ns = (offset: bigint): string => (T + offset).toString();
const MINUTE_NS = 60_000_000_000n;

interface LogInput {
  time: string;
  trace_id?: string;
  span_id?: string;
  service?: string;
  level?: string;
  message?: string;
  attributes?: Record<string, string>;
}

/** `{"logs":[…]}` with `time` written as a bare integer holding every digit. */
function logsBody(logs: LogInput[]): string {
  const items = logs.map((l) => {
    let out = `{"time":${l.time},"trace_id":${JSON.stringify(l.trace_id ?? TRACE)}`;
    if (l.span_id !== undefined) out += `,"span_id":${JSON.stringify(l.span_id)}`;
    out += `,"service":${JSON.stringify(l.service ?? 'checkout')},"level":${JSON.stringify(l.level ?? 'info')}`;
    out += `,"message":${JSON.stringify(l.message ?? 'hello')}`;
    if (l.attributes !== undefined) out += `,"attributes":${JSON.stringify(l.attributes)}`;
    return out + '}';
  });
  return `{"logs":[${items.join(',')}]}`;
}

let api: Api;
beforeEach(async () => {
  api = await startOtlpCollector({ maxLogs: 10 });
});
afterEach(async () => {
  await api.close();
});

function postLogs(body: string, contentType = 'application/json') {
  return api.request('POST', '/logs', { headers: { 'content-type': contentType }, body });
}

async function traceLogs(traceId = TRACE): Promise<JsonObject[]> {
  const res = await api.get(`/traces/${traceId}/logs`);
  expect(res.status, res.text).toBe(200);
  expect((res.json as JsonObject).trace_id).toBe(traceId);
  return (res.json as { logs: JsonObject[] }).logs;
}

describe('POST /logs and GET /traces/{trace_id}/logs', () => {
  it('round-trips log lines with exact 19-digit times, ordered by time, ties in arrival order', async () => {
    const res = await postLogs(
      logsBody([
        { time: ns(5n), message: 'third', level: 'error', span_id: SPAN.toUpperCase(), attributes: { 'order.id': 'o-1' } },
        { time: ns(1n), message: 'first', trace_id: TRACE.toUpperCase() },
        { time: ns(5n), message: 'fourth (same time, sent later)' },
        { time: ns(2n), message: 'second', level: 'debug' },
        { time: ns(0n), message: 'another trace', trace_id: OTHER_TRACE },
      ]),
    );
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'ok', accepted: 5, discarded: 0 });

    const logs = await traceLogs();
    expect(logs.map((l) => l.message)).toEqual(['first', 'second', 'third', 'fourth (same time, sent later)']);
    expect(logs.map((l) => l.time)).toEqual([ns(1n), ns(2n), ns(5n), ns(5n)]);
    expect(logs[2]).toEqual({
      time: '1713484800123456794',
      trace_id: TRACE,
      span_id: SPAN, // lowercased on the way in
      service: 'checkout',
      level: 'error',
      message: 'third',
      attributes: { 'order.id': 'o-1' },
    });
    expect(logs[0]).not.toHaveProperty('span_id');
    expect(logs[0]).not.toHaveProperty('attributes');
    expect((await traceLogs(OTHER_TRACE)).map((l) => l.message)).toEqual(['another trace']);
  });

  it('answers 404 when the trace has neither spans nor logs, and an empty list when it has spans only', async () => {
    const missing = await api.get(`/traces/${TRACE}/logs`);
    expect(missing.status).toBe(404);
    expect((missing.json as JsonObject).error).toMatch(/no spans and no logs in the window/);

    expect((await api.postSpans([{ trace_id: TRACE, span_id: SPAN, start_time: ns(0n) }])).status).toBe(202);
    expect(await traceLogs()).toEqual([]);

    expect((await api.get('/traces/not-a-uuid/logs')).status).toBe(400);
  });

  it.each([
    ['{"logs":[]}', 'logs must hold at least 1 item'],
    [logsBody([{ time: ns(0n), level: 'verbose' }]), 'logs[0].level must be one of: trace, debug, info, warn, error, fatal'],
    [logsBody([{ time: ns(0n) }, { time: ns(0n), trace_id: 'abc' }]), 'logs[1].trace_id must be a UUID'],
    [logsBody([{ time: '1.5' }]), 'logs[0].time must be an integer'],
    [logsBody([{ time: '9223372036854775808' }]), 'logs[0].time must fit in a signed 64-bit integer'],
    [logsBody([{ time: ns(0n), message: 'x'.repeat(8193) }]), 'logs[0].message must be at most 8192 characters'],
    [logsBody([{ time: ns(0n), attributes: { n: 'x'.repeat(1025) } }]), 'logs[0].attributes.n must be at most 1024 characters'],
    ['{"logs":[{"time":1,"trace_id":"' + TRACE + '","service":"s","level":"info"}]}', 'logs[0].message is required'],
    ['{"logs": [', 'the request body is not valid JSON'],
  ])('refuses the whole batch with 400 naming the line and field: %#', async (body, message) => {
    const res = await postLogs(body);
    expect(res.status).toBe(400);
    expect((res.json as JsonObject).error).toContain(message);
    expect(await api.metric('traced_log_batches_rejected_total', { reason: 'invalid' })).toBe(1);
    expect(await api.metric('traced_store_logs')).toBe(0);
  });

  it('answers 415 for other media types', async () => {
    const res = await postLogs('time=1', 'text/plain');
    expect(res.status).toBe(415);
    expect(await api.metric('traced_log_batches_rejected_total', { reason: 'media_type' })).toBe(1);
  });

  it('discards lines outside the window and counts them, like spans', async () => {
    const res = await postLogs(
      logsBody([
        { time: ns(-21n * MINUTE_NS), message: 'older than the 30-minute window' },
        { time: ns(16n * MINUTE_NS), message: 'more than 5 minutes ahead' },
        { time: '-5', message: 'negative' },
        { time: ns(0n), message: 'kept' },
      ]),
    );
    expect(res.json).toEqual({ status: 'ok', accepted: 1, discarded: 3 });
    expect((await traceLogs()).map((l) => l.message)).toEqual(['kept']);
    expect(await api.metric('traced_logs_discarded_total', { reason: 'stale' })).toBe(2);
    expect(await api.metric('traced_logs_discarded_total', { reason: 'future' })).toBe(1);
    expect(await api.metric('traced_logs_accepted_total')).toBe(1);
  });

  it('ages logs out with the window at the exact edge, and the eviction timer drops their minute', async () => {
    // T is 2024-04-19T00:00:00.123456789Z; the clock is 00:10:00.000.
    await postLogs(logsBody([{ time: ns(0n), message: 'at T' }, { time: ns(1n), message: 'at T+1ns' }, { time: ns(MINUTE_NS), message: 'a minute later' }]));
    expect(await api.metric('traced_store_logs')).toBe(3);

    // The edge is clock − 30 min. Put it at T's millisecond (00:00:00.123, just before T): all held.
    const msOfT = Number(T / 1_000_000n);
    api.clock.set(msOfT + 30 * 60_000);
    expect((await traceLogs()).map((l) => l.message)).toEqual(['at T', 'at T+1ns', 'a minute later']);
    // One millisecond on, the edge (00:00:00.124) has passed T and T+1ns: queries drop them at once…
    api.clock.advance(1);
    expect((await traceLogs()).map((l) => l.message)).toEqual(['a minute later']);
    // …while their minute (00:00) is not over at the edge, so eviction keeps its bucket.
    await api.collector.eviction.tick();
    expect(await api.metric('traced_store_logs')).toBe(3);

    // Edge 00:01:00.000: minute 00:00 is wholly outside and goes; 00:01:00.123 stays.
    api.clock.set(Date.UTC(2024, 3, 19, 0, 31, 0));
    await api.collector.eviction.tick();
    expect(await api.metric('traced_store_logs')).toBe(1);
    expect(await api.metric('traced_evicted_logs_total')).toBe(2);
    expect((await traceLogs()).map((l) => l.message)).toEqual(['a minute later']);

    api.clock.set(Date.UTC(2024, 3, 19, 0, 32, 0));
    await api.collector.eviction.tick();
    expect(await api.metric('traced_store_logs')).toBe(0);
    expect((await api.get(`/traces/${TRACE}/logs`)).status).toBe(404);
  });

  it('answers 503 with Retry-After at the MAX_LOGS budget, and accepts again after eviction', async () => {
    const ten = Array.from({ length: 10 }, (_, i) => ({ time: ns(BigInt(i)) }));
    expect((await postLogs(logsBody(ten))).status).toBe(202);
    const refused = await postLogs(logsBody([{ time: ns(0n) }]));
    expect(refused.status).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((refused.json as JsonObject).error).toMatch(/MAX_LOGS=10/);
    expect(await api.metric('traced_log_batches_rejected_total', { reason: 'log_budget' })).toBe(1);
    expect(await api.metric('traced_store_max_logs')).toBe(10);

    api.clock.set(Date.UTC(2024, 3, 19, 0, 31, 0));
    await api.collector.eviction.tick();
    const accepted = await postLogs(logsBody([{ time: (BigInt(Date.UTC(2024, 3, 19, 0, 30, 0)) * 1_000_000n).toString() }]));
    expect(accepted.status).toBe(202);
  });

  it('is not refused because the span store is at its budget', async () => {
    await api.close();
    api = await startOtlpCollector({ maxSpans: 1 });
    expect((await api.postSpans([{ trace_id: TRACE, span_id: SPAN, start_time: ns(0n) }])).status).toBe(202);
    await api.collector.admission.sample();
    expect((await api.postSpans([{ trace_id: TRACE, span_id: SPAN, start_time: ns(0n) }])).status).toBe(503);
    expect((await postLogs(logsBody([{ time: ns(0n) }]))).status).toBe(202);
  });
});
