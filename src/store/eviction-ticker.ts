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
  /** The round in progress, if any. */
  private running: Promise<void> | undefined;

  constructor(private readonly options: EvictionTickerOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    // A timer tick that finds a round in progress is that round: ticks never queue up.
    this.timer = setInterval(() => {
      if (this.running === undefined) void this.tick();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Runs eviction until no participant has anything pending, at the clock's time now: after a
   * round in progress, if any (it may have read an earlier time), a round of its own. Replay
   * relies on this when it evicts as its clock enters each minute.
   */
  async tick(): Promise<void> {
    while (this.running !== undefined) await this.running;
    this.running = this.round();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async round(): Promise<void> {
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
    }
  }
}
