// The shapes the store's roles exchange: what a write reports, what a query asks and what it is
// answered with, what the lifecycle counts. Each role file (writer.ts, reader.ts, stats.ts,
// lifecycle.ts) names them from here; trace-store.ts re-exports them with the composition.
// Returned objects are fresh copies: callers may keep or change them without touching the store.

import type { NsText } from '../time/nanos.js';
import type { LatencyStats } from './sketch.js';

export interface IngestResult {
  /** Spans now held: newly stored plus re-sent ones that were already held. */
  accepted: number;
  /** Of `accepted`, how many were already held (client retries). */
  duplicates: number;
  /** Older than the window edge. */
  discardedStale: number;
  /** More than the allowed skew ahead of now. */
  discardedFuture: number;
  /** Dropped by sampling (src/sampling/); absent when no sampler is in front of the store. */
  sampledOut?: number;
}

export interface TraceSummary {
  trace_id: string;
  root_service: string;
  root_operation: string;
  span_count: number;
  duration_ms: number;
  start_time: NsText;
  status: 'ok' | 'error';
  /** Distinct services of the trace's spans, sorted (UTF-16 code unit order). */
  services: string[];
  /** Spans with status error. */
  error_count: number;
  /** Some span's parent_span_id is not among the trace's spans. */
  partial: boolean;
}

export interface StoredSpan {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  service: string;
  operation: string;
  start_time: NsText;
  end_time: NsText;
  status: 'ok' | 'error';
  tags?: Record<string, string>;
}

/**
 * A span of GET /traces/{id} with its place in the tree. `depth` counts from 0 at a root (no
 * parent) and at an orphan (its parent is not among the trace's spans). Spans that no root or
 * orphan reaches hang off a parent cycle (malformed input): the earliest of them not yet placed
 * counts as depth 0, repeatedly, until every span is placed.
 */
export interface TreeSpan extends StoredSpan {
  depth: number;
  /** span_ids of the spans naming this one as parent (itself excluded), in span order. */
  children: string[];
  /** Present (true) only when parent_span_id names no span of the trace. */
  orphan?: true;
}

export interface TraceDetail {
  trace_id: string;
  /** The earliest span without a parent (ties by span_id); absent when none has arrived. */
  root_span_id?: string;
  /** Some span is an orphan. */
  partial: boolean;
  /** Ordered by start_time ascending, ties by span_id. */
  spans: TreeSpan[];
}

/**
 * Search filters of GET /traces. Each one holds for a trace when some span of the trace (as held
 * in the window) satisfies it; different filters may be satisfied by different spans.
 */
export interface TraceFilter {
  /** Some span has this service. */
  service?: string;
  /** The root span has this service. */
  rootService?: string;
  /** Some span has this operation (of any service). */
  operation?: string;
  /** The trace status: "error" when some span failed. */
  status?: 'ok' | 'error';
  /** Inclusive bounds on the root's duration_ms. */
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Every pair is held by some span's tags (exact key and value). */
  tags?: ReadonlyArray<{ key: string; value: string }>;
  /** The trace is (not) partial. */
  partial?: boolean;
}

/** A place in the listing order, given by the (root start, trace id) of a listed trace. */
export interface ListPosition {
  startTime: NsText;
  traceId: string;
}

export interface ListQuery {
  /** 0 asks for `total` only. */
  limit: number;
  /** Inclusive lower bound on the root's start_time. */
  after?: NsText;
  /** Exclusive upper bound on the root's start_time. */
  before?: NsText;
  filter?: TraceFilter;
  /** Return only matches strictly after this position in the listing order. */
  cursor?: ListPosition;
}

export interface TraceList {
  /** Matches of the time range and filter; the cursor does not change it. */
  total: number;
  /** Root start_time descending, ties by trace_id ascending. */
  traces: TraceSummary[];
  /** More matches follow the last of `traces`. */
  more: boolean;
  /**
   * The search stopped at the store's scan budget: `total` counts the matches found until then
   * and `traces` may miss some. Absent when the answer is exact.
   */
  incomplete?: boolean;
  /**
   * Sources of a merged answer (merged-store.ts) that did not answer: what `traces` and `total`
   * may miss (and `incomplete` is then true). Absent when every source answered.
   */
  unavailable?: string[];
}

/** A time range for statistics, before alignment (see statsWindow in window.ts). */
export interface RangeQuery {
  after?: NsText;
  before?: NsText;
}

/** The range statistics were taken over: whole minutes, [after, before). */
export interface StatsRange {
  after: NsText;
  before: NsText;
  /** Seconds of the range that have passed (up to now), for rates. */
  elapsedSeconds: number;
}

export interface EndpointLatency {
  service: string;
  operation: string;
  /** Spans of this service and operation starting in the range; latency = span duration. */
  stats: LatencyStats;
}

export interface LatencyReport extends StatsRange {
  /** Every (service, operation) with spans in the range, in no particular order. */
  endpoints: EndpointLatency[];
  /** Sources of a merged report that did not answer (merged-store.ts); absent when all did. */
  unavailable?: string[];
}

export interface DependencyLink {
  /** Service of the parent span. */
  parent: string;
  /** Service of the child span (different from the parent's). */
  child: string;
  /** Child spans starting in the range (their duration, their status). */
  stats: LatencyStats;
}

export interface DependencyReport extends StatsRange {
  links: DependencyLink[];
  /** Sources of a merged report that did not answer (merged-store.ts); absent when all did. */
  unavailable?: string[];
}

export interface StoreStats {
  spans: number;
  traces: number;
  /** Minute buckets currently held (live and still being released). */
  buckets: number;
  /** Bytes of span columns, tag text and trace records held, where the store counts them (MAX_SPAN_BYTES). */
  bytes?: number;
  /** Distinct (service, operation) pairs held, where the store bounds them. */
  endpoints?: number;
  /** Spans stored under the overflow name since start, because the endpoint budget was spent. */
  overflowedSpans?: number;
}

export interface EvictionResult {
  /** Spans released by this call. */
  evictedSpans: number;
  /** Whether released buckets still hold spans to process (call again soon). */
  pending: boolean;
}
