// Graceful overload for POST /spans: refuse work with 503 + Retry-After instead of growing until
// the process dies or every query times out.
//
// Three signals, sampled on a 100 ms timer so that the per-request check is a few comparisons:
// - the memory budget: spans held >= MAX_SPANS (eviction frees room and ingest resumes by itself);
// - the V8 heap: tags live on the JS heap, so a tag-heavy load can reach the heap limit before
//   the span budget; refuse above 85% of it;
// - event-loop lag above MAX_EVENT_LOOP_LAG_MS: ingest is shed first so that queries, which are
//   cheap and what people are waiting on, keep answering;
// - saturation: the loop busy more than MAX_EVENT_LOOP_UTILIZATION percent of the time for half
//   a second on end. Lag alone misses this case: when offered load just exceeds capacity, requests
//   queue in the sockets, before the loop, and timers stay punctual while every response takes a
//   second (measured at 100× the emitter's load). A share of batches, growing while saturation
//   lasts and shrinking after, is refused until the loop has room again.
// Checked in onRequest, before the body is read or parsed: refusing must be cheaper than accepting.

import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { TraceStore } from '../store/trace-store.js';

export type RefusalReason = 'memory' | 'heap' | 'event_loop_lag' | 'saturated';

export interface Refusal {
  reason: RefusalReason;
  retryAfterSec: number;
  message: string;
}

export interface AdmissionOptions {
  store: TraceStore;
  maxSpans: number;
  maxEventLoopLagMs: number;
  /** Percent (0 disables). */
  maxEventLoopUtilization: number;
  windowMinutes: number;
  /** For tests: heap use as a share of the limit. */
  heapShare?: () => number;
}

const SAMPLE_MS = 100;
const HEAP_SHARE_LIMIT = 0.85;
/** Saturated samples in a row (half a second) before shedding starts: bursts are not overload. */
const SATURATED_SAMPLES = 5;
/** How much the refused share moves per sample, and its ceiling (some batches always get in). */
const SHED_STEP = 0.1;
const MAX_SHED = 0.9;

export class AdmissionControl {
  private heldSpans = 0;
  private lagMs = 0;
  private heapShare = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastTickAt = 0;
  private lastElu: EventLoopUtilization | undefined;
  private saturatedSamples = 0;
  /** Share of batches refused for saturation, and the running sum that spreads refusals evenly. */
  private shed = 0;
  private shedDebt = 0;

  constructor(private readonly options: AdmissionOptions) {}

  start(): void {
    this.lastTickAt = performance.now();
    this.timer = setInterval(() => {
      // How late this timer fires is the event loop's lag: the stall a request would have felt.
      const now = performance.now();
      this.lagMs = Math.max(0, now - this.lastTickAt - SAMPLE_MS);
      this.lastTickAt = now;
      const elu = performance.eventLoopUtilization();
      if (this.lastElu !== undefined) this.noteUtilization(performance.eventLoopUtilization(elu, this.lastElu).utilization);
      this.lastElu = elu;
      void this.sample();
    }, SAMPLE_MS);
    this.timer.unref();
    void this.sample();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Refreshes the memory signals; exposed so tests need not wait for the timer. */
  async sample(): Promise<void> {
    this.heldSpans = (await this.options.store.stats()).spans;
    const heap = this.options.heapShare;
    if (heap !== undefined) this.heapShare = heap();
    else {
      const h = getHeapStatistics();
      this.heapShare = h.used_heap_size / h.heap_size_limit;
    }
  }

  /**
   * Folds in the event loop's busy share over the last sample period (0..1); exposed so tests
   * can drive it.
   */
  noteUtilization(utilization: number): void {
    const limit = this.options.maxEventLoopUtilization / 100;
    if (limit > 0 && utilization > limit) {
      if (++this.saturatedSamples >= SATURATED_SAMPLES) this.shed = Math.min(MAX_SHED, this.shed + SHED_STEP);
    } else {
      this.saturatedSamples = 0;
      this.shed = Math.max(0, this.shed - SHED_STEP);
    }
    if (this.shed === 0) this.shedDebt = 0;
  }

  /** Share of batches now refused for saturation (0..MAX_SHED). */
  get shedShare(): number {
    return this.shed;
  }

  /** Counts spans just stored, so the budget holds between samples. */
  noteStored(spans: number): void {
    this.heldSpans += spans;
  }

  get eventLoopLagMs(): number {
    return this.lagMs;
  }

  /** Undefined when a batch may come in. */
  check(): Refusal | undefined {
    if (this.heldSpans >= this.options.maxSpans) {
      return {
        reason: 'memory',
        // Room appears when the oldest minute leaves the window: at most a minute away.
        retryAfterSec: 60 - (Math.floor(Date.now() / 1000) % 60),
        message: `the collector holds ${this.heldSpans} spans, its budget (MAX_SPANS=${this.options.maxSpans}); older spans are evicted as the ${this.options.windowMinutes}-minute window moves, retry then`,
      };
    }
    if (this.heapShare > HEAP_SHARE_LIMIT) {
      return {
        reason: 'heap',
        retryAfterSec: 30,
        message: `the collector's JavaScript heap is ${(this.heapShare * 100).toFixed(0)}% full; retry after older spans are evicted`,
      };
    }
    const maxLag = this.options.maxEventLoopLagMs;
    if (maxLag > 0 && this.lagMs > maxLag) {
      return {
        reason: 'event_loop_lag',
        retryAfterSec: 1,
        message: `the collector is overloaded (event loop ${this.lagMs.toFixed(0)} ms behind, limit ${maxLag} ms); retry shortly`,
      };
    }
    if (this.shed > 0) {
      this.shedDebt += this.shed;
      if (this.shedDebt >= 1) {
        this.shedDebt -= 1;
        return {
          reason: 'saturated',
          retryAfterSec: 1,
          message: `the collector is saturated (event loop busy over ${this.options.maxEventLoopUtilization}% of the time, MAX_EVENT_LOOP_UTILIZATION) and refuses ${(this.shed * 100).toFixed(0)}% of batches; retry shortly`,
        };
      }
    }
    return undefined;
  }
}
