// The internal query routes (/internal/v1/...) by which one collector asks another for the part of
// an answer its own stores hold, in forms that merge exactly (src/store/merged-store.ts): a list
// page with `more` and positions, a whole trace, latency sketches as bins, dependency edges with
// their sketches, store counts. Every int64 travels as exact decimal text. The peer client
// (src/cluster/peer-client.ts) checks every answer against these schemas before it trusts it.
import Type, { type Static } from 'typebox';
import { SpanStatus } from './common.js';
import { TraceListQuery } from './traces.js';

/** A non-negative int64 as decimal text without leading zeros (the range is checked beside it). */
export const NsString = Type.String({ pattern: '^(0|[1-9][0-9]{0,18})$' });
/** Any int64 as decimal text (span end times may precede their starts in malformed input). */
const Int64String = Type.String({ pattern: '^(0|-?[1-9][0-9]{0,18})$' });
/** A trace or span id as the stores answer it: lowercase. */
const LowerUuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Count = Type.Integer({ minimum: 0 });

const { cursor: _publicCursor, after: _after, before: _before, ...listFilters } = TraceListQuery.properties;

/**
 * Read-your-writes: "partition:sequence" pairs, comma-separated; the node waits briefly until it
 * has applied at least that much of each partition it owns (src/cluster/fanout-read-barrier.ts).
 */
export const MinApplied = Type.String({ pattern: '^[0-9]+:[0-9]+(,[0-9]+:[0-9]+)*$' });
/**
 * Cluster mode: the partitions the asking node takes this node to own; it answers for those of
 * them it owns and lists the others in `behind` (their leases moved since the asking node read them).
 */
export const Partitions = Type.String({ pattern: '^(0|[1-9][0-9]{0,4})(,(0|[1-9][0-9]{0,4}))*$' });
/** Partitions this node owns whose minimum it had still not applied when its wait ended. */
export const Behind = Type.Array(Type.Integer({ minimum: 0 }));

/** GET /internal/v1/traces: the filters of GET /traces; times and the position as exact text. */
export const InternalTraceListQuery = Type.Object({
  ...listFilters,
  after: Type.Optional(NsString),
  before: Type.Optional(NsString),
  cursor_start_time: Type.Optional(NsString),
  cursor_trace_id: Type.Optional(LowerUuid),
  min_applied: Type.Optional(MinApplied),
  partitions: Type.Optional(Partitions),
});
export type InternalTraceListQuery = Static<typeof InternalTraceListQuery>;

export const InternalTraceSummary = Type.Object({
  trace_id: LowerUuid,
  root_service: Type.String(),
  root_operation: Type.String(),
  span_count: Count,
  duration_ms: Count,
  start_time: NsString,
  status: SpanStatus,
  services: Type.Array(Type.String()),
  error_count: Count,
  partial: Type.Boolean(),
});

export const InternalTraceList = Type.Object({
  total: Count,
  traces: Type.Array(InternalTraceSummary),
  more: Type.Boolean(),
  incomplete: Type.Optional(Type.Boolean()),
  behind: Type.Optional(Behind),
});
export type InternalTraceList = Static<typeof InternalTraceList>;

export const InternalTraceSpan = Type.Object({
  trace_id: LowerUuid,
  span_id: LowerUuid,
  parent_span_id: Type.Optional(LowerUuid),
  service: Type.String(),
  operation: Type.String(),
  start_time: NsString,
  end_time: Int64String,
  status: SpanStatus,
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  depth: Count,
  children: Type.Array(LowerUuid),
  orphan: Type.Optional(Type.Boolean()),
});

export const InternalTraceDetail = Type.Object({
  trace_id: LowerUuid,
  root_span_id: Type.Optional(LowerUuid),
  partial: Type.Boolean(),
  spans: Type.Array(InternalTraceSpan),
});

/** GET /internal/v1/traces/{trace_id}: the trace, or null when this node holds none of it. */
export const InternalTraceResponse = Type.Object({ trace: Type.Union([InternalTraceDetail, Type.Null()]) });
export type InternalTraceResponse = Static<typeof InternalTraceResponse>;

/** Counts and latency sketch of a group of spans: zero durations apart, then [bin, count] pairs. */
export const InternalLatencyStats = Type.Object({
  spans: Count,
  errors: Count,
  max_ns: Type.Number({ minimum: 0 }),
  zeros: Count,
  /** [bin index, count] pairs, bins ascending, counts at least 1 (peer-wire.ts checks both). */
  bins: Type.Array(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, maxItems: 2 })),
});

/** GET /internal/v1/latency and /internal/v1/dependencies: `after`/`before` as exact text. */
export const InternalRangeQuery = Type.Object({
  after: Type.Optional(NsString),
  before: Type.Optional(NsString),
  min_applied: Type.Optional(MinApplied),
  partitions: Type.Optional(Partitions),
});

/** GET /internal/v1/traces/{trace_id}: the read-your-writes minimums and the partition scope. */
export const InternalReadQuery = Type.Object({ min_applied: Type.Optional(MinApplied), partitions: Type.Optional(Partitions) });
export type InternalReadQuery = Static<typeof InternalReadQuery>;
export type InternalRangeQuery = Static<typeof InternalRangeQuery>;

export const InternalLatencyReport = Type.Object({
  after: NsString,
  before: NsString,
  elapsed_seconds: Type.Number({ minimum: 0 }),
  endpoints: Type.Array(Type.Object({ service: Type.String(), operation: Type.String(), stats: InternalLatencyStats })),
  behind: Type.Optional(Behind),
});
export type InternalLatencyReport = Static<typeof InternalLatencyReport>;

export const InternalDependencyReport = Type.Object({
  after: NsString,
  before: NsString,
  elapsed_seconds: Type.Number({ minimum: 0 }),
  links: Type.Array(Type.Object({ parent: Type.String(), child: Type.String(), stats: InternalLatencyStats })),
  behind: Type.Optional(Behind),
});
export type InternalDependencyReport = Static<typeof InternalDependencyReport>;

export const InternalStoreStats = Type.Object({
  spans: Count,
  traces: Count,
  buckets: Count,
  bytes: Type.Optional(Count),
  endpoints: Type.Optional(Count),
  overflowed_spans: Type.Optional(Count),
});
export type InternalStoreStats = Static<typeof InternalStoreStats>;
