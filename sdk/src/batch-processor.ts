import { suppressTracing } from './context.js';
import type { SpanExporter } from './exporter.js';
import { MAX_SPANS_PER_REQUEST } from './limits.js';
import type { SpanProcessor } from './processor.js';
import { RingBuffer } from './ring-buffer.js';
import type { ReadableSpan } from './span.js';

export interface BatchSpanProcessorOptions {
  /** Spans held while waiting to export; past it the OLDEST are dropped and counted. Default 50,000. */
  readonly maxQueueSize?: number;
  /** Spans per export call, at most the contract's 500. Default 500. */
  readonly maxExportBatchSize?: number;
  /** A partial batch waits at most this long. Default 1,000 ms. */
  readonly scheduledDelayMs?: number;
  /** Upper bound for forceFlush() / shutdown(); what is left after it is counted as dropped. Default 10,000 ms. */
  readonly flushTimeoutMs?: number;
}

export interface BatchSpanProcessorStats {
  /** Spans waiting in the buffer now. */
  bufferedSpans: number;
  /** Spans the exporter reported as delivered. */
  exportedSpans: number;
  /** Spans lost before export: buffer overflow (oldest first), ended after shutdown, flush deadline. */
  droppedSpans: number;
  /** Spans the exporter gave up on (attempts exhausted, rejected, or it threw). */
  failedSpans: number;
}

/**
 * Buffers ended spans and exports them in batches: when a full batch is ready, or `scheduledDelayMs`
 * after the first span of a partial one. One export runs at a time; while it waits on a slow or
 * dead collector, spans keep accumulating in the bounded buffer.
 *
 * Never blocks or throws into application code: `onEnd` is an O(1) push; exports start from an
 * unref'd timer or setImmediate (never inside span.end()), run with tracing suppressed, and their
 * failures are counted, not raised.
 */
export class BatchSpanProcessor implements SpanProcessor {
  private readonly buffer: RingBuffer<ReadableSpan>;
  private readonly maxBatch: number;
  private readonly delayMs: number;
  private readonly flushTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** The export loop in progress, if any; at most one at a time. */
  private loop: Promise<void> | undefined;
  private loopAbort: AbortController | undefined;
  private stopped = false;
  /** After a failed export the next attempt waits for the timer, even with a full batch ready. */
  private lastExportFailed = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly counters = { exportedSpans: 0, droppedSpans: 0, failedSpans: 0 };

  constructor(
    private readonly exporter: SpanExporter,
    options: BatchSpanProcessorOptions = {},
  ) {
    this.buffer = new RingBuffer(options.maxQueueSize ?? 50_000);
    this.maxBatch = Math.min(options.maxExportBatchSize ?? MAX_SPANS_PER_REQUEST, MAX_SPANS_PER_REQUEST);
    if (!(this.maxBatch >= 1)) throw new RangeError('maxExportBatchSize must be >= 1');
    this.delayMs = options.scheduledDelayMs ?? 1_000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 10_000;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped) {
      this.counters.droppedSpans++;
      return;
    }
    if (this.buffer.push(span)) this.counters.droppedSpans++;
    if (this.buffer.size >= this.maxBatch && !this.lastExportFailed) this.scheduleNow();
    else if (this.timer === undefined) this.scheduleLater();
  }

  stats(): Readonly<BatchSpanProcessorStats> {
    return { bufferedSpans: this.buffer.size, ...this.counters };
  }

  /**
   * Exports everything buffered when called. Stops early (leaving the rest buffered) if a batch is
   * given up on, since the collector is then down and hammering it helps nobody, or when
   * `flushTimeoutMs` passes. Resolves, never rejects.
   */
  forceFlush(): Promise<void> {
    return this.flush(false);
  }

  /** Flushes what is buffered, then shuts the exporter down. Spans ended afterwards are dropped. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.stopped = true;
      this.clearSchedule();
      await this.flush(true);
      await this.exporter.shutdown().catch(() => undefined);
    })();
    return this.shutdownPromise;
  }

  private async flush(final: boolean): Promise<void> {
    const deadline = new AbortController();
    const deadlinePassed = new Promise<void>((resolve) => deadline.signal.addEventListener('abort', () => resolve(), { once: true }));
    // Ref'd on purpose, unlike every other timer here: the application awaits this flush (often at
    // exit), so the process must stay up until the flush ends or the deadline passes.
    const deadlineTimer = setTimeout(() => {
      deadline.abort();
      this.loopAbort?.abort();
    }, this.flushTimeoutMs);
    try {
      // One export at a time: let a scheduled loop finish first (the deadline aborts it too).
      while (this.loop !== undefined && !deadline.signal.aborted) await Promise.race([this.loop, deadlinePassed]);
      this.clearSchedule();
      if (this.buffer.size > 0 && !deadline.signal.aborted) {
        await Promise.race([this.startLoop(this.buffer.size, deadline), deadlinePassed]);
      }
    } finally {
      clearTimeout(deadlineTimer);
      if (final) this.counters.droppedSpans += this.buffer.clear();
      else if (this.buffer.size > 0) this.scheduleLater();
    }
  }

  private scheduleNow(): void {
    if (this.immediate !== undefined || this.loop !== undefined) return; // the running loop drains full batches
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.kick();
    });
    this.immediate.unref?.();
  }

  private scheduleLater(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.delayMs);
    this.timer.unref?.();
  }

  private clearSchedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Timer/immediate entry: one batch (partial allowed), then more only while full ones are ready. */
  private kick(): void {
    if (this.loop !== undefined || this.buffer.size === 0 || this.stopped) return;
    void this.startLoop(0, new AbortController());
  }

  private startLoop(budget: number, abort: AbortController): Promise<void> {
    // Run outside the caller's context with tracing suppressed: the timer that got here was
    // created inside some application span, and the exporter's own fetch must not be traced.
    const loop = suppressTracing(() => this.runLoop(budget, abort.signal));
    this.loop = loop;
    this.loopAbort = abort;
    void loop.finally(() => {
      if (this.loop !== loop) return;
      this.loop = undefined;
      this.loopAbort = undefined;
      if (!this.stopped && this.buffer.size > 0) {
        if (this.buffer.size >= this.maxBatch && !this.lastExportFailed) this.scheduleNow();
        else this.scheduleLater();
      }
    }).catch(() => undefined);
    return loop;
  }

  /**
   * Exports batches until `budget` spans went out (flush) or, with budget 0, until less than a
   * full batch remains (scheduled). Either stops at the first batch the exporter gives up on: the
   * collector is down or refusing, so the rest waits in the buffer for the next tick (or, at
   * shutdown, is counted as dropped) instead of hammering it batch after batch.
   */
  private async runLoop(budget: number, signal: AbortSignal): Promise<void> {
    let sent = 0;
    do {
      if (signal.aborted) break;
      const batch = this.buffer.take(this.maxBatch);
      if (batch.length === 0) break;
      sent += batch.length;
      if (!(await this.exportBatch(batch, signal))) break;
    } while (budget > 0 ? sent < budget && this.buffer.size > 0 : this.buffer.size >= this.maxBatch);
  }

  private async exportBatch(batch: ReadableSpan[], signal: AbortSignal | undefined): Promise<boolean> {
    try {
      const result = await this.exporter.export(batch, signal);
      if (result.ok) {
        this.counters.exportedSpans += batch.length;
        this.lastExportFailed = false;
        return true;
      }
    } catch {
      // Exporters should resolve; a throwing one is counted like a failed one.
    }
    this.counters.failedSpans += batch.length;
    this.lastExportFailed = true;
    return false;
  }
}
