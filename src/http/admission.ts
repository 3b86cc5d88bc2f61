// Graceful overload for POST /spans: refuse work with 503 + Retry-After instead of growing until
// the process dies or every query times out.
//
// Three signals, sampled on a 100 ms timer so that the per-request check is a few comparisons:
// - the memory budget: spans held >= MAX_SPANS (eviction frees room and ingest resumes by itself);
// - the V8 heap: tags live on the JS heap, so a tag-heavy load can reach the heap limit before
//   the span budget; refuse above 85% of it;
// - event-loop lag above MAX_EVENT_LOOP_LAG_MS: ingest is shed first so that queries, which are
//   cheap and what people are waiting on, keep answering.
// Checked in onRequest, before the body is read or parsed: refusing must be cheaper than accepting.

import { getHeapStatistics } from 'node:v8';
import type { TraceStore } from '../store/trace-store.js';

export type RefusalReason = 'memory' | 'heap' | 'event_loop_lag';

export interface Refusal {
  reason: RefusalReason;
  retryAfterSec: number;
  message: string;
}

export interface AdmissionOptions {
  store: TraceStore;
  maxSpans: number;
  maxEventLoopLagMs: number;
  windowMinutes: number;
  /** For tests: heap use as a share of the limit. */
  heapShare?: () => number;
}

const SAMPLE_MS = 100;
const HEAP_SHARE_LIMIT = 0.85;

export class AdmissionControl {
  private heldSpans = 0;
  private lagMs = 0;
  private heapShare = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastTickAt = 0;

  constructor(private readonly options: AdmissionOptions) {}

  start(): void {
    this.lastTickAt = performance.now();
    this.timer = setInterval(() => {
      // How late this timer fires is the event loop's lag: the stall a request would have felt.
      const now = performance.now();
      this.lagMs = Math.max(0, now - this.lastTickAt - SAMPLE_MS);
      this.lastTickAt = now;
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
    return undefined;
  }
}
