// inventory — instrumented with our SDK (Fastify plugin). One item lives in the far warehouse:
// its lookup is the demo's slow path. One is never in stock: 409.

import Fastify from 'fastify';
import { BatchSpanProcessor, pinoTraceMixin, TracedHttpExporter, TracedTracer, tracedFastifyPlugin } from '../../sdk/src/index.js';
import { shippedLogger, sleep, type RunningService } from './common.js';

const STOCK: Record<string, number> = { 'espresso-beans': 500, 'milk-frother': 40, 'bulky-sofa': 3, unobtainium: 0 };
export const SLOW_ITEM = 'bulky-sofa';

export async function startInventory(collectorUrl: string): Promise<RunningService> {
  const tracer = new TracedTracer({
    service: 'inventory',
    processor: new BatchSpanProcessor(new TracedHttpExporter({ url: collectorUrl }), { scheduledDelayMs: 200 }),
  });
  const { log, shipper } = shippedLogger(collectorUrl, 'inventory', pinoTraceMixin());

  const app = Fastify();
  await app.register(tracedFastifyPlugin, { tracer });
  app.get<{ Querystring: { item: string; qty: string } }>('/reserve', async (request, reply) => {
    const { item } = request.query;
    const qty = Number(request.query.qty);
    const stock = await tracer.startActiveSpan(
      'db.query',
      { tags: { 'db.system': 'postgresql', 'db.statement': 'SELECT stock FROM items WHERE sku = $1 FOR UPDATE' } },
      async (span) => {
        try {
          if (item === SLOW_ITEM) {
            log.info({ item, warehouse: 'far-north' }, 'item stocked in the far warehouse: slow lookup');
            await sleep(350 + Math.random() * 400);
          } else {
            await sleep(3 + Math.random() * 12);
          }
          return STOCK[item] ?? 100;
        } finally {
          span.end();
        }
      },
    );
    if (stock < qty) {
      log.warn({ item, stock, qty }, 'out of stock');
      return reply.code(409).send({ error: 'out of stock' });
    }
    log.info({ item, qty }, 'stock reserved');
    return { reserved: qty };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  return {
    name: 'inventory',
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

