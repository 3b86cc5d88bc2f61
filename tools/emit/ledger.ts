/**
 * The emitter's memory of what it sent and what became of each span, which
 * is exactly what the verifier needs to know what the server must show.
 */
import type { DeliveryState } from './client.js';
import { expectedSummary, type ExpectedSummary, type Span, type Trace } from './traffic.js';

export type SpanFate = 'pending' | DeliveryState;

export interface TraceRecord {
  trace: Trace;
  summary: ExpectedSummary;
  /** Fate of the root span: decides whether the trace must be listed at all. */
  root: SpanFate;
  /** Spans whose batch has not been answered yet. */
  outstanding: number;
  delivered: number;
  rejected: number;
  uncertain: number;
}

/** How a finished trace can be judged. */
export type Verdict =
  /** Every span delivered: list entry, summary and span set must match exactly. */
  | 'complete'
  /** Root delivered, some child not: must be listed, span-level checks are moot. */
  | 'partial'
  /** Root definitely not stored: must NOT be listed. */
  | 'absent'
  /** Root fate unknown (5xx, broken connection): may or may not be listed. */
  | 'unknown';

export function verdictOf(rec: TraceRecord): Verdict {
  if (rec.root === 'rejected') return 'absent';
  if (rec.root === 'uncertain' || rec.root === 'pending') return 'unknown';
  return rec.delivered === rec.trace.spans.length ? 'complete' : 'partial';
}

export class Ledger {
  private readonly records = new Map<string, TraceRecord>();
  tracesGenerated = 0;
  /** Traces all of whose spans have been answered (whatever the answer). */
  tracesSent = 0;

  register(trace: Trace): void {
    if (this.records.has(trace.trace_id)) throw new Error(`duplicate trace id ${trace.trace_id}`);
    this.records.set(trace.trace_id, {
      trace,
      summary: expectedSummary(trace),
      root: 'pending',
      outstanding: trace.spans.length,
      delivered: 0,
      rejected: 0,
      uncertain: 0,
    });
    this.tracesGenerated += 1;
  }

  /** Record the answer for one batch; returns how many traces this completed. */
  settle(spans: readonly Span[], state: DeliveryState): number {
    let completed = 0;
    for (const span of spans) {
      const rec = this.records.get(span.trace_id);
      if (rec === undefined) throw new Error(`span for unregistered trace ${span.trace_id}`);
      if (span.parent_span_id === undefined) rec.root = state;
      rec[state] += 1;
      rec.outstanding -= 1;
      if (rec.outstanding === 0) {
        this.tracesSent += 1;
        completed += 1;
      }
    }
    return completed;
  }

  get(traceId: string): TraceRecord | undefined {
    return this.records.get(traceId);
  }

  all(): IterableIterator<TraceRecord> {
    return this.records.values();
  }

  get size(): number {
    return this.records.size;
  }
}
