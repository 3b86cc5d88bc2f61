// Fills a store directly (no HTTP) with emitter-shaped traces spread over the window, fast
// enough to hold millions of traces before a query or eviction benchmark starts.

import { SpanBatch } from '../../src/ingest/span-batch.js';
import type { IngestSpan, TraceStore } from '../../src/store/trace-store.js';

const SERVICES = ['checkout', 'inventory', 'payment', 'shipping', 'notification'];
const OPERATIONS = ['place_order', 'reserve_stock', 'charge_card', 'create_label', 'send_email'];

export function traceIdOf(run: number, n: number): string {
  return `${run.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function spanIdOf(run: number, n: number, k: number): string {
  return `${run.toString(16).padStart(8, '0')}-${k.toString(16).padStart(4, '0')}-4000-9000-${n.toString(16).padStart(12, '0')}`;
}

export interface PreloadOptions {
  traces: number;
  /** Root start times are spread evenly over [fromNs, toNs). */
  fromNs: bigint;
  toNs: bigint;
  run?: number;
  /** Spans per trace: 2–5 like the emitter (average 3.5) unless fixed. */
  spansPerTrace?: number;
  withTags?: boolean;
  /** Called between batches so callers can yield or report progress. */
  onBatch?: (tracesDone: number) => void | Promise<void>;
}

/** Ingests the traces in batches of about 12 spans; returns the number of spans. */
export async function preload(store: TraceStore, options: PreloadOptions): Promise<number> {
  const run = options.run ?? 0xbe0c;
  const span = options.toNs - options.fromNs;
  let spans = 0;
  let batch: IngestSpan[] = [];
  for (let n = 0; n < options.traces; n++) {
    const rootStart = options.fromNs + (span * BigInt(n)) / BigInt(options.traces);
    const count = options.spansPerTrace ?? 2 + (n % 4);
    const traceId = traceIdOf(run, n);
    const rootId = spanIdOf(run, n, 0);
    const rootEnd = rootStart + 50_000_000n + BigInt((n * 7919) % 450_000_000);
    const tags = options.withTags ? { 'http.method': 'POST', region: 'eu-west-1' } : undefined;
    batch.push({
      traceId, spanId: rootId, parentSpanId: undefined, service: SERVICES[n % 5]!, operation: OPERATIONS[n % 5]!,
      startTime: rootStart.toString(), endTime: rootEnd.toString(), error: n % 20 === 0, tags,
    });
    for (let k = 1; k < count; k++) {
      const start = rootStart + BigInt(k) * 5_000_000n;
      batch.push({
        traceId, spanId: spanIdOf(run, n, k), parentSpanId: rootId, service: SERVICES[(n + k) % 5]!, operation: OPERATIONS[(n + k) % 5]!,
        startTime: start.toString(), endTime: (start + 20_000_000n).toString(), error: (n + k) % 20 === 0, tags,
      });
    }
    if (batch.length >= 12) {
      await store.apply(SpanBatch.fromSpans(batch));
      spans += batch.length;
      batch = [];
      if (options.onBatch !== undefined && n % 10_000 === 0) await options.onBatch(n);
    }
  }
  if (batch.length > 0) {
    await store.apply(SpanBatch.fromSpans(batch));
    spans += batch.length;
  }
  return spans;
}
