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
});

export const TraceListResponse = Type.Object({
  traces: Type.Array(TraceSummary),
  total: Type.Integer(),
});

export const TraceDetailResponse = Type.Object({
  trace_id: Uuid,
  spans: Type.Array(Span),
});

/** Query of GET /traces. `after`/`before` are re-read as exact text by the handler. */
export const TraceListQuery = Type.Object({
  limit: Type.Integer({ default: 20, minimum: 0, maximum: MAX_LIST_LIMIT }),
  after: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  before: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
});
export type TraceListQuery = Static<typeof TraceListQuery>;

export const TraceIdParams = Type.Object({ trace_id: Uuid });
export type TraceIdParams = Static<typeof TraceIdParams>;
