// Sampling in front of a store. A TraceStore itself, so every way spans come in (POST /spans,
// OTLP) is sampled the same, and queries pass straight through. It reads batches in columns and
// hands the store batches of the rows it keeps; only spans waiting for a tail decision become
// objects (a trace's spans wait together, across requests, in the buffer).
//
// Head sampling keeps a trace when samplingHash(id, "head") < SAMPLING_RATE × 2^32: one hash,
// the same answer for every span of the trace on every instance, nothing remembered.
//
// Tail sampling holds a trace's spans in a buffer until no span of it has arrived for
// TAIL_DECISION_SECONDS, then keeps it when a span failed, when its root lasted at least the
// root service's current p99 (root-latency.ts) or TAIL_SLOW_MS, or when samplingHash(id, "tail")
// < TAIL_KEEP_RATE × 2^32; otherwise it drops it. The decision is remembered for the window
// (decision-memory.ts): later spans join a kept trace and are dropped for a dropped one. The
// buffer is bounded: past TAIL_BUFFER_SPANS the traces quiet for longest are decided early.
//
// Spans that sampling drops still reach the store's latency statistics (recordUnsampled), so
// RED metrics describe all the traffic while only the kept traces take memory.

import { ID_WORDS, SpanBatch } from '../ingest/span-batch.js';
import type { Clock } from '../time/clock.js';
import type {
  DependencyReport,
  EvictionResult,
  IngestResult,
  IngestSpan,
  LatencyReport,
  ListQuery,
  RangeQuery,
  StoreStats,
  TraceDetail,
  TraceList,
  TraceStore,
} from '../store/trace-store.js';
import { FUTURE, futureLimit, STALE, windowEdge, windowPlace } from '../store/window.js';
import { DecisionMemory } from './decision-memory.js';
import { keepThreshold, samplingHash, samplingHashOfWords } from './hash.js';
import { RootLatency } from './root-latency.js';

export interface TailSamplingOptions {
  /** Keep traces whose root lasted at least this long (ms), besides the p99 rule. */
  slowMs: number | undefined;
  /** Share of the remaining traces kept, by trace id hash. */
  keepRate: number;
  /** A trace is decided once no span of it has arrived for this long. */
  decisionSeconds: number;
  /** Spans the buffer holds at most; beyond it the longest-quiet traces are decided early. */
  maxBufferedSpans: number;
  /** TAIL_BUFFER_BYTES: heap bytes of waiting spans at most (estimated as spanHeapBytes does). */
  maxBufferedBytes: number;
}

export type TailReason = 'error' | 'slow' | 'rate';

/** Where sampling reports what it did (CollectorMetrics implements it). */
export interface SamplingObserver {
  sampledOut(mode: 'head' | 'tail', spans: number): void;
  /** `reason` is undefined for a drop; `early` when the buffer limit forced the decision. */
  decided(keep: boolean, reason: TailReason | undefined, early: boolean): void;
  /** The store's answer for kept spans flushed from the buffer (they may have aged out meanwhile). */
  flushed(result: IngestResult): void;
}

export interface SamplingOptions {
  clock: Clock;
  windowMinutes: number;
  /** SAMPLING_RATE, (0, 1]; 1 keeps every trace. */
  headRate: number;
  /** TAIL_SAMPLING=on. */
  tail: TailSamplingOptions | undefined;
  observer?: SamplingObserver;
}

export interface SamplingState {
  bufferedSpans: number;
  bufferedTraces: number;
  rememberedDecisions: number;
  decisionBytes: number;
}

interface Pending {
  spans: IngestSpan[];
  bytes: number;
  lastMs: number;
  error: boolean;
}

/**
 * Heap bytes a waiting span holds, counted high: the object and its time strings, and its
 * strings at 2 bytes a character (V8 keeps 1 only for Latin-1 text).
 */
function spanHeapBytes(span: IngestSpan): number {
  let chars = span.service.length + span.operation.length;
  if (span.tags !== undefined) for (const key in span.tags) chars += key.length + span.tags[key]!.length;
  return 400 + 2 * chars;
}

const NO_OBSERVER: SamplingObserver = { sampledOut() {}, decided() {}, flushed() {} };

export class SamplingStore implements TraceStore {
  private readonly headThreshold: number;
  private readonly tailThreshold: number;
  private observer: SamplingObserver;
  /** Traces waiting for a decision, in order of their last span's arrival (oldest first). */
  private readonly buffer = new Map<string, Pending>();
  private bufferedSpans = 0;
  private bufferedBytes = 0;
  private readonly decisions: DecisionMemory;
  private readonly rootLatency = new RootLatency();

