// The Zipkin v2 read API (GET /api/v2/...), answered from the same store and window as GET
// /traces, in Zipkin's JSON shape (zipkin/to-zipkin.ts), so that Zipkin's UI and tools built on
// its API work. Where the store cannot answer exactly, the approximation is said at the route and
// in the README ("Zipkin").

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { MAX_LIST_LIMIT, MAX_TAG_FILTERS } from '../../schemas/traces.js';
import {
  ZipkinDependenciesQuery,
  ZipkinServiceQuery,
  ZipkinTraceManyQuery,
  ZipkinTraceParams,
  ZipkinTracesQuery,
} from '../../schemas/zipkin.js';
import { zipkinTraceIdToUuid } from '../codec/zipkin-ids.js';
import { operationRows } from '../store/red.js';
import type { TraceReader } from '../store/reader.js';
import type { TraceStats } from '../store/stats.js';
import type { TraceDetail, TraceFilter } from '../store/store-shapes.js';
import type { Clock } from '../time/clock.js';
import { toZipkinTrace, type ZipkinSpanJson } from '../zipkin/to-zipkin.js';
import { DEFAULT_LOOKBACK_MS, lookbackRange, parseAnnotationQuery, type AnnotationQuery } from '../zipkin/query.js';

export interface ZipkinQueryRouteOptions {
  store: TraceReader & TraceStats;
  /** The store's clock: endTs defaults to its now. */
  clock: Clock;
}

/** traceMany's bound on ids per request: each is a getTrace. */
const MAX_TRACE_IDS = 100;
/** Traces read to find the remote services a service calls (see /api/v2/remoteServices). */
const REMOTE_SERVICE_TRACES = 100;
/** Bare annotationQuery terms are checked on up to this many times `limit` listed traces. */
const TERM_OVERFETCH = 10;

function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(value));
}

/** Zipkin's bare annotationQuery term: a tag named `term`, or an annotation with value `term`. */
function traceHasTerms(spans: readonly ZipkinSpanJson[], terms: readonly string[]): boolean {
  return terms.every((term) =>
    spans.some((s) => (s.tags !== undefined && Object.hasOwn(s.tags, term)) || (s.annotations?.some((a) => a.value === term) ?? false)),
  );
}

