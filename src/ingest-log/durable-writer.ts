// Write-ahead wrappers: a batch is appended to the ingest log and made durable before the store
// (or the log store) takes it, so whatever a client was answered for is on disk first. They wrap
// what the collector would otherwise write to, sampling included, so replay feeds the sampler
// the same batches and head sampling keeps the same traces.
//
// A StorageError from the log rejects the call and the store never sees the batch: the request
// is answered 503 and nothing of it is kept, in memory or on disk.
//
// Only what is inside the window when the batch is logged is logged and applied; the rest is
// counted as discarded here. The store judges the window again when it applies, and replay
// judges it at the logged time (ReplayClock), so in the common case both would discard the same
// spans anyway; this check is kept for the cases where replay's time is not the logged time:
// the replay clock never moves back, so after the wall clock stepped back while appending it
// replays later than it logged, and a span that was too far in the future at ingest (discarded,
// and the client told so) would be inside the window then and come back although it was never
// kept. Judged once, here, on the clock the store uses, the log holds only what the store could
// take: a span inside the window now is not in the future a moment later when the store applies
// it (the future limit only moves on), and one that has aged out by then, or by replay, is
// dropped there as stale by both alike. It costs one pass over the batch's start times.

import type { SpanBatch } from '../ingest/span-batch.js';
import type { IngestLog, LogIngestResult, LogStore, LogStoreStats, StoredLog } from '../logs/log-store.js';
import type { IngestResult } from '../store/store-shapes.js';
import { futureLimit, windowEdge, type Instant } from '../store/window.js';
import type { TraceWriter } from '../store/writer.js';
import type { Clock } from '../time/clock.js';
import { secondsOf, subsecondNanosOf } from '../time/nanos.js';
import type { TailDecisions } from '../sampling/sampling-options.js';
import { encodeDecisions, encodeLogs, encodeSpanBatch } from './record-codec.js';
import type { SegmentLog } from './segment-log.js';
import { windowPart } from './window-part.js';

export class DurableWriter implements TraceWriter {
  constructor(
    private readonly log: SegmentLog,
    private readonly inner: TraceWriter,
    /** The store's clock and window. */
    private readonly clock: Clock,
    private readonly windowMinutes: number,
  ) {}

  async apply(batch: SpanBatch): Promise<IngestResult> {
    const nowMs = this.clock.nowMs();
    const { inWindow, stale, ahead } = windowPart(batch, nowMs, this.windowMinutes);
    // Encoded now, inside append(): the caller may reuse the batch once apply() returns.
    if (inWindow.length > 0) await this.log.append((out) => encodeSpanBatch(inWindow, nowMs, out));
    const result = await this.inner.apply(inWindow);
    if (inWindow !== batch) inWindow.release();
    if (stale + ahead === 0) return result;
    return { ...result, discardedStale: result.discardedStale + stale, discardedFuture: result.discardedFuture + ahead };
  }

  recordUnsampled(batch: SpanBatch): void | Promise<void> {
    // Only the sampler behind this writer produces unsampled batches, and replay reproduces them.
    return this.inner.recordUnsampled(batch);
  }
}

/**
 * Where the tail sampler's decisions go (SamplingStore.logDecisions): appended to the log at the
 * store's time, not waited for. Nobody is answered for a decision, so it rides the next group's
 * sync; one lost in a crash (or to a full disk, told to `onFailure`) leaves its trace undecided
 * in the log, and replay keeps such a trace.
 */
export function decisionLogger(log: SegmentLog, clock: Clock, onFailure: (error: unknown) => void): (decisions: TailDecisions) => void {
  return (decisions) => {
    try {
      log.append((out) => encodeDecisions(decisions, clock.nowMs(), out)).catch(onFailure);
    } catch (error) {
      onFailure(error);
    }
  };
}

function beforeInstant(time: string, limit: Instant): boolean {
  if (time.charCodeAt(0) === 45 /* - */) return true;
  const sec = secondsOf(time);
  return sec < limit.sec || (sec === limit.sec && subsecondNanosOf(time) < limit.nsec);
}

/** Logs, as spans above: only those inside the window when logged are logged and kept. */
export class DurableLogStore implements LogStore {
  constructor(
    private readonly log: SegmentLog,
    private readonly inner: LogStore,
    private readonly clock: Clock,
    private readonly windowMinutes: number,
  ) {}

  async ingest(logs: readonly IngestLog[]): Promise<LogIngestResult> {
    const nowMs = this.clock.nowMs();
    const edge = windowEdge(nowMs, this.windowMinutes);
    const future = futureLimit(nowMs);
    let stale = 0;
    let ahead = 0;
    const inWindow = logs.filter((entry) => {
      if (beforeInstant(entry.time, edge)) stale++;
      else if (!beforeInstant(entry.time, { sec: future.sec, nsec: future.nsec + 1 })) ahead++;
      else return true;
      return false;
    });
    if (inWindow.length > 0) await this.log.append((out) => encodeLogs(inWindow, nowMs, out));
    const result = await this.inner.ingest(inWindow);
    return { ...result, discardedStale: result.discardedStale + stale, discardedFuture: result.discardedFuture + ahead };
  }

  logsForTrace(traceId: string): StoredLog[] | Promise<StoredLog[]> {
    return this.inner.logsForTrace(traceId);
  }

  stats(): LogStoreStats | Promise<LogStoreStats> {
    return this.inner.stats();
  }

  evict(): number | Promise<number> {
    return this.inner.evict();
  }
}