  constructor(
    private readonly inner: TraceStore,
    private readonly options: SamplingOptions,
  ) {
    this.headThreshold = keepThreshold(options.headRate);
    this.tailThreshold = keepThreshold(options.tail?.keepRate ?? 1);
    this.observer = options.observer ?? NO_OBSERVER;
    // Spans are held for the window plus the accepted clock skew ahead of now.
    this.decisions = new DecisionMemory((options.windowMinutes + 5) * 60_000);
  }

  /** Reports decisions and drops to `observer` from now on. */
  observe(observer: SamplingObserver): void {
    this.observer = observer;
  }

  /** Whether any sampling is configured (otherwise the store needs no wrapper). */
  static enabled(headRate: number, tail: boolean): boolean {
    return headRate < 1 || tail;
  }

  async apply(batch: SpanBatch): Promise<IngestResult> {
    const nowMs = this.options.clock.nowMs();
    const edge = windowEdge(nowMs, this.options.windowMinutes);
    const future = futureLimit(nowMs);
    const tail = this.options.tail;
    let discardedStale = 0;
    let discardedFuture = 0;
    let buffered = 0;
    // Rows are split by decision into batches of their own (tag text stays in the request body,
    // which outlives them): the store reads the columns as they came.
    const pass = SpanBatch.acquire();
    const headDropped = SpanBatch.acquire();
    const tailDropped = SpanBatch.acquire();
    for (let i = 0; i < batch.length; i++) {
      // Outside the window is a discard whatever sampling would say.
      const place = windowPlace(batch, i, edge, future);
      if (place === STALE) {
        discardedStale++;
        continue;
      }
      if (place === FUTURE) {
        discardedFuture++;
        continue;
      }
      if (this.headThreshold < 2 ** 32 && samplingHashOfWords(batch.ids, i * ID_WORDS, 'head') >= this.headThreshold) {
        headDropped.appendSpanOf(batch, i);
        continue;
      }
      if (tail === undefined) {
        pass.appendSpanOf(batch, i);
        continue;
      }
      const traceId = batch.traceIdText(i);
      // A trace still waiting has no decision yet: only its first span asks the memory.
      const decided = this.buffer.has(traceId) ? undefined : this.decisions.get(traceId, nowMs);
      if (decided === true) {
        pass.appendSpanOf(batch, i);
      } else if (decided === false) {
        tailDropped.appendSpanOf(batch, i);
      } else {
        this.hold(traceId, batch.spanAt(i), nowMs);
        buffered++;
      }
    }
    const result = await this.inner.apply(pass);
    pass.release();
    const headDroppedSpans = headDropped.length;
    if (headDroppedSpans > 0) {
      this.observer.sampledOut('head', headDroppedSpans);
      await this.inner.recordUnsampled(headDropped);
    }
    headDropped.release();
    const tailDroppedSpans = tailDropped.length;
    if (tailDroppedSpans > 0) {
      this.observer.sampledOut('tail', tailDroppedSpans);
      await this.inner.recordUnsampled(tailDropped);
    }
    tailDropped.release();
    if (tail !== undefined && (this.bufferedSpans > tail.maxBufferedSpans || this.bufferedBytes > tail.maxBufferedBytes)) {
      await this.decideOldest(tail.maxBufferedSpans, tail.maxBufferedBytes);
    }
    return {
      accepted: result.accepted + buffered,
      duplicates: result.duplicates,
      discardedStale: result.discardedStale + discardedStale,
      discardedFuture: result.discardedFuture + discardedFuture,
      sampledOut: headDroppedSpans + tailDroppedSpans,
    };
  }

  private hold(traceId: string, span: IngestSpan, nowMs: number): void {
    let pending = this.buffer.get(traceId);
    if (pending === undefined) {
      pending = { spans: [], bytes: 0, lastMs: nowMs, error: false };
      this.buffer.set(traceId, pending);
    } else if (pending.lastMs !== nowMs) {
      // Re-inserted, so that the map stays ordered by last arrival.
      this.buffer.delete(traceId);
      this.buffer.set(traceId, pending);
      pending.lastMs = nowMs;
    }
    pending.spans.push(span);
    const bytes = spanHeapBytes(span);
    pending.bytes += bytes;
    if (span.error) pending.error = true;
    this.bufferedSpans++;
    this.bufferedBytes += bytes;
  }

  /** Decides every trace quiet for TAIL_DECISION_SECONDS; the app calls this every second. */
  async sweep(): Promise<number> {
    const tail = this.options.tail;
    if (tail === undefined) return 0;
    const nowMs = this.options.clock.nowMs();
    const quietSince = nowMs - tail.decisionSeconds * 1000;
    const due: string[] = [];
    for (const [traceId, pending] of this.buffer) {
      if (pending.lastMs > quietSince) break;
      due.push(traceId);
    }
    await this.decide(due, nowMs, false);
    return due.length;
  }

