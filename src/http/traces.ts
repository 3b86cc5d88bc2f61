import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TraceIdParams, TraceListQuery } from '../../schemas/traces.js';
import type { TraceStore } from '../store/trace-store.js';
import { compareNs, nonNegativeInt64FromText, type NsText } from '../time/nanos.js';
import { traceDetailJson, traceListJson } from './trace-json.js';

export interface TracesRouteOptions {
  store: TraceStore;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** `after` / `before` as the client wrote them, before validation coerced them to doubles. */
    rawTimeBounds: { after?: unknown; before?: unknown } | null;
  }
}

class QueryError extends Error {
  readonly statusCode = 400;
}

function exactBound(raw: unknown, name: string): NsText | undefined {
  if (raw === undefined) return undefined;
  const exact = typeof raw === 'string' ? nonNegativeInt64FromText(raw) : undefined;
  if (exact === undefined) throw new QueryError(`${name} must be a non-negative integer number of nanoseconds`);
  return exact;
}

export const tracesRoutes: FastifyPluginAsyncTypebox<TracesRouteOptions> = async (app, { store }) => {
  app.decorateRequest('rawTimeBounds', null);

  app.get(
    '/traces',
    {
      schema: { querystring: TraceListQuery },
      preValidation: async (request) => {
        const query = request.query as Record<string, unknown>;
        request.rawTimeBounds = { after: query.after, before: query.before };
      },
    },
    async (request, reply) => {
      const after = exactBound(request.rawTimeBounds?.after, 'after');
      const before = exactBound(request.rawTimeBounds?.before, 'before');
      if (after !== undefined && before !== undefined && compareNs(after, before) >= 0) {
        throw new QueryError('after must be less than before');
      }
      const list = await store.listTraces({ limit: request.query.limit, after, before });
      return reply.type('application/json; charset=utf-8').send(traceListJson(list));
    },
  );

  app.get('/traces/:trace_id', { schema: { params: TraceIdParams } }, async (request, reply) => {
    const traceId = request.params.trace_id.toLowerCase();
    const detail = await store.getTrace(traceId);
    if (detail === undefined) {
      return reply.code(404).send({ error: `trace ${traceId} was not found in the window` });
    }
    return reply.type('application/json; charset=utf-8').send(traceDetailJson(detail));
  });
};
