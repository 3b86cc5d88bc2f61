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
//
// Replay after a restart (the ingest log feeds the sampler the logged batches again) must never
// drop a trace that was kept before: the p99 rule depends on history and the sweeper on time, so
// deciding again could answer otherwise. Every tail decision is therefore told to `onDecided`
// (the app logs it), and between beginReplay() and endReplay() the sampler takes no decision of
// its own: it applies the logged ones as logged (applyLogged), keeps early rather than drops when
// the buffer overflows, and at the end keeps every trace still waiting (its decision may have
// been lost in the crash; keeping one too many is allowed, dropping one is not).

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
import type { SamplingObserver, SamplingOptions, SamplingState, TailDecisions, TailReason } from './sampling-options.js';
import { isSlow, rootDurationNs, rootOf, spanHeapBytes } from './tail-rules.js';

export type { SamplingObserver, SamplingState, TailReason, TailSamplingOptions } from './sampling-options.js';

/**
 * During replay the buffer may hold this many times its bounds before traces are kept early:
 * live, the decisions that brought it back under them were logged right after the batch that
 * went over, so replay meets them a few records later, and deciding (keeping) before that would
 * keep traces that were dropped.
 */
const REPLAY_BUFFER_SLACK = 1.25;

/** A trace's root service and duration in ns, worked out once per decision. */
type RootDuration = [service: string, durationNs: number];

function rootDurationOf(spans: readonly IngestSpan[]): RootDuration | undefined {
  const root = rootOf(spans);
  return root === undefined ? undefined : [root.service, rootDurationNs(root)];
}

interface Pending {
  spans: IngestSpan[];
  bytes: number;
  lastMs: number;
  error: boolean;
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
  /** Told of every decision the sampler takes itself (not of those replayed). */
  private onDecided: ((decisions: TailDecisions) => void) | undefined;
  private replaying = false;

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

  /** Tells `onDecided` of every tail decision taken from now on (the app logs them). */
  logDecisions(onDecided: (decisions: TailDecisions) => void): void {
    this.onDecided = onDecided;
  }

  /** Replay starts: no decisions of the sampler's own until endReplay(). */
  beginReplay(): void {
    this.replaying = true;
  }

  /**
   * Replay is done: every trace still waiting is kept (and told to `onDecided`, so the next
   * replay finds the decision), and the sampler decides as usual from now on.
   */
  async endReplay(): Promise<void> {
    this.replaying = false;
    const waiting = [...this.buffer.keys()];
    await this.keepUndecided(waiting, false, this.options.clock.nowMs());
    if (waiting.length > 0) this.onDecided?.({ keep: waiting, drop: [] });
  }

  /**
   * A decision logged before a restart, met by replay: its buffered spans go to the store or
   * are dropped, and later spans follow it. A trace decided already during replay (kept early)
   * stays kept.
   */
  async applyLogged(decisions: TailDecisions): Promise<void> {
    if (this.options.tail === undefined) return;
    const nowMs = this.options.clock.nowMs();
    const buffered: string[] = [];
    const keep = new Set(decisions.keep);
    for (const list of [decisions.keep, decisions.drop]) {
      for (const traceId of list) {
        if (this.buffer.has(traceId)) buffered.push(traceId);
        // Its spans are not here (aged out, or a later span is still to come): remembered.
        else if (this.decisions.get(traceId, nowMs) === undefined) this.decisions.set(traceId, keep.has(traceId), nowMs);
      }
    }
    await this.settle(buffered, (traceId) => keep.has(traceId), nowMs);
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
    if (tail !== undefined) {
      const slack = this.replaying ? REPLAY_BUFFER_SLACK : 1;
      if (this.bufferedSpans > tail.maxBufferedSpans * slack || this.bufferedBytes > tail.maxBufferedBytes * slack) {
        await this.decideOldest(tail.maxBufferedSpans, tail.maxBufferedBytes);
      }
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
    // During replay the logged decisions decide, at the times they were taken.
    if (tail === undefined || this.replaying) return 0;
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
    const nowMs = this.options.clock.nowMs();
    // Memory is still bounded during replay, but a drop there could be one that was not taken
    // live: kept instead (not logged: the next replay overflows alike, or keeps them at its end).
    if (this.replaying) await this.keepUndecided(due, true, nowMs);
    else await this.decide(due, nowMs, true);
  }

  /**
   * Keeps buffered traces that replay met no logged decision for (reason `replay`): keeping one
   * too many is allowed, dropping one that was kept is not. `early`: the buffer was full.
   */
  private async keepUndecided(traceIds: readonly string[], early: boolean, nowMs: number): Promise<void> {
    for (let k = 0; k < traceIds.length; k++) this.observer.decided(true, 'replay', early);
    await this.settle(traceIds, () => true, nowMs);
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
    const decided: TailDecisions = { keep: [], drop: [] };
    const keeps: boolean[] = [];
    const roots: Array<RootDuration | undefined> = [];
    for (const traceId of traceIds) {
      const pending = this.buffer.get(traceId)!;
      const root = rootDurationOf(pending.spans);
      roots.push(root);
      let reason: TailReason | undefined;
      if (pending.error) reason = 'error';
      else if (root !== undefined && isSlow(root[1] / 1e6, tail.slowMs, thresholdOf(root[0]))) reason = 'slow';
      else if (samplingHash(traceId, 'tail') < this.tailThreshold) reason = 'rate';
      const keep = reason !== undefined;
      this.observer.decided(keep, reason, early);
      (keep ? decided.keep : decided.drop).push(traceId);
      keeps.push(keep);
    }
    // Told before the spans are let go: the decision is in the log's next group whatever follows.
    this.onDecided?.(decided);
    await this.settle(traceIds, (_, k) => keeps[k]!, nowMs, roots);
  }

  /**
   * Carries out decisions on buffered traces: remembered, their roots fed to the p99, their
   * spans to the store (kept) or to its statistics only (dropped).
   */
  private async settle(traceIds: readonly string[], keepOf: (traceId: string, index: number) => boolean, nowMs: number, rootsKnown?: ReadonlyArray<RootDuration | undefined>): Promise<void> {
    if (traceIds.length === 0) return;
    const kept: IngestSpan[] = [];
    const dropped: IngestSpan[] = [];
    const roots: RootDuration[] = [];
    for (let k = 0; k < traceIds.length; k++) {
      const traceId = traceIds[k]!;
      const pending = this.buffer.get(traceId)!;
      this.buffer.delete(traceId);
      this.bufferedSpans -= pending.spans.length;
      this.bufferedBytes -= pending.bytes;
      const keep = keepOf(traceId, k);
      this.decisions.set(traceId, keep, nowMs);
      (keep ? kept : dropped).push(...pending.spans);
      const root = rootsKnown === undefined ? rootDurationOf(pending.spans) : rootsKnown[k];
      if (root !== undefined) roots.push(root);
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
