// The write role of the storage boundary: the one way spans enter a store.
//
// `apply(batch)` takes one accepted batch in columns (src/ingest/span-batch.ts) and makes it part
// of the store, exactly as if its spans had arrived one after another: spans outside the window
// are counted and dropped, a span whose trace already holds its span_id is a duplicate, the rest
// are held. HTTP /spans, OTLP and (later) the replay of a log all call it, so a store rebuilt by
// replaying the batches it was given answers as the original did. The store copies what it keeps:
// the batch is reused once the call returns or its promise settles. Calls are not concurrent: a
// caller awaits one before making the next.

import type { SpanBatch } from '../ingest/span-batch.js';
import type { IngestResult } from './store-shapes.js';

export interface TraceWriter {
  apply(batch: SpanBatch): IngestResult | Promise<IngestResult>;
  /**
   * Counts spans that a sampler dropped in the latency statistics only: they never become part
   * of a trace, a search result or a dependency edge, and no IngestResult reports them. Spans
   * outside the window are ignored. A write like apply(), so a log that feeds apply() can carry
   * these batches too; the batch is the caller's again once the call returns.
   */
  recordUnsampled(batch: SpanBatch): void | Promise<void>;
}
