// What the dashboard reads from a Traced-contract server, after decoding. Times are exact
// nanosecond text; extension fields are optional because a contract-only server omits them.

import type { NsText } from '../model/ns.js';

export type Status = 'ok' | 'error';

export interface TraceSummary {
  trace_id: string;
  root_service: string;
  root_operation: string;
  span_count: number;
  duration_ms: number;
  start_time: NsText;
  status: Status;
  /** Extension: every service in the trace, sorted. */
  services?: string[];
  /** Extension: spans with status error. */
  error_count?: number;
  /** Extension: the trace has spans whose parent never arrived. */
  partial?: boolean;
}

export interface TraceList {
  traces: TraceSummary[];
  total: number;
  /** Extension: pass back as `cursor` for the next page. */
  next_cursor?: string;
}

export interface Span {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  service: string;
  operation: string;
  start_time: NsText;
  end_time: NsText;
  status: Status;
  tags?: Record<string, string>;
  /** Extension fields of GET /traces/{id}. */
  depth?: number;
  children?: string[];
  orphan?: boolean;
}

export interface TraceDetail {
  trace_id: string;
  spans: Span[];
  root_span_id?: string;
  partial?: boolean;
}

export interface LatencyRow {
  span_count: number;
  error_count: number;
  error_rate: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

export interface ServiceRow extends LatencyRow {
  service: string;
}

export interface OperationRow extends LatencyRow {
  operation: string;
}

export interface Stats {
  after?: NsText;
  before?: NsText;
  request_count: number;
  request_rate_per_sec: number;
  error_count: number;
  error_rate: number;
  p50_ms: number;
  p90_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  relative_error?: number;
}

export interface DependencyEdge {
  parent: string;
  child: string;
  call_count: number;
  error_count: number;
  p95_ms?: number;
}

/** Which extension endpoints the connected server answers. */
export interface Capabilities {
  /** GET /traces understands service/operation/status/duration/tag filters. */
  search: boolean;
  services: boolean;
  stats: boolean;
  dependencies: boolean;
  /** GET /metrics with traced_spans_accepted_total. */
  ingestMetrics: boolean;
}

export const NO_CAPABILITIES: Capabilities = {
  search: false,
  services: false,
  stats: false,
  dependencies: false,
  ingestMetrics: false,
};
