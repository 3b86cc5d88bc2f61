// Continuous eviction, with no request needed: a timer asks each participant (the span store,
// the log store) to drop what the window has passed, in a fixed order, so that everything leaves
// the window on the same tick. A participant releases at most a slice per call; while any has
// work left the ticker yields to the event loop (setImmediate) between rounds, so requests
// interleave.

import type { StoreLifecycle } from './lifecycle.js';

/** One thing the ticker evicts from. */
export interface EvictionParticipant {
  /** Releases a bounded slice of what the window has passed: how many items went, and whether more wait. */
  evict(): Promise<{ evicted: number; pending: boolean }>;
  /** Told the count of a call that released any. */
  onEvicted(count: number): void;
}

/** The span store as a participant. */
export function storeEviction(store: StoreLifecycle, onEvicted: (spans: number) => void): EvictionParticipant {
  return {
    async evict() {
      const { evictedSpans, pending } = await store.evict();
      return { evicted: evictedSpans, pending };
    },
    onEvicted,
  };
}

export interface EvictionTickerOptions {
  /** Evicted in this order on every round. */
  participants: readonly EvictionParticipant[];
  intervalMs: number;
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

  /** Runs eviction until no participant has anything pending. Overlapping calls coalesce. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        let pending = false;
        for (const participant of this.options.participants) {
          const result = await participant.evict();
          if (result.evicted > 0) participant.onEvicted(result.evicted);
          if (result.pending) pending = true;
        }
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
