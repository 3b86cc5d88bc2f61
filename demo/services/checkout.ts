// checkout — instrumented with OpenTelemetry, not our SDK: NodeTracerProvider, BatchSpanProcessor
// and the OTLP/HTTP protobuf exporter, sending to the collector's POST /v1/traces. Spans are
// written by hand around the http handler and the outgoing calls (what
// @opentelemetry/instrumentation-http would do), with W3C traceparent in and out, so the trace
// continues from the gateway (our SDK) and on to inventory and payment (our SDK again).
// Its pino lines carry trace_id / span_id from the active OpenTelemetry span, mapped to Traced
// UUIDs with the SDK's ids.ts.

import http from 'node:http';
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { spanIdToUuid, traceIdToUuid } from '../../sdk/src/index.js';
import { closeServer, listenOnFreePort, readBody, shippedLogger, sleep, type RunningService } from './common.js';

const PRICES_CENTS: Record<string, number> = { 'espresso-beans': 1899, 'milk-frother': 8900, 'bulky-sofa': 129900, unobtainium: 100 };

/** For pino's mixin: the active OpenTelemetry span's ids in Traced form. */
function otelTraceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceIdToUuid(traceId) ?? '', span_id: spanIdToUuid(spanId) ?? '' };
}

export async function startCheckout(collectorUrl: string, inventoryUrl: string, paymentUrl: string): Promise<RunningService> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.4.2', 'deployment.environment.name': 'demo' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collectorUrl}/v1/traces` }), { scheduledDelayMillis: 200 })],
  });
  // Installs the AsyncLocalStorage context manager, so trace.getActiveSpan() works in handlers.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const tracer = provider.getTracer('demo-checkout', '1.0.0');
  const { log, shipper } = shippedLogger(collectorUrl, 'checkout', otelTraceMixin);

  /** fetch with a CLIENT span and traceparent, as a child of the active span. */
  async function call(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const method = init.method ?? 'GET';
    return tracer.startActiveSpan(`${method} ${target.origin}${target.pathname}`, { kind: SpanKind.CLIENT, attributes: { 'http.method': method, 'http.url': `${target.origin}${target.pathname}` } }, async (span) => {
      const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
      propagation.inject(context.active(), headers, defaultTextMapSetter);
      try {
        const response = await fetch(url, { ...init, headers });
        span.setAttribute('http.status_code', response.status);
        if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  async function placeOrder(req: http.IncomingMessage, span: Span): Promise<{ status: number; body: unknown }> {
    const order = JSON.parse(await readBody(req)) as { item: string; qty: number; card: string };
    span.setAttributes({ 'order.item': order.item, 'order.qty': order.qty });
    await tracer.startActiveSpan('validate_order', async (validate) => {
      await sleep(1 + Math.random() * 3);
      validate.end();
    });
    log.info({ item: order.item, qty: order.qty }, 'reserving stock');
    const reserve = await call(`${inventoryUrl}/reserve?item=${encodeURIComponent(order.item)}&qty=${order.qty}`);
    if (reserve.status === 409) {
      log.warn({ item: order.item }, 'order rejected: out of stock');
      return { status: 409, body: { error: 'out of stock' } };
    }
    if (!reserve.ok) return { status: 502, body: { error: 'inventory unavailable' } };

    const amount = (PRICES_CENTS[order.item] ?? 1000) * order.qty;
    log.info({ amount }, 'charging card');
    const charge = await call(`${paymentUrl}/charge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ card: order.card, amount }),
    });
    if (charge.status === 402) {
      log.warn('order rejected: card declined');
      return { status: 402, body: { error: 'card declined' } };
    }
    if (!charge.ok) {
      log.error({ status: charge.status }, 'payment failed, order not placed');
      return { status: 502, body: { error: 'payment failed' } };
    }
    const orderId = `ord_${Math.random().toString(36).slice(2, 10)}`;
    span.setAttribute('order.id', orderId);
    log.info({ order_id: orderId }, 'order placed');
    return { status: 201, body: { order_id: orderId } };
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const parent = propagation.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = tracer.startSpan(`${req.method} ${path}`, { kind: SpanKind.SERVER, attributes: { 'http.method': req.method ?? 'GET', 'http.route': path } }, parent);
    void context.with(trace.setSpan(parent, span), async () => {
      let result: { status: number; body: unknown };
      try {
        result = req.method === 'POST' && path === '/orders' ? await placeOrder(req, span) : { status: 404, body: { error: 'not found' } };
      } catch (error) {
        span.recordException(error as Error);
        log.error({ err: error }, 'order handling failed');
        result = { status: 500, body: { error: 'internal error' } };
      }
      span.setAttribute('http.status_code', result.status);
      if (result.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${result.status}` });
      span.end();
      res.writeHead(result.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result.body));
    });
  });
  const url = await listenOnFreePort(server);

  return {
    name: 'checkout',
    url,
    flush: async () => {
      await Promise.all([provider.forceFlush(), shipper.flush()]);
    },
    close: async () => {
      await closeServer(server);
      await Promise.all([provider.shutdown(), shipper.shutdown()]);
      // register() installed process-wide OpenTelemetry globals; leave the process as found.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
