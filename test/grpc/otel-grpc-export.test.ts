// The real OpenTelemetry JS SDK exporting to the collector over OTLP/gRPC
// (@opentelemetry/exporter-trace-otlp-grpc with gzip, and @opentelemetry/sdk-logs with
// exporter-logs-otlp-grpc and -http): the spans come back exact through GET /traces/{id}, compared
// with what the SDK itself recorded, and the log lines through GET /traces/{id}/logs on the spans
// they were logged in.

import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as OTLPGrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as OTLPHttpLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import { spanIdToUuid, traceIdToUuid } from '../../sdk/src/ids.js';
import { waitFor } from '../support/http.js';
import { hrTimeNs, spansById } from '../otlp/support.js';
import { startGrpcCollector, type GrpcCollector } from './support.js';

// The exporters' config types the compression option as their own enum; its value is 'gzip'.
const GZIP = 'gzip' as never;

let collector: GrpcCollector | undefined;
const shutdowns: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const shutdown of shutdowns.splice(0)) await shutdown();
  await collector?.api.close();
  collector = undefined;
});

describe('OpenTelemetry SDK → exporter-trace-otlp-grpc (gzip) → TraceService/Export', () => {
  it('stores every span with the ids, parents, nanosecond times, status and attributes the SDK recorded', async () => {
    collector = await startGrpcCollector({ nowMs: 'system' });
    const { api, address } = collector;
    const recorded = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'payments', 'service.version': '3.0.1' }),
      spanProcessors: [new SimpleSpanProcessor(recorded), new BatchSpanProcessor(new OTLPGrpcTraceExporter({ url: `http://${address}`, compression: GZIP }))],
    });
    shutdowns.push(() => provider.shutdown());
    const tracer = provider.getTracer('payments-instrumentation', '1.0.0');

    const sec = Math.floor(Date.now() / 1000) - 5;
    const root = tracer.startSpan('POST /charge', {
      kind: SpanKind.SERVER,
      startTime: [sec, 123_456_789],
      attributes: { 'http.method': 'POST', 'http.status_code': 402, 'charge.amount': 12.75, 'charge.retry': true, 'charge.cards': ['visa', 'amex'] },
    });
    const rootContext = trace.setSpan(context.active(), root);
    const call = tracer.startSpan('card-network authorize', { kind: SpanKind.CLIENT, startTime: [sec, 200_000_001], attributes: { 'net.peer.name': 'acquirer' } }, rootContext);
    call.recordException(new RangeError('insufficient funds'));
    call.setStatus({ code: SpanStatusCode.ERROR, message: 'insufficient funds' });
    call.end([sec, 310_000_009]);
    root.end([sec + 1, 987_654_321]);
    await provider.forceFlush();

    const expected = recorded.getFinishedSpans();
    expect(expected).toHaveLength(2);
    const traceUuid = traceIdToUuid(root.spanContext().traceId)!;
    await waitFor('the exported spans', async () => (await api.get(`/traces/${traceUuid}`)).status === 200);
    const stored = await spansById(api, traceUuid);
    expect(stored.size).toBe(2);
    for (const span of expected) {
      const got = stored.get(spanIdToUuid(span.spanContext().spanId)!);
      expect(got, span.name).toMatchObject({
        trace_id: traceUuid,
        service: 'payments',
        operation: span.name,
        start_time: hrTimeNs(span.startTime),
        end_time: hrTimeNs(span.endTime),
        status: span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok',
      });
    }
    const rootStored = stored.get(spanIdToUuid(root.spanContext().spanId)!)!;
    expect(rootStored.start_time).toBe(`${sec}123456789`);
    expect(rootStored.end_time).toBe(`${sec + 1}987654321`);
    expect(rootStored).not.toHaveProperty('parent_span_id');
    expect(rootStored.tags).toEqual({
      'span.kind': 'server',
      'http.method': 'POST',
      'http.status_code': '402',
      'charge.amount': '12.75',
      'charge.retry': 'true',
      'charge.cards': '["visa","amex"]',
      'service.version': '3.0.1',
    });
    const callStored = stored.get(spanIdToUuid(call.spanContext().spanId)!)!;
    expect(callStored.parent_span_id).toBe(spanIdToUuid(root.spanContext().spanId));
    expect(callStored.tags).toMatchObject({
      'span.kind': 'client',
      'otel.status_description': 'insufficient funds',
      'exception.type': 'RangeError',
      'exception.message': 'insufficient funds',
      'net.peer.name': 'acquirer',
    });
  });
});

