// Spans as objects into a store, for tests. Production has one entry point, TraceWriter.apply
// (src/store/writer.ts), which takes a batch; tests build spans as objects, and this turns them
// into a batch with the same conversion OTLP and the general JSON path use.
import { SpanBatch } from '../../src/ingest/span-batch.js';
import type { IngestSpan } from '../../src/store/trace-store.js';
import type { TraceWriter } from '../../src/store/writer.js';

/** store.apply() of the spans; synchronous when the store's apply() is. */
export function applySpans<S extends TraceWriter>(store: S, spans: readonly IngestSpan[]): ReturnType<S['apply']> {
  return store.apply(SpanBatch.fromSpans(spans)) as ReturnType<S['apply']>;
}

/** store.recordUnsampled() of the spans. */
export function recordUnsampledSpans<S extends TraceWriter>(store: S, spans: readonly IngestSpan[]): ReturnType<S['recordUnsampled']> {
  return store.recordUnsampled(SpanBatch.fromSpans(spans)) as ReturnType<S['recordUnsampled']>;
}
