// Graceful overload for the ingest paths (POST /spans, /v1/traces, /logs): refuse work with 503 +
// Retry-After instead of growing until the process dies or every query times out. Queries are
// never refused.
//
// What refuses, checked before the body is read (refusal-gate.ts):
// - the memory budget: spans held >= MAX_SPANS (eviction frees room and ingest resumes by itself);
// - the V8 heap: tags live on the JS heap, so a tag-heavy load can reach the heap limit before
//   the span budget; refuse above 85% of it;
// - queueing delay: admitted ingest waits in the ingest queue (ingest-queue.ts); the shed
//   controller (shed-controller.ts) refuses the share of batches that keeps that wait near
//   INGEST_DELAY_TARGET_MS, so only the load beyond what the core can take is refused;
// - bodies in flight: their bytes past MAX_INFLIGHT_BODY_BYTES (inflight-bodies.ts, counted by
//   the refusal gate, since it sees every body).
// The memory signals are sampled on a 100 ms timer, so the per-request check is a few comparisons.

import { getHeapStatistics } from 'node:v8';
import type { TraceStore } from '../../store/trace-store.js';
import { IngestQueue, type Release } from './ingest-queue.js';
import { ShedController, OVERDUE_TARGETS } from './shed-controller.js';

/**
 * Why ingest was answered 503. `storage`: the ingest log could not make the batch durable (disk
 * full, I/O error); `replaying`: the collector is still replaying its log after a start.
 */
export type RefusalReason = 'memory' | 'heap' | 'queue_delay' | 'queue_timeout' | 'inflight_bytes' | 'storage' | 'replaying';
export const REFUSAL_REASONS: readonly RefusalReason[] = ['memory', 'heap', 'queue_delay', 'queue_timeout', 'inflight_bytes', 'storage', 'replaying'];

export interface Refusal {
  reason: RefusalReason;
  retryAfterSec: number;
  message: string;
}

export interface AdmissionOptions {
  /** What the memory budget is held against (in cluster mode, this node's partition stores together). */
  store: Pick<TraceStore, 'stats'>;
  maxSpans: number;
  /** MAX_SPAN_BYTES, against the store's `bytes` where it reports them. */
  maxSpanBytes?: number;
  /** INGEST_DELAY_TARGET_MS; 0 never sheds. */
  targetDelayMs: number;
  windowMinutes: number;
  /** For tests: heap use as a share of the limit. */
  heapShare?: () => number;
  /** Monotonic milliseconds; performance.now by default. */
  now?: () => number;
}

const SAMPLE_MS = 100;
const HEAP_SHARE_LIMIT = 0.85;

export class AdmissionControl {
  readonly controller: ShedController;
  readonly queue: IngestQueue;
  private readonly now: () => number;
  private heldSpans = 0;
  private heldSpanBytes = 0;
  private lagMs = 0;
  private heapShare = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastTickAt = 0;
  // Refusals are built when what they say changes, not per refused request: a refusal must cost
  // as little as possible, and the gate caches each one's encoded body.
  private memoryRefusal: Refusal | undefined;
  private heapRefusal: Refusal | undefined;
  private shedRefusal: Refusal | undefined;
  private shedPercent = -1;
  private readonly timeoutRefusal: Refusal;

  constructor(private readonly options: AdmissionOptions) {
    this.now = options.now ?? (() => performance.now());
    this.controller = new ShedController({ targetDelayMs: options.targetDelayMs });
    this.queue = new IngestQueue(this.controller, this.now);
    this.timeoutRefusal = {
      reason: 'queue_timeout',
      retryAfterSec: 1,
      message: `the collector is overloaded: this batch waited over ${options.targetDelayMs * OVERDUE_TARGETS} ms behind other batches to be stored (${OVERDUE_TARGETS} × INGEST_DELAY_TARGET_MS); retry shortly`,
    };
  }

