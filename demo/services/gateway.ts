// gateway — instrumented with our SDK: the Fastify plugin opens a SERVER span per request and
// instrumentFetch a CLIENT span (with traceparent) per call to checkout. Spans go to POST /spans.

import Fastify from 'fastify';
import {
  BatchSpanProcessor,
  getRequestSpan,
  instrumentFetch,
  pinoTraceMixin,
  TracedHttpExporter,
  TracedTracer,
  traceIdToUuid,
  tracedFastifyPlugin,
} from '../../sdk/src/index.js';
import { shippedLogger, type RunningService } from './common.js';

export async function startGateway(collectorUrl: string, checkoutUrl: string): Promise<RunningService> {
  const tracer = new TracedTracer({
    service: 'gateway',
    processor: new BatchSpanProcessor(new TracedHttpExporter({ url: collectorUrl }), { scheduledDelayMs: 200 }),
  });
  const { log, shipper } = shippedLogger(collectorUrl, 'gateway', pinoTraceMixin());
  const tracedFetch = instrumentFetch(fetch, { tracer });

  const app = Fastify();
  await app.register(tracedFastifyPlugin, { tracer });
  // Every answer names its trace, so the load generator can look it up in the collector.
  app.addHook('onSend', async (request, reply) => {
    const span = getRequestSpan(request);
    if (span !== undefined) reply.header('x-trace-id', traceIdToUuid(span.spanContext().traceId));
  });
  app.get<{ Querystring: { item?: string; qty?: string; card?: string } }>('/checkout', async (request, reply) => {
    const { item = 'espresso-beans', qty = '1', card = '4242-4242-4242-4242' } = request.query;
    log.info({ item, qty }, 'checkout requested');
    const response = await tracedFetch(`${checkoutUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item, qty: Number(qty), card }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.ok) log.info({ order_id: String(body.order_id) }, 'order placed');
    else log.warn({ status: response.status, reason: String(body.error) }, 'checkout failed');
    return reply.code(response.status).send(body);
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  return {
    name: 'gateway',
    url,
    flush: async () => {
      await Promise.all([tracer.forceFlush(), shipper.flush()]);
    },
    close: async () => {
      await app.close();
      await Promise.all([tracer.shutdown(), shipper.shutdown()]);
    },
  };
}
