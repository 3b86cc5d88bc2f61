// Continuous eviction, with no request needed: a timer asks the store to drop what the window
// has passed. The store releases at most a slice of spans per call; while work remains the
// ticker yields to the event loop (setImmediate) between slices, so requests interleave.

import type { TraceStore } from './trace-store.js';

export interface EvictionTickerOptions {
  store: TraceStore;
  intervalMs: number;
  onEvicted: (spans: number) => void;
  onError: (error: unknown) => void;
}

export class EvictionTicker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: EvictionTickerOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs eviction until the store has nothing pending. Overlapping calls coalesce. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const { evictedSpans, pending } = await this.options.store.evict();
        if (evictedSpans > 0) this.options.onEvicted(evictedSpans);
        if (!pending) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.running = false;
    }
  }
}
