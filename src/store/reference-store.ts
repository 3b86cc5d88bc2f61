// The oracle. Small and obviously correct: a map of traces to maps of spans, bigint times, and
// every query recomputed from scratch with the window edge applied at query time. Differential
// tests drive it and the production store with the same operations and require equal answers.
// Not for production: queries are O(all spans). Spans are placed in the window by windowPlace
// (window.ts), the one function every store uses; what it checks is everything after that.
//
// The one piece of state that is not recomputed is the dependency link: which parent span a
// child was held together with (trace-store.ts defines edges by arrival, so that a parent aging
// out of the window does not erase the calls its children record).

import type { Clock } from '../time/clock.js';
import { LatencyStats } from './sketch.js';
import type { SpanBatch } from '../ingest/span-batch.js';
import { compareText } from './compare-text.js';
import { FUTURE, futureLimit, IN_WINDOW, minuteStartNs, STALE, statsWindow, windowBoundsNs, windowEdge, windowPlace } from './window.js';
import type {
  DependencyReport,
  EvictionResult,
  IngestResult,
  IngestSpan,
  LatencyReport,
  ListQuery,
  RangeQuery,
  StoredSpan,
  StoreStats,
  TraceDetail,
  TraceFilter,
  TraceList,
  TraceStore,
  TraceSummary,
  TreeSpan,
} from './trace-store.js';

interface HeldSpan {
  span: IngestSpan;
  start: bigint;
  end: bigint;
  /** Service of the parent span, once the two have been held together. */
  parentService?: string;
}

/** A span a sampler dropped: it counts in latency statistics only. */
interface UnsampledSpan {
  service: string;
  operation: string;
  start: bigint;
  durationNs: number;
  error: boolean;
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

function hasTag(span: IngestSpan, key: string, value: string): boolean {
  return span.tags !== undefined && Object.hasOwn(span.tags, key) && span.tags[key] === value;
}

/** Everything a query may ask of one trace, from its visible spans (sorted). */
interface TraceFacts {
  traceId: string;
  spans: HeldSpan[];
  root: HeldSpan | undefined;
  summary: TraceSummary | undefined;
}

export class ReferenceStore implements TraceStore {
  private readonly traces = new Map<string, Map<string, HeldSpan>>();
  private unsampled: UnsampledSpan[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly windowMinutes: number,
  ) {}

  apply(batch: SpanBatch): IngestResult {
    const nowMs = this.clock.nowMs();
    const { edge } = windowBoundsNs(nowMs, this.windowMinutes);
    const edgeInstant = windowEdge(nowMs, this.windowMinutes);
    const futureInstant = futureLimit(nowMs);
    const result: IngestResult = { accepted: 0, duplicates: 0, discardedStale: 0, discardedFuture: 0 };
    for (let i = 0; i < batch.length; i++) {
      const place = windowPlace(batch, i, edgeInstant, futureInstant);
      if (place === STALE) {
        result.discardedStale++;
        continue;
      }
      if (place === FUTURE) {
        result.discardedFuture++;
        continue;
      }
      const span = batch.spanAt(i);
      const start = BigInt(span.startTime);
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
      const stored: HeldSpan = { span: { ...span, tags }, start, end: BigInt(span.endTime) };
      // Dependency links: with its parent, if held; and with children that were waiting for it.
      const parent = span.parentSpanId === undefined ? undefined : trace.get(span.parentSpanId);
      if (parent !== undefined && parent.start >= edge) stored.parentService = parent.span.service;
      for (const other of trace.values()) {
        if (other.start >= edge && other.parentService === undefined && other.span.parentSpanId === span.spanId && other.span.spanId !== span.spanId) {
          other.parentService = span.service;
        }
      }
      trace.set(span.spanId, stored);
      result.accepted++;
    }
    return result;
  }

  recordUnsampled(batch: SpanBatch): void {
    const nowMs = this.clock.nowMs();
    const edge = windowEdge(nowMs, this.windowMinutes);
    const future = futureLimit(nowMs);
    for (let i = 0; i < batch.length; i++) {
      if (windowPlace(batch, i, edge, future) !== IN_WINDOW) continue;
      const s = batch.spanAt(i);
      const start = BigInt(s.startTime);
      const durationNs = Number(BigInt(s.endTime) - start);
      this.unsampled.push({ service: s.service, operation: s.operation, start, durationNs, error: s.error });
    }
  }

