// What an OTLP export does once its request is decoded, whatever carried it (POST /v1/traces and
// /v1/logs, or the OTLP/gRPC services in src/grpc/): map, store through the durable writer, count,
// and say what was rejected, for the response's partial_success. One place, so both transports
// answer the same request alike.

import { SpanBatch } from '../ingest/span-batch.js';
import type { LogStore } from '../logs/log-store.js';
import { logsPartialSuccessMessage, mapOtlpLogs } from '../logs/otlp-logs.js';
import { mapOtlpRequest, partialSuccessMessage } from '../otlp/map-spans.js';
import type { OtlpLogsRequest } from '../otlp/otlp-logs-request.js';
import type { OtlpTraceRequest } from '../otlp/otlp-request.js';
import type { TraceWriter } from '../store/writer.js';
import type { AdmissionControl } from './admission/admission-control.js';
import type { CollectorMetrics } from './collector-metrics.js';
import { countStoredSpans } from './stored-spans.js';

/** The response's partial_success: records not kept (unmappable or outside the window) and why. */
export interface ExportOutcome {
  rejected: number;
  message: string;
  /** Records the mapping took, and those it could not (bad ids, times beyond int64, …). */
  mapped: number;
  unmapped: number;
}

export interface TraceExportTarget {
  store: TraceWriter;
  admission: AdmissionControl;
  metrics: CollectorMetrics;
  windowMinutes: number;
}

/**
 * Stores the request's mappable spans; rejects (StorageError) when the ingest log refuses them.
 *
 * Not async itself: the request is mapped now, and only the batch (columns, no span objects) is
 * held across the store's await. With the ingest log that await is a sync, and an async
 * function keeps its parameters through every await: a dozen decoded requests held through
 * their syncs outlived the young generation, which copied and promoted ~100 KB a request (the
 * collector spent 1.4× the CPU on a 100-span OTLP request, most of it in the garbage collector).
 * Callers let go of the decoded request too.
 */
export function exportTraces(request: OtlpTraceRequest, target: TraceExportTarget): Promise<ExportOutcome> {
  const mapping = mapOtlpRequest(request);
  const batch = mapping.spans.length > 0 ? SpanBatch.fromSpans(mapping.spans, false) : undefined;
  return storeMapped(batch, mapping.rejected, mapping.reasons, target);
}

async function storeMapped(batch: SpanBatch | undefined, unmapped: number, reasons: string[], { store, admission, metrics, windowMinutes }: TraceExportTarget): Promise<ExportOutcome> {
  const mapped = batch?.length ?? 0;
  let outsideWindow = 0;
  if (batch !== undefined) {
    const result = await store.apply(batch);
    countStoredSpans(result, admission, metrics);
    outsideWindow = result.discardedStale + result.discardedFuture;
  }
  if (unmapped > 0) metrics.otlpSpansRejected.inc(unmapped);
  const rejected = unmapped + outsideWindow;
  const message = rejected === 0 ? '' : partialSuccessMessage({ rejected: unmapped, reasons }, outsideWindow, windowMinutes);
  return { rejected, message, mapped, unmapped };
}

export interface LogsExportTarget {
  /** The durable log store (STORAGE=disk), as POST /logs writes to. */
  logStore: LogStore;
  metrics: CollectorMetrics;
  windowMinutes: number;
}

/** Stores the request's mappable log records; rejects (StorageError) when the ingest log refuses them. */
export async function exportLogs(request: OtlpLogsRequest, { logStore, metrics, windowMinutes }: LogsExportTarget): Promise<ExportOutcome> {
  const mapping = mapOtlpLogs(request);
  let outsideWindow = 0;
  if (mapping.logs.length > 0) {
    const result = await logStore.ingest(mapping.logs);
    metrics.logsAccepted.inc(result.accepted);
    if (result.discardedStale > 0) metrics.logsDiscarded.inc({ reason: 'stale' }, result.discardedStale);
    if (result.discardedFuture > 0) metrics.logsDiscarded.inc({ reason: 'future' }, result.discardedFuture);
    outsideWindow = result.discardedStale + result.discardedFuture;
  }
  const rejected = mapping.rejected + outsideWindow;
  const message = rejected === 0 ? '' : logsPartialSuccessMessage(mapping, outsideWindow, windowMinutes);
  return { rejected, message, mapped: mapping.logs.length, unmapped: mapping.rejected };
}

/** Why the log store takes no more logs now (MAX_LOGS or MAX_LOG_BYTES reached), or undefined. */
export async function logBudgetProblem(logStore: LogStore, maxLogs: number, maxLogBytes: number): Promise<string | undefined> {
  const { logs, bytes } = await logStore.stats();
  let full: string | undefined;
  if (logs >= maxLogs) full = `${logs} logs, its budget (MAX_LOGS=${maxLogs})`;
  else if (bytes >= maxLogBytes) full = `${bytes} bytes of logs, its budget (MAX_LOG_BYTES=${maxLogBytes})`;
  return full === undefined ? undefined : `the collector holds ${full}; older logs are evicted as the window moves, retry then`;
}

/** Seconds until the next minute boundary, when the oldest minute of logs may leave the window. */
export function secondsToNextMinute(): number {
  return 60 - (Math.floor(Date.now() / 1000) % 60);
}
