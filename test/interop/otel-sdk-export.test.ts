// The real OpenTelemetry JS SDK (NodeTracerProvider, BatchSpanProcessor) exporting with the real
// OTLP exporters (@opentelemetry/exporter-trace-otlp-http and -proto, plain and gzip) to a
// collector on 127.0.0.1:0; the spans are read back through GET /traces/{id} and compared with
// what the SDK itself recorded (an InMemorySpanExporter beside the OTLP one): ids, parents,
// times to the nanosecond, status, service and tags.

import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import { spanIdToUuid, traceIdToUuid } from '../../sdk/src/ids.js';
import type { Api } from '../support/http.js';
import { waitFor } from '../support/http.js';
import { hrTimeNs, spansById, startOtlpCollector } from '../otlp/support.js';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

type ExporterFactory = (url: string) => OTLPHttpJsonExporter | OTLPHttpProtoExporter;
interface Wire {
  contentType: string;
  gzip: boolean;
}

// The exporters' config types the compression option as their own enum; its value is 'gzip'.
const GZIP = 'gzip' as never;

const EXPORTERS: Array<[string, ExporterFactory, Wire]> = [
  ['exporter-trace-otlp-http (JSON)', (url) => new OTLPHttpJsonExporter({ url }), { contentType: 'application/json', gzip: false }],
  ['exporter-trace-otlp-http (JSON, gzip)', (url) => new OTLPHttpJsonExporter({ url, compression: GZIP }), { contentType: 'application/json', gzip: true }],
  ['exporter-trace-otlp-proto (protobuf)', (url) => new OTLPHttpProtoExporter({ url }), { contentType: 'application/x-protobuf', gzip: false }],
  [
    'exporter-trace-otlp-proto (protobuf, gzip)',
    (url) => new OTLPHttpProtoExporter({ url, compression: GZIP }),
    { contentType: 'application/x-protobuf', gzip: true },
  ],
];

let api: Api | undefined;
let proxy: RecordingProxy | undefined;
let provider: NodeTracerProvider | undefined;
afterEach(async () => {
  await provider?.shutdown();
  await proxy?.close();
  await api?.close();
  provider = undefined;
  proxy = undefined;
  api = undefined;
});

describe.each(EXPORTERS)('OpenTelemetry SDK → %s → POST /v1/traces', (_name, makeExporter, wire) => {
  it('stores every span with the ids, parents, nanosecond times, status and attributes the SDK recorded', async () => {
    api = await startOtlpCollector({ nowMs: 'system' });
    proxy = await startRecordingProxy(api.baseUrl); // records what the exporter really sent
    const recorded = new InMemorySpanExporter();
    provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'orders', 'service.version': '2.4.1' }),
      spanProcessors: [new SimpleSpanProcessor(recorded), new BatchSpanProcessor(makeExporter(`${proxy.url}/v1/traces`))],
    });
    const tracer = provider.getTracer('orders-instrumentation', '1.0.0');

    // Explicit HrTimes with non-zero low digits: exactness is visible in the last digit.
    const sec = Math.floor(Date.now() / 1000) - 5;
    const root = tracer.startSpan('POST /orders', {
      kind: SpanKind.SERVER,
      startTime: [sec, 123_456_789],
      attributes: { 'http.method': 'POST', 'http.status_code': 201, 'order.total': 99.5, 'order.gift': false, 'order.skus': ['a1', 'b2'] },
    });
    const rootContext = trace.setSpan(context.active(), root);
    const query = tracer.startSpan('INSERT orders', { kind: SpanKind.CLIENT, startTime: [sec, 200_000_001], attributes: { 'db.rows': 3 } }, rootContext);
    query.recordException(new TypeError('duplicate key value'));
    query.setStatus({ code: SpanStatusCode.ERROR, message: 'duplicate key value' });
    query.end([sec, 310_000_009]);
    const internal = tracer.startSpan('validate', { startTime: [sec, 150_000_000] }, rootContext);
    internal.setStatus({ code: SpanStatusCode.OK });
    internal.end([sec, 160_000_000]);
    root.end([sec + 1, 987_654_321]);
    await provider.forceFlush();

    const expected = recorded.getFinishedSpans();
    expect(expected).toHaveLength(3);
    const traceUuid = traceIdToUuid(root.spanContext().traceId)!;
    await waitFor('the exported spans', async () => (await api!.get(`/traces/${traceUuid}`)).status === 200);
    const stored = await spansById(api, traceUuid);
    expect(stored.size).toBe(3);

    for (const span of expected) {
      const id = spanIdToUuid(span.spanContext().spanId)!;
      const got = stored.get(id);
      expect(got, `span ${span.name}`).toBeDefined();
      expect(got).toMatchObject({
        trace_id: traceUuid,
        span_id: id,
        service: 'orders',
        operation: span.name,
        start_time: hrTimeNs(span.startTime),
        end_time: hrTimeNs(span.endTime),
        status: span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok',
      });
      const parent = span.parentSpanContext?.spanId;
      if (parent === undefined) expect(got).not.toHaveProperty('parent_span_id');
      else expect(got!.parent_span_id).toBe(spanIdToUuid(parent));
    }

    const byName = (name: string) => stored.get(spanIdToUuid(expected.find((s: ReadableSpan) => s.name === name)!.spanContext().spanId)!)!;
    expect(byName('POST /orders').start_time).toBe(`${sec}123456789`);
    expect(byName('POST /orders').end_time).toBe(`${sec + 1}987654321`);
    expect(byName('POST /orders').tags).toEqual({
      'span.kind': 'server',
      'http.method': 'POST',
      'http.status_code': '201',
      'order.total': '99.5',
      'order.gift': 'false',
      'order.skus': '["a1","b2"]',
      'service.version': '2.4.1', // a resource attribute
    });
    expect(byName('INSERT orders').tags).toMatchObject({
      'span.kind': 'client',
      'otel.status_description': 'duplicate key value',
      'exception.type': 'TypeError',
      'exception.message': 'duplicate key value',
      'db.rows': '3',
    });
    expect(byName('validate').tags).not.toHaveProperty('span.kind');

    // The exporter spoke the encoding under test, and the collector answered 200.
    expect(proxy.requests.length).toBeGreaterThan(0);
    for (const sent of proxy.requests) {
      expect(sent).toMatchObject({ method: 'POST', path: '/v1/traces', status: 200 });
      expect(sent.headers['content-type']).toBe(wire.contentType);
      expect(sent.headers['content-encoding'] === 'gzip').toBe(wire.gzip);
    }

    // The collector counted them as accepted spans, like POST /spans does.
    expect(await api.metric('traced_spans_accepted_total')).toBe(3);
    const summary = (await api.listTraces()).traces.find((t) => t.trace_id === traceUuid)!;
    expect(summary).toMatchObject({ root_service: 'orders', root_operation: 'POST /orders', span_count: 3, status: 'error', duration_ms: 1864 });
  });
});
