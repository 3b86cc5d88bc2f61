// payment — instrumented with our SDK on a plain `http` server (wrapRequestListener). Two test
// cards fail: one is declined (402, the card network says no), one crashes the processor (500).

import http from 'node:http';
import { BatchSpanProcessor, pinoTraceMixin, TracedHttpExporter, TracedTracer, wrapRequestListener } from '../../sdk/src/index.js';
import { closeServer, listenOnFreePort, readBody, shippedLogger, sleep, type RunningService } from './common.js';

export const DECLINED_CARD = '4000-0000-0000-0002';
export const CRASHING_CARD = '4000-0000-0000-0119';

export async function startPayment(collectorUrl: string): Promise<RunningService> {
  const tracer = new TracedTracer({
    service: 'payment',
    processor: new BatchSpanProcessor(new TracedHttpExporter({ url: collectorUrl }), { scheduledDelayMs: 200 }),
  });
  const { log, shipper } = shippedLogger(collectorUrl, 'payment', pinoTraceMixin());

  const server = http.createServer(
    wrapRequestListener(
      async (req, res) => {
        const { card, amount } = JSON.parse(await readBody(req)) as { card: string; amount: number };
        const last4 = card.slice(-4);
        await tracer.startActiveSpan('fraud_check', async (span) => {
          span.setTag('payment.card_last4', last4);
          await sleep(2 + Math.random() * 6);
          span.end();
        });
        const outcome = await tracer.startActiveSpan('card_network.authorize', async (span) => {
          try {
            span.setTags({ 'payment.amount_cents': amount, 'payment.card_last4': last4 });
            await sleep(10 + Math.random() * 30);
            if (card === CRASHING_CARD) throw new Error('card network timed out after 3 retries');
            if (card === DECLINED_CARD) {
              span.setTag('payment.declined', true);
              log.warn({ last4, amount }, 'card declined by issuer');
              return 'declined' as const;
            }
            log.info({ last4, amount }, 'payment authorized');
            return 'authorized' as const;
          } catch (error) {
            span.recordException(error);
            log.error({ err: error, last4 }, 'payment processor failed');
            return 'failed' as const;
          } finally {
            span.end();
          }
        });
        const status = outcome === 'authorized' ? 200 : outcome === 'declined' ? 402 : 500;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status === 200 ? { payment_id: `pay_${Math.random().toString(36).slice(2, 10)}` } : { error: `payment ${outcome}` }));
      },
      { tracer, operationName: (req) => `${req.method} ${(req.url ?? '/').split('?')[0]}` },
    ),
  );
  const url = await listenOnFreePort(server);

  return {
    name: 'payment',
    url,
    flush: async () => {
      await Promise.all([tracer.forceFlush(), shipper.flush()]);
    },
    close: async () => {
      await closeServer(server);
      await Promise.all([tracer.shutdown(), shipper.shutdown()]);
    },
  };
}
