// One request across services instrumented with two different tracing stacks, both reporting to
// one collector:
//   gateway  — our SDK (sdk/): Fastify plugin + instrumented fetch, TracedHttpExporter → POST /spans
//   orders   — the OpenTelemetry JS SDK: NodeTracerProvider + BatchSpanProcessor + OTLP exporter → POST /v1/traces
//   stock    — our SDK: plain http with wrapRequestListener, an inner span
// W3C traceparent carries the trace across each hop, in both directions (SDK → OTel → SDK), and
// with OpenTelemetry as the root (OTel → SDK). The collector must hold one trace with every span
// and every parent link right.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPTraceExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor as OtelBatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchSpanProcessor,
  getActiveSpan,
  getRequestSpan,
  instrumentFetch,
  TracedHttpExporter,
  TracedTracer,
  traceIdToUuid,
  tracedFastifyPlugin,
  wrapRequestListener,
} from '../../sdk/src/index.js';
import { waitFor, type Api, type JsonObject } from '../support/http.js';
import { startOtlpCollector } from '../otlp/support.js';
import { startOtelHttpService, type OtelHttpService } from './otel-http-service.js';

interface Answer {
  traceId: string;
  downstream: Answer | null;
}

describe.each([
  ['OTLP/JSON', (url: string) => new OTLPHttpJsonExporter({ url })],
  ['OTLP/protobuf', (url: string) => new OTLPHttpProtoExporter({ url })],
])('a request crossing our SDK and OpenTelemetry (%s)', (_name, makeExporter) => {
  let api: Api;
  let provider: NodeTracerProvider;
  let gatewayTracer: TracedTracer;
  let stockTracer: TracedTracer;
  let gateway: FastifyInstance;
  let stock: http.Server;
  let orders: OtelHttpService;
  let gatewayUrl: string;

  beforeAll(async () => {
    api = await startOtlpCollector({ nowMs: 'system' });

    stockTracer = new TracedTracer({ service: 'stock', processor: new BatchSpanProcessor(new TracedHttpExporter({ url: api.baseUrl })) });
    stock = http.createServer(
      wrapRequestListener(
        (_req, res) => {
          const traceId = getActiveSpan()!.spanContext().traceId;
          stockTracer.startActiveSpan('reserve_stock', (span) => {
            span.setTag('sku', 'A-1');
            span.end();
          });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ traceId, downstream: null }));
        },
        { tracer: stockTracer },
      ),
    );
    await new Promise<void>((resolve) => stock.listen(0, '127.0.0.1', resolve));
    const stockUrl = `http://127.0.0.1:${(stock.address() as AddressInfo).port}`;

    provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'orders' }),
      spanProcessors: [new OtelBatchSpanProcessor(makeExporter(`${api.baseUrl}/v1/traces`))],
    });
    orders = await startOtelHttpService(provider.getTracer('orders'), `${stockUrl}/stock`);

    gatewayTracer = new TracedTracer({ service: 'gateway', processor: new BatchSpanProcessor(new TracedHttpExporter({ url: api.baseUrl })) });
    const tracedFetch = instrumentFetch(fetch, { tracer: gatewayTracer });
    gateway = Fastify();
    await gateway.register(tracedFastifyPlugin, { tracer: gatewayTracer });
    gateway.get('/order', async (request) => {
      const response = await tracedFetch(`${orders.url}/orders`);
      return { traceId: getRequestSpan(request)!.spanContext().traceId, downstream: (await response.json()) as Answer };
    });
    gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await gateway?.close();
    await orders?.close();
    await new Promise<void>((resolve) => (stock ? stock.close(() => resolve()) : resolve()));
    await gatewayTracer?.shutdown();
    await stockTracer?.shutdown();
    await provider?.shutdown();
    await api?.close();
  });

  /** Flushes all three services until the collector holds `count` spans of the trace. */
  async function collectedTrace(traceUuid: string, count: number): Promise<JsonObject[]> {
    let spans: JsonObject[] = [];
    await waitFor(`${count} spans of trace ${traceUuid}`, async () => {
      await Promise.all([gatewayTracer.forceFlush(), stockTracer.forceFlush(), provider.forceFlush()]);
      const res = await api.get(`/traces/${traceUuid}`);
      spans = res.status === 200 ? (res.json as { spans: JsonObject[] }).spans : [];
      return spans.length >= count;
    });
    return spans;
  }

  function find(spans: JsonObject[], service: string, operation: RegExp): JsonObject {
    const matches = spans.filter((s) => s.service === service && operation.test(String(s.operation)));
    expect(matches, `${service} ${operation}`).toHaveLength(1);
    return matches[0]!;
  }

  it('SDK → OpenTelemetry → SDK: one trace, all six spans, each parent across both hops', async () => {
    const answer = (await (await fetch(`${gatewayUrl}/order`)).json()) as Answer;
    // Every service saw the same W3C trace id.
    expect(answer.downstream!.traceId).toBe(answer.traceId);
    expect(answer.downstream!.downstream!.traceId).toBe(answer.traceId);

    const traceUuid = traceIdToUuid(answer.traceId)!;
    const spans = await collectedTrace(traceUuid, 6);
    expect(spans).toHaveLength(6);
    expect(spans.every((s) => s.trace_id === traceUuid)).toBe(true);

    const gatewayServer = find(spans, 'gateway', /^GET \/order$/);
    const gatewayClient = find(spans, 'gateway', /^GET http:\/\/127\.0\.0\.1:\d+\/orders$/);
    const ordersServer = find(spans, 'orders', /^GET \/orders$/);
    const ordersClient = find(spans, 'orders', /^GET http:\/\/127\.0\.0\.1:\d+\/stock$/);
    const stockServer = find(spans, 'stock', /^GET \/stock$/);
    const reserve = find(spans, 'stock', /^reserve_stock$/);

    expect(gatewayServer).not.toHaveProperty('parent_span_id');
    expect(gatewayClient.parent_span_id).toBe(gatewayServer.span_id);
    expect(ordersServer.parent_span_id).toBe(gatewayClient.span_id); // SDK → OpenTelemetry
    expect(ordersClient.parent_span_id).toBe(ordersServer.span_id);
    expect(stockServer.parent_span_id).toBe(ordersClient.span_id); // OpenTelemetry → SDK
    expect(reserve.parent_span_id).toBe(stockServer.span_id);
    expect(ordersServer.tags).toMatchObject({ 'span.kind': 'server', 'http.status_code': '200' });
    expect(gatewayClient.tags).toMatchObject({ 'span.kind': 'client', 'http.status_code': '200' });

    // Listed once, rooted at the gateway, counting all six.
    const summary = (await api.listTraces('limit=1000')).traces.find((t) => t.trace_id === traceUuid);
    expect(summary).toMatchObject({ root_service: 'gateway', root_operation: 'GET /order', span_count: 6, status: 'ok' });
  });

  it('OpenTelemetry as the root → SDK: one trace rooted at the OpenTelemetry span', async () => {
    const answer = (await (await fetch(`${orders.url}/orders`)).json()) as Answer;
    expect(answer.downstream!.traceId).toBe(answer.traceId);
    const traceUuid = traceIdToUuid(answer.traceId)!;
    const spans = await collectedTrace(traceUuid, 4);
    expect(spans).toHaveLength(4);

    const ordersServer = find(spans, 'orders', /^GET \/orders$/);
    const ordersClient = find(spans, 'orders', /\/stock$/);
    const stockServer = find(spans, 'stock', /^GET \/stock$/);
    const reserve = find(spans, 'stock', /^reserve_stock$/);
    expect(ordersServer).not.toHaveProperty('parent_span_id');
    expect(ordersClient.parent_span_id).toBe(ordersServer.span_id);
    expect(stockServer.parent_span_id).toBe(ordersClient.span_id);
    expect(reserve.parent_span_id).toBe(stockServer.span_id);

    const summary = (await api.listTraces('limit=1000')).traces.find((t) => t.trace_id === traceUuid);
    expect(summary).toMatchObject({ root_service: 'orders', span_count: 4 });
  });
});