const LOG_EXPORTERS: Array<[string, (address: string, httpBase: string) => OTLPGrpcLogExporter | OTLPHttpLogExporter]> = [
  ['exporter-logs-otlp-grpc → LogsService/Export', (address) => new OTLPGrpcLogExporter({ url: `http://${address}` })],
  ['exporter-logs-otlp-grpc (gzip) → LogsService/Export', (address) => new OTLPGrpcLogExporter({ url: `http://${address}`, compression: GZIP })],
  ['exporter-logs-otlp-http → POST /v1/logs', (_address, httpBase) => new OTLPHttpLogExporter({ url: `${httpBase}/v1/logs` })],
  ['exporter-logs-otlp-http (gzip) → POST /v1/logs', (_address, httpBase) => new OTLPHttpLogExporter({ url: `${httpBase}/v1/logs`, compression: GZIP })],
];

describe.each(LOG_EXPORTERS)('OpenTelemetry logs SDK → %s', (_name, makeExporter) => {
  it('stores each line on the trace and span it was logged in, with its level, body, attributes and nanosecond time', async () => {
    collector = await startGrpcCollector({ nowMs: 'system' });
    const { api, address } = collector;
    const resource = resourceFromAttributes({ 'service.name': 'inventory' });
    const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    const loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: makeExporter(address, api.baseUrl) })] });
    shutdowns.push(() => loggerProvider.shutdown(), () => tracerProvider.shutdown());
    const tracer = tracerProvider.getTracer('inventory');
    const logger = loggerProvider.getLogger('inventory-logs');

    const sec = Math.floor(Date.now() / 1000) - 3;
    const span = tracer.startSpan('reserve stock', { startTime: [sec, 0] });
    const spanContext = trace.setSpan(context.active(), span);
    logger.emit({ context: spanContext, timestamp: [sec, 100_000_007], severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'stock low', attributes: { sku: 'A-1', left: 3 } });
    logger.emit({ context: spanContext, timestamp: [sec, 200_000_009], severityNumber: SeverityNumber.ERROR2, body: { reason: 'reserved twice', count: 2 } });
    // No time of its own: the observed time the SDK stamps is kept.
    logger.emit({ context: spanContext, severityText: 'debug', body: 'checked' });
    // Outside any span: no trace to keep it with, rejected in partial_success.
    logger.emit({ severityNumber: SeverityNumber.INFO, body: 'no span here' });
    span.end([sec, 300_000_000]);
    await loggerProvider.forceFlush();

    const traceUuid = traceIdToUuid(span.spanContext().traceId)!;
    const spanUuid = spanIdToUuid(span.spanContext().spanId)!;
    let logs: Array<Record<string, unknown>> = [];
    await waitFor('the exported log lines', async () => {
      const res = await api.get(`/traces/${traceUuid}/logs`);
      logs = res.status === 200 ? (res.json as { logs: Array<Record<string, unknown>> }).logs : [];
      return logs.length === 3;
    });
    expect(logs[0]).toEqual({ time: `${sec}100000007`, trace_id: traceUuid, span_id: spanUuid, service: 'inventory', level: 'warn', message: 'stock low', attributes: { sku: 'A-1', left: '3' } });
    expect(logs[1]).toEqual({ time: `${sec}200000009`, trace_id: traceUuid, span_id: spanUuid, service: 'inventory', level: 'error', message: '{"reason":"reserved twice","count":2}' });
    expect(logs[2]).toMatchObject({ trace_id: traceUuid, span_id: spanUuid, level: 'debug', message: 'checked' });
    // The observed time is now-ish, in nanoseconds.
    expect(BigInt(logs[2]!.time as string) / 1_000_000_000n).toBeGreaterThanOrEqual(BigInt(sec));
    expect(await api.metric('traced_logs_accepted_total')).toBe(3);
  });
});
