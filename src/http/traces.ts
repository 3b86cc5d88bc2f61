import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MAX_TAG_FILTERS, TraceIdParams, TraceListQuery } from '../../schemas/traces.js';
import type { TraceFilter } from '../store/trace-store.js';
import type { TraceReader } from '../store/reader.js';
import type { PartialTraceLookup } from '../store/merged-store.js';
import { decodeCursor, encodeCursor, queryFingerprint } from './cursor.js';
import { flagPartial } from './partial-header.js';
import { captureTimeBounds, QueryError, registerTimeBounds, timeBounds } from './time-bounds.js';
import { traceDetailJson, traceListJson } from './trace-json.js';

export interface TracesRouteOptions {
  /** A merged reader also answers lookupTrace (merged-store.ts), so that a 404 can say it may be partial. */
  store: TraceReader | (TraceReader & PartialTraceLookup);
}

/** The search filters of the query; `tag=key:value` splits at the first ':'. */
export function filterOf(query: Omit<TraceListQuery, 'limit' | 'after' | 'before' | 'cursor'>): TraceFilter {
  const filter: TraceFilter = {};
  if (query.service !== undefined) filter.service = query.service;
  if (query.root_service !== undefined) filter.rootService = query.root_service;
  if (query.operation !== undefined) filter.operation = query.operation;
  if (query.status !== undefined) filter.status = query.status;
  if (query.min_duration_ms !== undefined) filter.minDurationMs = query.min_duration_ms;
  if (query.max_duration_ms !== undefined) filter.maxDurationMs = query.max_duration_ms;
  if (filter.minDurationMs !== undefined && filter.maxDurationMs !== undefined && filter.minDurationMs > filter.maxDurationMs) {
    throw new QueryError('min_duration_ms must not be greater than max_duration_ms');
  }
  if (query.tag !== undefined && query.tag.length > 0) {
    // Each distinct pair is a pass over the spans holding it: repeats are dropped, and the rest capped.
    const pairs = [...new Set(query.tag)];
    if (pairs.length > MAX_TAG_FILTERS) throw new QueryError(`tag: at most ${MAX_TAG_FILTERS} distinct key:value pairs per search, got ${pairs.length}`);
    filter.tags = pairs.map((pair) => {
      const colon = pair.indexOf(':');
      if (colon < 0) throw new QueryError(`tag must be key:value, got ${JSON.stringify(pair)}`);
      return { key: pair.slice(0, colon), value: pair.slice(colon + 1) };
    });
  }
  if (query.partial !== undefined) filter.partial = query.partial;
  return filter;
}

export const tracesRoutes: FastifyPluginAsyncTypebox<TracesRouteOptions> = async (app, { store }) => {
  registerTimeBounds(app);

  app.get(
    '/traces',
    {
      schema: { querystring: TraceListQuery },
      preValidation: async (request) => {
        await captureTimeBounds(request);
        // A single `tag=k:v` arrives as a string; the schema wants the repeatable form.
        const query = request.query as Record<string, unknown>;
        if (typeof query.tag === 'string') query.tag = [query.tag];
        // Coercion alone would accept 0x10, 1e1 or " 5"; a limit is written in plain digits,
        // as after/before must be.
        if (typeof query.limit === 'string' && !/^\d+$/.test(query.limit)) {
          throw new QueryError('limit must be an integer from 0 to 1000');
        }
      },
    },
    async (request, reply) => {
      const { after, before } = timeBounds(request);
      const filter = filterOf(request.query);
      const fingerprint = queryFingerprint({ after, before, filter });
      let cursor;
      if (request.query.cursor !== undefined) {
        const decoded = decodeCursor(request.query.cursor);
        if (decoded === undefined) throw new QueryError('cursor is not a cursor returned by GET /traces');
        if (decoded.fingerprint !== fingerprint) {
          throw new QueryError('cursor was returned for other filters or another time range: repeat them with it');
        }
        cursor = decoded.position;
      }
      const list = await store.listTraces({ limit: request.query.limit, after, before, filter, cursor });
      const last = list.traces[list.traces.length - 1];
      const nextCursor =
        list.more && last !== undefined ? encodeCursor({ startTime: last.start_time, traceId: last.trace_id }, fingerprint) : undefined;
      flagPartial(reply, list.unavailable);
      return reply.type('application/json; charset=utf-8').send(traceListJson(list, nextCursor));
    },
  );

  app.get('/traces/:trace_id', { schema: { params: TraceIdParams } }, async (request, reply) => {
    const traceId = request.params.trace_id.toLowerCase();
    const { detail, unavailable } = 'lookupTrace' in store ? await store.lookupTrace(traceId) : { detail: await store.getTrace(traceId), unavailable: undefined };
    if (detail === undefined) {
      if (unavailable !== undefined) {
        flagPartial(reply, unavailable);
        return reply.code(404).send({ error: `trace ${traceId} was not found in the window by the nodes that answered; ${unavailable.join(', ')} did not answer` });
      }
      return reply.code(404).send({ error: `trace ${traceId} was not found in the window` });
    }
    return reply.type('application/json; charset=utf-8').send(traceDetailJson(detail));
  });
};