  private visible(trace: Map<string, HeldSpan>, edge: bigint): HeldSpan[] {
    return [...trace.values()].filter((h) => h.start >= edge).sort(compareHeld);
  }

  private facts(traceId: string, trace: Map<string, HeldSpan>, edge: bigint): TraceFacts {
    const spans = this.visible(trace, edge);
    // The root is the earliest span without a parent (ties by span_id).
    const root = spans.find((h) => h.span.parentSpanId === undefined);
    if (root === undefined) return { traceId, spans, root, summary: undefined };
    const ids = new Set(spans.map((h) => h.span.spanId));
    const errors = spans.filter((h) => h.span.error).length;
    return {
      traceId,
      spans,
      root,
      summary: {
        trace_id: traceId,
        root_service: root.span.service,
        root_operation: root.span.operation,
        span_count: spans.length,
        duration_ms: Number((root.end - root.start) / 1_000_000n),
        start_time: root.span.startTime,
        status: errors > 0 ? 'error' : 'ok',
        services: [...new Set(spans.map((h) => h.span.service))].sort(compareText),
        error_count: errors,
        partial: spans.some((h) => h.span.parentSpanId !== undefined && !ids.has(h.span.parentSpanId)),
      },
    };
  }

  private matches(f: TraceFacts, filter: TraceFilter | undefined): boolean {
    const summary = f.summary!;
    if (filter === undefined) return true;
    if (filter.service !== undefined && !f.spans.some((h) => h.span.service === filter.service)) return false;
    if (filter.rootService !== undefined && summary.root_service !== filter.rootService) return false;
    if (filter.operation !== undefined && !f.spans.some((h) => h.span.operation === filter.operation)) return false;
    if (filter.status !== undefined && summary.status !== filter.status) return false;
    if (filter.minDurationMs !== undefined && summary.duration_ms < filter.minDurationMs) return false;
    if (filter.maxDurationMs !== undefined && summary.duration_ms > filter.maxDurationMs) return false;
    for (const { key, value } of filter.tags ?? []) {
      if (!f.spans.some((h) => hasTag(h.span, key, value))) return false;
    }
    if (filter.partial !== undefined && summary.partial !== filter.partial) return false;
    return true;
  }

  listTraces(query: ListQuery): TraceList {
    const { edge } = windowBoundsNs(this.clock.nowMs(), this.windowMinutes);
    const after = query.after === undefined ? undefined : BigInt(query.after);
    const before = query.before === undefined ? undefined : BigInt(query.before);
    const matches: Array<{ summary: TraceSummary; start: bigint }> = [];
    for (const [traceId, trace] of this.traces) {
      const f = this.facts(traceId, trace, edge);
      if (f.root === undefined) continue;
      if (after !== undefined && f.root.start < after) continue;
      if (before !== undefined && f.root.start >= before) continue;
      if (!this.matches(f, query.filter)) continue;
      matches.push({ start: f.root.start, summary: f.summary! });
    }
    matches.sort((a, b) => {
      if (a.start !== b.start) return a.start > b.start ? -1 : 1;
      return a.summary.trace_id < b.summary.trace_id ? -1 : 1;
    });
    let rest = matches;
    if (query.cursor !== undefined) {
      const cs = BigInt(query.cursor.startTime);
      const cid = query.cursor.traceId;
      rest = matches.filter((m) => m.start < cs || (m.start === cs && m.summary.trace_id > cid));
    }
    return {
      total: matches.length,
      traces: rest.slice(0, query.limit).map((m) => m.summary),
      more: query.limit > 0 && rest.length > query.limit,
    };
  }

