// What every ingest path hands the store: POST /spans (ingest-spans.ts, or a SpanBatch turned
// back into spans), OTLP (otlp/map-spans.ts) and tests. Defined here, below the store, so that
// ingest needs nothing from store/; store/trace-store.ts takes it as TraceStore.ingest's input.

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
   * When a producer has it for free: exactly `JSON.stringify(tags)` (a SpanBatch turned back into
   * IngestSpans has it), so stores need not serialise the tags again.
   */
  tagsJson?: string | undefined;
}