  start(): void {
    this.lastTickAt = this.now();
    this.timer = setInterval(() => {
      // How late this timer fires is the event loop's lag, kept as a gauge for operators.
      const now = this.now();
      this.lagMs = Math.max(0, now - this.lastTickAt - SAMPLE_MS);
      this.lastTickAt = now;
      this.controller.update(now, this.queue.oldestWaitingMs(now));
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
    const stats = await this.options.store.stats();
    this.heldSpans = stats.spans;
    this.heldSpanBytes = stats.bytes ?? 0;
    const heap = this.options.heapShare;
    if (heap !== undefined) this.heapShare = heap();
    else {
      const h = getHeapStatistics();
      this.heapShare = h.used_heap_size / h.heap_size_limit;
    }
    this.memoryRefusal = undefined;
    this.heapRefusal = undefined;
  }

  /** Counts spans just stored, so the budget holds between samples. */
  noteStored(spans: number): void {
    this.heldSpans += spans;
  }

  get eventLoopLagMs(): number {
    return this.lagMs;
  }

  /** Share of ingest batches refused now for queueing delay. */
  get shedShare(): number {
    return this.controller.shedShare;
  }

  /** Queueing delay of ingest the controller last acted on, in ms. */
  get queueDelayMs(): number {
    return this.controller.delayMs;
  }

  /**
   * Undefined when a batch may come in. `countsSpans` is false for logs, which have a budget of
   * their own (MAX_LOGS) instead of MAX_SPANS.
   */
  check(countsSpans: boolean): Refusal | undefined {
    if (countsSpans && (this.heldSpans >= this.options.maxSpans || this.heldSpanBytes >= (this.options.maxSpanBytes ?? Infinity))) {
      return (this.memoryRefusal ??= this.buildMemoryRefusal());
    }
    if (this.heapShare > HEAP_SHARE_LIMIT) return (this.heapRefusal ??= this.buildHeapRefusal());
    const controller = this.controller;
    if (!controller.enabled) return undefined;
    const now = this.now();
    controller.update(now, this.queue.oldestWaitingMs(now));
    if (!controller.refuseNext()) return undefined;
    const percent = Math.round(controller.shedShare * 100);
    if (percent !== this.shedPercent || this.shedRefusal === undefined) {
      this.shedPercent = percent;
      this.shedRefusal = {
        reason: 'queue_delay',
        retryAfterSec: 1,
        message: `the collector is overloaded (ingest waits over ${this.options.targetDelayMs} ms, INGEST_DELAY_TARGET_MS) and refuses ${percent}% of batches; retry shortly`,
      };
    }
    return this.shedRefusal;
  }

  /** Queues an admitted ingest request until its turn; `release(true)` means it waited too long. */
  waitTurn(release: Release): void {
    this.queue.enqueue(release);
  }

  /** The answer for a request that `waitTurn` released as overdue. */
  get overdueRefusal(): Refusal {
    return this.timeoutRefusal;
  }

  private buildMemoryRefusal(): Refusal {
    return {
      reason: 'memory',
      // Room appears when the oldest minute leaves the window: at most a minute away.
      retryAfterSec: 60 - (Math.floor(Date.now() / 1000) % 60),
      message: `the collector holds ${this.heldFigure()}; older spans are evicted as the ${this.options.windowMinutes}-minute window moves, retry then`,
    };
  }

  private heldFigure(): string {
    if (this.heldSpans >= this.options.maxSpans) return `${this.heldSpans} spans, its budget (MAX_SPANS=${this.options.maxSpans})`;
    return `${this.heldSpanBytes} bytes of spans, its budget (MAX_SPAN_BYTES=${this.options.maxSpanBytes})`;
  }

  private buildHeapRefusal(): Refusal {
    return {
      reason: 'heap',
      retryAfterSec: 30,
      message: `the collector's JavaScript heap is ${(this.heapShare * 100).toFixed(0)}% full; retry after older spans are evicted`,
    };
  }
}
