// The oracle. Small and obviously correct: a map of traces to maps of spans, bigint times, and
// every query recomputed from scratch with the window edge applied at query time. Differential
// tests drive it and the production store with the same operations and require equal answers.
// Not for production: queries are O(all spans).

import type { Clock } from '../time/clock.js';
import { windowBoundsNs } from './window.js';
import type {
  EvictionResult,
  IngestResult,
  IngestSpan,
  ListQuery,
  StoredSpan,
  StoreStats,
  TraceDetail,
  TraceList,
  TraceStore,
  TraceSummary,
} from './trace-store.js';

interface HeldSpan {
  span: IngestSpan;
  start: bigint;
  end: bigint;
}

function compareHeld(a: HeldSpan, b: HeldSpan): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return a.span.spanId < b.span.spanId ? -1 : a.span.spanId > b.span.spanId ? 1 : 0;
}

function toStored(h: HeldSpan): StoredSpan {
  const s = h.span;
  const out: StoredSpan = {
    trace_id: s.traceId,
    span_id: s.spanId,
    service: s.service,
    operation: s.operation,
    start_time: s.startTime,
    end_time: s.endTime,
    status: s.error ? 'error' : 'ok',
  };
  if (s.parentSpanId !== undefined) out.parent_span_id = s.parentSpanId;
  if (s.tags !== undefined) out.tags = { ...s.tags };
  return out;
}

export class ReferenceStore implements TraceStore {
  private readonly traces = new Map<string, Map<string, HeldSpan>>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMinutes: number,
  ) {}

  ingest(spans: readonly IngestSpan[]): IngestResult {
    const { edge, future } = windowBoundsNs(this.clock.nowMs(), this.windowMinutes);
    const result: IngestResult = { accepted: 0, duplicates: 0, discardedStale: 0, discardedFuture: 0 };
    for (const span of spans) {
      const start = BigInt(span.startTime);
      if (start < edge) {
        result.discardedStale++;
        continue;
      }
      if (start > future) {
        result.discardedFuture++;
        continue;
      }
      let trace = this.traces.get(span.traceId);
      if (trace === undefined) {
        trace = new Map();
        this.traces.set(span.traceId, trace);
      }
      const held = trace.get(span.spanId);
      // A held span that has aged out is gone, so a span re-sent with a new time is new.
      if (held !== undefined && held.start >= edge) {
        result.accepted++;
        result.duplicates++;
        continue;
      }
      const tags = span.tags === undefined ? undefined : { ...span.tags };
      trace.set(span.spanId, { span: { ...span, tags }, start, end: BigInt(span.endTime) });
      result.accepted++;
    }
    return result;
  }

  private visible(trace: Map<string, HeldSpan>, edge: bigint): HeldSpan[] {
    return [...trace.values()].filter((h) => h.start >= edge).sort(compareHeld);
  }

  listTraces(query: ListQuery): TraceList {
    const { edge } = windowBoundsNs(this.clock.nowMs(), this.windowMinutes);
    const after = query.after === undefined ? undefined : BigInt(query.after);
    const before = query.before === undefined ? undefined : BigInt(query.before);
    const matches: Array<{ summary: TraceSummary; start: bigint }> = [];
    for (const [traceId, trace] of this.traces) {
      const spans = this.visible(trace, edge);
      // The root is the earliest span without a parent (ties by span_id).
      const root = spans.find((h) => h.span.parentSpanId === undefined);
      if (root === undefined) continue;
      if (after !== undefined && root.start < after) continue;
      if (before !== undefined && root.start >= before) continue;
      matches.push({
        start: root.start,
        summary: {
          trace_id: traceId,
          root_service: root.span.service,
          root_operation: root.span.operation,
          span_count: spans.length,
          duration_ms: Number((root.end - root.start) / 1_000_000n),
          start_time: root.span.startTime,
          status: spans.some((h) => h.span.error) ? 'error' : 'ok',
        },
      });
    }
    matches.sort((a, b) => {
      if (a.start !== b.start) return a.start > b.start ? -1 : 1;
      return a.summary.trace_id < b.summary.trace_id ? -1 : 1;
    });
    return { total: matches.length, traces: matches.slice(0, query.limit).map((m) => m.summary) };
  }

  getTrace(traceId: string): TraceDetail | undefined {
    const trace = this.traces.get(traceId);
    if (trace === undefined) return undefined;
    const { edge } = windowBoundsNs(this.clock.nowMs(), this.windowMinutes);
    const spans = this.visible(trace, edge);
    if (spans.length === 0) return undefined;
    return { trace_id: traceId, spans: spans.map(toStored) };
  }

  stats(): StoreStats {
    let spans = 0;
    for (const trace of this.traces.values()) spans += trace.size;
    return { spans, traces: this.traces.size, buckets: 0 };
  }

  evict(): EvictionResult {
    const { edge } = windowBoundsNs(this.clock.nowMs(), this.windowMinutes);
    let evictedSpans = 0;
    for (const [traceId, trace] of this.traces) {
      for (const [spanId, held] of trace) {
        if (held.start < edge) {
          trace.delete(spanId);
          evictedSpans++;
        }
      }
      if (trace.size === 0) this.traces.delete(traceId);
    }
    return { evictedSpans, pending: false };
  }
}

