// The log storage boundary, beside TraceStore: handlers and tests see this interface only.
// Logs are secondary to spans: they are read per trace (GET /traces/{id}/logs) and age out with
// the same rolling window.

import type { LogLevel } from '../../schemas/logs.js';
import type { NsText } from '../time/nanos.js';

/** A validated log line with an exact time, ready to store. Ids are lowercase UUIDs. */
export interface IngestLog {
  time: NsText;
  traceId: string;
  spanId: string | undefined;
  service: string;
  level: LogLevel;
  message: string;
  attributes: Record<string, string> | undefined;
}

/** A log line as GET /traces/{id}/logs returns it. */
export interface StoredLog {
  time: NsText;
  trace_id: string;
  span_id?: string;
  service: string;
  level: LogLevel;
  message: string;
  attributes?: Record<string, string>;
}

export interface LogIngestResult {
  accepted: number;
  /** Older than the window edge. */
  discardedStale: number;
  /** More than the allowed skew ahead of now. */
  discardedFuture: number;
}

export interface LogStoreStats {
  logs: number;
  /** Heap bytes the logs hold, estimated high (MAX_LOG_BYTES bounds it). */
  bytes: number;
  buckets: number;
}

export interface LogStore {
  ingest(logs: readonly IngestLog[]): LogIngestResult | Promise<LogIngestResult>;
  /** The trace's logs inside the window, ordered by time ascending (ties in arrival order). */
  logsForTrace(traceId: string): StoredLog[] | Promise<StoredLog[]>;
  stats(): LogStoreStats | Promise<LogStoreStats>;
  /** Drops the minutes the window has left; returns how many logs went with them. */
  evict(): number | Promise<number>;
}
