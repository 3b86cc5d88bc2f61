// The internal query routes: what this node's own stores hold, in the forms a peer merges
// (schemas/internal.ts, src/cluster/peer-wire.ts). A collector that fans a query out
// (src/store/merged-store.ts over src/cluster/peer-client.ts) asks every other node here.
//
// Separate paths rather than the public ones with a scope parameter: the public bodies lose what a
// merge needs (quantiles instead of sketches, /services grouped, cursors tied to a fingerprint,
// no `more`, int64 as bare JSON numbers), and an answer here is always this node's alone, so a
// fan-out can never loop through them. They always answer, with or without peers: any node may
// be asked. Never refused by admission control (they are queries), never fanned out again.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InternalRangeQuery, InternalReadQuery, InternalTraceListQuery } from '../../schemas/internal.js';
import { TraceIdParams } from '../../schemas/traces.js';
import { decodeMinimums, type AppliedSequenceBoard } from '../cluster/fanout-read-barrier.js';
import { encodeDependencies, encodeLatency, encodeStoreStats, encodeTrace, encodeTraceList } from '../cluster/peer-wire.js';
import type { QuerySource } from '../store/merged-store.js';
import { nonNegativeInt64FromText } from '../time/nanos.js';
import { QueryError } from './time-bounds.js';
import { filterOf } from './traces.js';

export interface InternalQueryRouteOptions {
  /** This node's own stores, never a merged view. */
  store: QuerySource;
  /**
   * Read-your-writes: what this node's partitions have applied. A question carrying
   * `min_applied` waits up to `readWaitMs` for them; without a board it is answered at once.
   */
  applied?: AppliedSequenceBoard;
  readWaitMs?: number;
  /**
   * Cluster mode: owned partitions whose takeover replay is still running. Their answers are not
   * whole yet, so they are named behind like partitions that have not applied the minimums.
   */
  replaying?: () => number[];
  /**
   * Cluster mode: this node's stores for the given partitions only, and those of them it does
   * not own (named behind). Without it a `partitions` scope is ignored: the store is one whole.
   */
  scoped?: (partitions: readonly number[]) => { store: QuerySource; notOwned: number[] };
}

/** Exact text within int64 (the schema's pattern allows 19 digits past INT64_MAX). */
function exact(text: string | undefined, name: string): string | undefined {
  if (text === undefined) return undefined;
  if (nonNegativeInt64FromText(text) !== text) throw new QueryError(`${name} must be a non-negative int64 in decimal`);
  return text;
}

const json = 'application/json; charset=utf-8';

export const internalQueryRoutes: FastifyPluginAsyncTypebox<InternalQueryRouteOptions> = async (app, { store: whole, applied, readWaitMs = 0, replaying, scoped }) => {
  /** The stores a question is answered from, and the partitions it asked for that are not here. */
  const scope = (partitions: string | undefined): { store: QuerySource; notOwned: number[]; asked?: ReadonlySet<number> } => {
    if (partitions === undefined || scoped === undefined) return { store: whole, notOwned: [] };
    const asked = new Set(partitions.split(',').map(Number));
    return { ...scoped([...asked]), asked };
  };

  /** Waits for the question's minimums; the owned partitions still behind after the wait, or still replaying. */
  const barrier = async (minApplied: string | undefined, notOwned: readonly number[] = [], asked?: ReadonlySet<number>): Promise<number[] | undefined> => {
    let behind: number[] | undefined = notOwned.length > 0 ? [...notOwned] : undefined;
    if (minApplied !== undefined) {
      const minimums = decodeMinimums(minApplied);
      if (minimums === undefined) throw new QueryError('min_applied must be partition:sequence pairs, comma-separated');
      if (applied !== undefined) behind = [...(behind ?? []), ...(await applied.waitFor(minimums, readWaitMs)).filter((p) => asked === undefined || asked.has(p))];
    }
    // Partitions the question did not ask for are not in its answer: not flagged.
    const replayed = (replaying?.() ?? []).filter((p) => asked === undefined || asked.has(p));
    if (behind === undefined && replayed.length === 0) return undefined;
    return [...new Set([...(behind ?? []), ...replayed])].sort((a, b) => a - b);
  };

  app.get(
    '/internal/v1/traces',
    {
      schema: { querystring: InternalTraceListQuery },
      preValidation: async (request) => {
        const query = request.query as Record<string, unknown>;
        if (typeof query.tag === 'string') query.tag = [query.tag];
      },
    },
    async (request, reply) => {
      const q = request.query;
      const { store, notOwned, asked } = scope(q.partitions);
      const behind = await barrier(q.min_applied, notOwned, asked);
      const startTime = exact(q.cursor_start_time, 'cursor_start_time');
      if ((startTime === undefined) !== (q.cursor_trace_id === undefined)) throw new QueryError('cursor_start_time and cursor_trace_id go together');
      const list = await store.listTraces({
        limit: q.limit,
        after: exact(q.after, 'after'),
        before: exact(q.before, 'before'),
        filter: filterOf(q),
        cursor: startTime === undefined ? undefined : { startTime, traceId: q.cursor_trace_id! },
      });
      return reply.type(json).send(encodeTraceList(list, behind));
    },
  );

  app.get('/internal/v1/traces/:trace_id', { schema: { params: TraceIdParams, querystring: InternalReadQuery } }, async (request, reply) => {
    // A trace is whole or absent: a partition still behind cannot be flagged on it, only waited for.
    const { store } = scope(request.query.partitions);
    await barrier(request.query.min_applied);
    return reply.type(json).send(encodeTrace(await store.getTrace(request.params.trace_id.toLowerCase())));
  });

  // The range comes aligned to whole minutes from the asking node, and may be empty (after =
  // before), which GET /stats would refuse: the bounds are read as they are.
  app.get('/internal/v1/latency', { schema: { querystring: InternalRangeQuery } }, async (request, reply) => {
    const range = { after: exact(request.query.after, 'after'), before: exact(request.query.before, 'before') };
    const { store, notOwned, asked } = scope(request.query.partitions);
    const behind = await barrier(request.query.min_applied, notOwned, asked);
    return reply.type(json).send(encodeLatency(await store.latency(range), behind));
  });

  app.get('/internal/v1/dependencies', { schema: { querystring: InternalRangeQuery } }, async (request, reply) => {
    const range = { after: exact(request.query.after, 'after'), before: exact(request.query.before, 'before') };
    const { store, notOwned, asked } = scope(request.query.partitions);
    const behind = await barrier(request.query.min_applied, notOwned, asked);
    return reply.type(json).send(encodeDependencies(await store.dependencies(range), behind));
  });

  app.get('/internal/v1/store-stats', async (_request, reply) => reply.type(json).send(encodeStoreStats(await whole.stats())));
};
