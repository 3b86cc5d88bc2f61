import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody } from '../../schemas/common.js';
import { IngestRequest, IngestResponse } from '../../schemas/span.js';
import { toIngestSpans } from '../ingest/ingest-spans.js';
import type { CollectorMetrics } from '../metrics.js';
import type { TraceStore } from '../store/trace-store.js';

export interface SpansRouteOptions {
  store: TraceStore;
  metrics: CollectorMetrics;
}

export const spansRoutes: FastifyPluginAsyncTypebox<SpansRouteOptions> = async (app, { store, metrics }) => {
  app.post(
    '/spans',
    { schema: { body: IngestRequest, response: { 202: IngestResponse, 400: ErrorBody } } },
    async (request, reply) => {
      const converted = toIngestSpans(request.body.spans, request.spanTimeLiterals);
      if (!converted.ok) {
        metrics.batchesRejected.inc({ reason: 'invalid' });
        return reply.code(400).send({ error: converted.error });
      }
      const result = await store.ingest(converted.spans);
      metrics.spansAccepted.inc(result.accepted);
      if (result.duplicates > 0) metrics.spansDuplicate.inc(result.duplicates);
      if (result.discardedStale > 0) metrics.spansDiscarded.inc({ reason: 'stale' }, result.discardedStale);
      if (result.discardedFuture > 0) metrics.spansDiscarded.inc({ reason: 'future' }, result.discardedFuture);
      return reply.code(202).send({
        status: 'ok',
        accepted: result.accepted,
        discarded: result.discardedStale + result.discardedFuture,
      });
    },
  );
};
