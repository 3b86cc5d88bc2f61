// The storage boundary. HTTP handlers and tests see only this interface; the minute-bucket
// store, the reference store and later durable or shared stores are interchangeable behind it.
// Every method may answer with a promise so that a store backed by I/O fits the same shape.
// Returned objects are fresh copies: callers may keep or change them without touching the store.

import type { NsText } from '../time/nanos.js';

/** A validated span with exact times, ready to store. Ids are lowercase canonical UUIDs. */
export interface IngestSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  service: string;
  operation: string;
  startTime: NsText;
  endTime: NsText;
  error: boolean;
  tags: Record<string, string> | undefined;
  /**
   * When a producer has it for free: exactly `JSON.stringify(tags)` (the fast body parser
   * slices it from the request), so stores need not serialise the tags again.
   */
  tagsJson?: string | undefined;
}

export interface IngestResult {
  /** Spans now held: newly stored plus re-sent ones that were already held. */
  accepted: number;
  /** Of `accepted`, how many were already held (client retries). */
  duplicates: number;
  /** Older than the window edge. */
  discardedStale: number;
  /** More than the allowed skew ahead of now. */
  discardedFuture: number;
}

export interface TraceSummary {
  trace_id: string;
  root_service: string;
  root_operation: string;
  span_count: number;
  duration_ms: number;
  start_time: NsText;
  status: 'ok' | 'error';
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

export interface TraceDetail {
  trace_id: string;
  /** Ordered by start_time ascending, ties by span_id. */
  spans: StoredSpan[];
}

export interface ListQuery {
  /** 0 asks for `total` only. */
  limit: number;
  /** Inclusive lower bound on the root's start_time. */
  after?: NsText;
  /** Exclusive upper bound on the root's start_time. */
  before?: NsText;
}

export interface TraceList {
  total: number;
  /** Root start_time descending, ties by trace_id ascending. */
  traces: TraceSummary[];
}

export interface StoreStats {
  spans: number;
  traces: number;
  /** Minute buckets currently held (live and still being released). */
  buckets: number;
}

export interface EvictionResult {
  /** Spans released by this call. */
  evictedSpans: number;
  /** Whether released buckets still hold spans to process (call again soon). */
  pending: boolean;
}

export interface TraceStore {
  ingest(spans: readonly IngestSpan[]): IngestResult | Promise<IngestResult>;
  listTraces(query: ListQuery): TraceList | Promise<TraceList>;
  getTrace(traceId: string): TraceDetail | undefined | Promise<TraceDetail | undefined>;
  stats(): StoreStats | Promise<StoreStats>;
  /** Releases data older than the window; does at most a bounded slice of work per call. */
  evict(): EvictionResult | Promise<EvictionResult>;
}