  getTrace(traceId: string): TraceDetail | undefined {
    const trace = this.traces.get(traceId);
    if (trace === undefined) return undefined;
    const { edge } = windowBoundsNs(this.clock.nowMs(), this.windowMinutes);
    const spans = this.visible(trace, edge).map(toStored);
    if (spans.length === 0) return undefined;
    const byId = new Map(spans.map((s) => [s.span_id, s]));
    const isOrphan = (s: StoredSpan) => s.parent_span_id !== undefined && !byId.has(s.parent_span_id);
    // Depth: steps up the parent chain to the first start; roots and orphans are starts, and while
    // some span's chain loops without one, the earliest such span becomes a start too.
    const starts = new Set(spans.filter((s) => s.parent_span_id === undefined || isOrphan(s)).map((s) => s.span_id));
    const depthOf = (s: StoredSpan): number | undefined => {
      const seen = new Set<string>();
      let at = s;
      let steps = 0;
      while (!starts.has(at.span_id)) {
        if (seen.has(at.span_id)) return undefined;
        seen.add(at.span_id);
        at = byId.get(at.parent_span_id!)!;
        steps++;
      }
      return steps;
    };
    for (;;) {
      const unplaced = spans.find((s) => depthOf(s) === undefined);
      if (unplaced === undefined) break;
      starts.add(unplaced.span_id);
    }
    const root = spans.find((s) => s.parent_span_id === undefined);
    const detail: TraceDetail = {
      trace_id: traceId,
      partial: spans.some(isOrphan),
      spans: spans.map((s): TreeSpan => {
        const tree: TreeSpan = {
          ...s,
          depth: depthOf(s)!,
          children: spans.filter((c) => c.parent_span_id === s.span_id && c !== s).map((c) => c.span_id),
        };
        if (isOrphan(s)) tree.orphan = true;
        return tree;
      }),
    };
    if (root !== undefined) detail.root_span_id = root.span_id;
    return detail;
  }

  latency(range: RangeQuery): LatencyReport {
    const nowMs = this.clock.nowMs();
    const w = statsWindow(nowMs, this.windowMinutes, range.after, range.before);
    const from = BigInt(w.fromMinute) * 60_000_000_000n;
    const to = BigInt(w.toMinute) * 60_000_000_000n;
    const groups = new Map<string, { service: string; operation: string; stats: LatencyStats }>();
    const add = (service: string, operation: string, start: bigint, durationNs: number, error: boolean) => {
      if (start < from || start >= to) return;
      const key = JSON.stringify([service, operation]);
      let group = groups.get(key);
      if (group === undefined) {
        group = { service, operation, stats: new LatencyStats() };
        groups.set(key, group);
      }
      group.stats.add(durationNs, error);
    };
    for (const trace of this.traces.values()) {
      for (const h of trace.values()) add(h.span.service, h.span.operation, h.start, Number(h.end - h.start), h.span.error);
    }
    for (const u of this.unsampled) add(u.service, u.operation, u.start, u.durationNs, u.error);
    return { after: minuteStartNs(w.fromMinute), before: minuteStartNs(w.toMinute), elapsedSeconds: w.elapsedSeconds, endpoints: [...groups.values()] };
  }

  dependencies(range: RangeQuery): DependencyReport {
    const w = statsWindow(this.clock.nowMs(), this.windowMinutes, range.after, range.before);
    const from = BigInt(w.fromMinute) * 60_000_000_000n;
    const to = BigInt(w.toMinute) * 60_000_000_000n;
    const links = new Map<string, { parent: string; child: string; stats: LatencyStats }>();
    for (const trace of this.traces.values()) {
      for (const h of trace.values()) {
        if (h.start < from || h.start >= to) continue;
        if (h.parentService === undefined || h.parentService === h.span.service) continue;
        const key = JSON.stringify([h.parentService, h.span.service]);
        let link = links.get(key);
        if (link === undefined) {
          link = { parent: h.parentService, child: h.span.service, stats: new LatencyStats() };
          links.set(key, link);
        }
        link.stats.add(Number(h.end - h.start), h.span.error);
      }
    }
    return { after: minuteStartNs(w.fromMinute), before: minuteStartNs(w.toMinute), elapsedSeconds: w.elapsedSeconds, links: [...links.values()] };
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
    this.unsampled = this.unsampled.filter((u) => u.start >= edge);
    return { evictedSpans, pending: false };
  }
}