  private async decideOldest(maxSpans: number, maxBytes: number): Promise<void> {
    const due: string[] = [];
    let spans = this.bufferedSpans;
    let bytes = this.bufferedBytes;
    for (const [traceId, pending] of this.buffer) {
      if (spans <= maxSpans && bytes <= maxBytes) break;
      due.push(traceId);
      spans -= pending.spans.length;
      bytes -= pending.bytes;
    }
    await this.decide(due, this.options.clock.nowMs(), true);
  }

  private async decide(traceIds: readonly string[], nowMs: number, early: boolean): Promise<void> {
    if (traceIds.length === 0) return;
    const tail = this.options.tail!;
    // Thresholds as they stood before this round, so that its traces do not move their own.
    const p99 = new Map<string, number | undefined>();
    const thresholdOf = (service: string): number | undefined => {
      if (!p99.has(service)) p99.set(service, this.rootLatency.p99Ms(service, nowMs));
      return p99.get(service);
    };
    const kept: IngestSpan[] = [];
    const dropped: IngestSpan[] = [];
    const roots: Array<[string, number]> = [];
    for (const traceId of traceIds) {
      const pending = this.buffer.get(traceId)!;
      this.buffer.delete(traceId);
      this.bufferedSpans -= pending.spans.length;
      this.bufferedBytes -= pending.bytes;
      const root = rootOf(pending.spans);
      const rootNs = root === undefined ? undefined : Number(BigInt(root.endTime) - BigInt(root.startTime));
      let reason: TailReason | undefined;
      if (pending.error) reason = 'error';
      else if (root !== undefined && isSlow(rootNs! / 1e6, tail.slowMs, thresholdOf(root.service))) reason = 'slow';
      else if (samplingHash(traceId, 'tail') < this.tailThreshold) reason = 'rate';
      const keep = reason !== undefined;
      this.decisions.set(traceId, keep, nowMs);
      this.observer.decided(keep, reason, early);
      (keep ? kept : dropped).push(...pending.spans);
      if (root !== undefined) roots.push([root.service, rootNs!]);
    }
    for (const [service, ns] of roots) this.rootLatency.add(service, ns, nowMs);
    if (kept.length > 0) this.observer.flushed(await this.inner.apply(SpanBatch.fromSpans(kept)));
    if (dropped.length > 0) {
      this.observer.sampledOut('tail', dropped.length);
      await this.inner.recordUnsampled(SpanBatch.fromSpans(dropped));
    }
  }

  state(): SamplingState {
    this.decisions.forget(this.options.clock.nowMs());
    return {
      bufferedSpans: this.bufferedSpans,
      bufferedTraces: this.buffer.size,
      rememberedDecisions: this.decisions.size,
      decisionBytes: this.decisions.bytes(),
    };
  }

  // ---- everything else is the store's -----------------------------------------------------

  listTraces(query: ListQuery): TraceList | Promise<TraceList> {
    return this.inner.listTraces(query);
  }

  getTrace(traceId: string): TraceDetail | undefined | Promise<TraceDetail | undefined> {
    return this.inner.getTrace(traceId);
  }

  latency(range: RangeQuery): LatencyReport | Promise<LatencyReport> {
    return this.inner.latency(range);
  }

  dependencies(range: RangeQuery): DependencyReport | Promise<DependencyReport> {
    return this.inner.dependencies(range);
  }

  recordUnsampled(batch: SpanBatch): void | Promise<void> {
    return this.inner.recordUnsampled(batch);
  }

  stats(): StoreStats | Promise<StoreStats> {
    return this.inner.stats();
  }

  evict(): EvictionResult | Promise<EvictionResult> {
    this.decisions.forget(this.options.clock.nowMs());
    return this.inner.evict();
  }
}

/** The earliest parentless span (ties by span_id), as the stores choose a trace's root. */
function rootOf(spans: readonly IngestSpan[]): IngestSpan | undefined {
  let root: IngestSpan | undefined;
  let rootStart = 0n;
  for (const s of spans) {
    if (s.parentSpanId !== undefined) continue;
    const start = BigInt(s.startTime);
    if (root === undefined || start < rootStart || (start === rootStart && s.spanId < root.spanId)) {
      root = s;
      rootStart = start;
    }
  }
  return root;
}

function isSlow(rootMs: number, slowMs: number | undefined, p99Ms: number | undefined): boolean {
  return (slowMs !== undefined && rootMs >= slowMs) || (p99Ms !== undefined && rootMs >= p99Ms);
}