export const zipkinQueryRoutes: FastifyPluginAsyncTypebox<ZipkinQueryRouteOptions> = async (app, { store, clock }) => {
  app.get('/api/v2/services', async (_request, reply) => {
    const report = await store.latency({});
    const services = [...new Set(report.endpoints.map((e) => e.service))].sort();
    return sendJson(reply, services);
  });

  app.get('/api/v2/spans', { schema: { querystring: ZipkinServiceQuery } }, async (request, reply) => {
    const rows = operationRows(await store.latency({}), request.query.serviceName) ?? [];
    return sendJson(reply, rows.map((r) => r.operation).sort());
  });

  // Not exact: the store indexes no remote endpoints, so the remote services named by the spans
  // of the service's most recent REMOTE_SERVICE_TRACES traces (remoteEndpoint.serviceName tags)
  // stand in for all of them in the window.
  app.get('/api/v2/remoteServices', { schema: { querystring: ZipkinServiceQuery } }, async (request, reply) => {
    const { serviceName } = request.query;
    const list = await store.listTraces({ limit: REMOTE_SERVICE_TRACES, filter: { service: serviceName } });
    const remote = new Set<string>();
    for (const summary of list.traces) {
      const detail = await store.getTrace(summary.trace_id);
      for (const span of detail?.spans ?? []) {
        const name = span.service === serviceName ? span.tags?.['remoteEndpoint.serviceName'] : undefined;
        if (name !== undefined) remote.add(name);
      }
    }
    return sendJson(reply, [...remote].sort());
  });

  // Approximations, because the store filters traces, not spans: minDuration/maxDuration bound the
  // root span's duration (Zipkin: some span's), and serviceName, spanName and the annotationQuery
  // terms may each be met by a different span of the trace (Zipkin: spans of serviceName).
  app.get('/api/v2/traces', { schema: { querystring: ZipkinTracesQuery } }, async (request, reply) => {
    const query = request.query;
    const filter: TraceFilter = {};
    if (query.serviceName !== undefined && query.serviceName !== '') filter.service = query.serviceName;
    if (query.spanName !== undefined && query.spanName !== '' && query.spanName !== 'all') filter.operation = query.spanName;
    if (query.minDuration !== undefined) filter.minDurationMs = query.minDuration / 1000;
    if (query.maxDuration !== undefined) filter.maxDurationMs = query.maxDuration / 1000;
    const annotations: AnnotationQuery = parseAnnotationQuery(query.annotationQuery);
    if (annotations.terms.includes('error')) {
      // The "error" tag is how Zipkin marks a failed span; the store keeps it as the status.
      filter.status = 'error';
      annotations.terms = annotations.terms.filter((t) => t !== 'error');
    }
    if (annotations.pairs.length > MAX_TAG_FILTERS) {
      return reply.code(400).send({ error: `annotationQuery: at most ${MAX_TAG_FILTERS} key=value terms, got ${annotations.pairs.length}` });
    }
    if (annotations.pairs.length > 0) filter.tags = annotations.pairs;
    const range = query.endTs === undefined && query.lookback === undefined
      ? {}
      : lookbackRange(query.endTs ?? clock.nowMs(), query.lookback ?? DEFAULT_LOOKBACK_MS);
    const listLimit = annotations.terms.length === 0 ? query.limit : Math.min(query.limit * TERM_OVERFETCH, MAX_LIST_LIMIT);
    const list = await store.listTraces({ limit: listLimit, ...range, filter });
    const traces: ZipkinSpanJson[][] = [];
    for (const summary of list.traces) {
      if (traces.length >= query.limit) break;
      const detail = await store.getTrace(summary.trace_id);
      if (detail === undefined) continue;
      const trace = toZipkinTrace(detail.spans);
      if (traceHasTerms(trace, annotations.terms)) traces.push(trace);
    }
    return sendJson(reply, traces);
  });

  app.get('/api/v2/trace/:traceId', { schema: { params: ZipkinTraceParams } }, async (request, reply) => {
    const { traceId } = request.params;
    const uuid = zipkinTraceIdToUuid(traceId);
    const detail: TraceDetail | undefined = uuid === undefined ? undefined : await store.getTrace(uuid);
    if (detail === undefined) return reply.code(404).send({ error: `trace ${traceId} not found in the window` });
    return sendJson(reply, toZipkinTrace(detail.spans));
  });

  app.get('/api/v2/traceMany', { schema: { querystring: ZipkinTraceManyQuery } }, async (request, reply) => {
    const ids = [...new Set(request.query.traceIds.split(',').map((id) => id.trim()).filter((id) => id !== ''))];
    if (ids.length > MAX_TRACE_IDS) return reply.code(400).send({ error: `traceIds: at most ${MAX_TRACE_IDS} ids, got ${ids.length}` });
    const uuids: string[] = [];
    for (const id of ids) {
      const uuid = zipkinTraceIdToUuid(id);
      if (uuid === undefined) return reply.code(400).send({ error: `traceIds: ${JSON.stringify(id.slice(0, 40))} is not 16 or 32 hex digits (not all zero)` });
      uuids.push(uuid);
    }
    const traces: ZipkinSpanJson[][] = [];
    for (const uuid of uuids) {
      const detail = await store.getTrace(uuid);
      if (detail !== undefined) traces.push(toZipkinTrace(detail.spans));
    }
    return sendJson(reply, traces);
  });

  // Calls between services over whole minutes (the store's statistics are per minute), so the
  // range is endTs − lookback .. endTs widened to minute edges, within the window.
  app.get('/api/v2/dependencies', { schema: { querystring: ZipkinDependenciesQuery } }, async (request, reply) => {
    const { endTs, lookback } = request.query;
    const report = await store.dependencies(lookbackRange(endTs, lookback ?? DEFAULT_LOOKBACK_MS));
    const links = report.links
      .map((l) => ({ parent: l.parent, child: l.child, callCount: l.stats.spans, errorCount: l.stats.errors }))
      .sort((a, b) => (a.parent < b.parent ? -1 : a.parent > b.parent ? 1 : a.child < b.child ? -1 : a.child > b.child ? 1 : 0));
    return sendJson(reply, links);
  });
};
