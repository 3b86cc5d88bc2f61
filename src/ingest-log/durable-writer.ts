// Write-ahead wrappers: a batch is appended to the ingest log and made durable before the store
// (or the log store) takes it, so whatever a client was answered for is on disk first. They wrap
// what the collector would otherwise write to, sampling included, so replay feeds the sampler
// the same batches and head sampling keeps the same traces.
//
// A StorageError from the log rejects the call and the store never sees the batch: the request
// is answered 503 and nothing of it is kept, in memory or on disk.

import type { SpanBatch } from '../ingest/span-batch.js';
import type { IngestLog, LogIngestResult, LogStore, LogStoreStats, StoredLog } from '../logs/log-store.js';
import type { IngestResult } from '../store/store-shapes.js';
import type { TraceWriter } from '../store/writer.js';
import { encodeLogs, encodeSpanBatch } from './record-codec.js';
import type { SegmentLog } from './segment-log.js';

export class DurableWriter implements TraceWriter {
  constructor(
    private readonly log: SegmentLog,
    private readonly inner: TraceWriter,
  ) {}

  async apply(batch: SpanBatch): Promise<IngestResult> {
    // Encoded now, inside append(): the caller may reuse the batch once apply() returns.
    if (batch.length > 0) await this.log.append((out) => encodeSpanBatch(batch, out));
    return this.inner.apply(batch);
  }

  recordUnsampled(batch: SpanBatch): void | Promise<void> {
    // Only the sampler behind this writer produces unsampled batches, and replay reproduces them.
    return this.inner.recordUnsampled(batch);
  }
}

export class DurableLogStore implements LogStore {
  constructor(
    private readonly log: SegmentLog,
    private readonly inner: LogStore,
  ) {}

  async ingest(logs: readonly IngestLog[]): Promise<LogIngestResult> {
    if (logs.length > 0) await this.log.append((out) => encodeLogs(logs, out));
    return this.inner.ingest(logs);
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
