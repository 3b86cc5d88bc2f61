import Type, { type Static } from 'typebox';
import { Int64, SpanStatus, Uuid } from './common.js';
import { Span } from './span.js';

export const MAX_LIST_LIMIT = 1000;

export const TraceSummary = Type.Object({
  trace_id: Uuid,
  root_service: Type.String(),
  root_operation: Type.String(),
  span_count: Type.Integer(),
  duration_ms: Type.Integer(),
  start_time: Int64,
  status: SpanStatus,
  services: Type.Optional(Type.Array(Type.String())),
  error_count: Type.Optional(Type.Integer({ minimum: 0 })),
  partial: Type.Optional(Type.Boolean()),
});

export const TraceListResponse = Type.Object({
  traces: Type.Array(TraceSummary),
  total: Type.Integer(),
  next_cursor: Type.Optional(Type.String()),
  incomplete: Type.Optional(Type.Boolean()),
});

/** A span of GET /traces/{trace_id}: the Span fields and its place in the tree. */
export const TraceSpan = Type.Object({
  ...Span.properties,
  depth: Type.Optional(Type.Integer({ minimum: 0 })),
  children: Type.Optional(Type.Array(Uuid)),
  orphan: Type.Optional(Type.Boolean()),
});

export const TraceDetailResponse = Type.Object({
  trace_id: Uuid,
  root_span_id: Type.Optional(Uuid),
  partial: Type.Optional(Type.Boolean()),
  spans: Type.Array(TraceSpan),
});

/**
 * Query of GET /traces. `after`/`before` are re-read as exact text by the handler; `tag` may be
 * repeated, and a single one is made a list before validation.
 */
/** Distinct `tag` pairs one search may ask for. */
export const MAX_TAG_FILTERS = 8;

export const TraceListQuery = Type.Object({
  limit: Type.Integer({ default: 20, minimum: 0, maximum: MAX_LIST_LIMIT }),
  after: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  before: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  service: Type.Optional(Type.String()),
  root_service: Type.Optional(Type.String()),
  operation: Type.Optional(Type.String()),
  status: Type.Optional(SpanStatus),
  min_duration_ms: Type.Optional(Type.Integer({ minimum: 0 })),
  max_duration_ms: Type.Optional(Type.Integer({ minimum: 0 })),
  tag: Type.Optional(Type.Array(Type.String())),
  partial: Type.Optional(Type.Boolean()),
  cursor: Type.Optional(Type.String()),
});
export type TraceListQuery = Static<typeof TraceListQuery>;

export const TraceIdParams = Type.Object({ trace_id: Uuid });
export type TraceIdParams = Static<typeof TraceIdParams>;
