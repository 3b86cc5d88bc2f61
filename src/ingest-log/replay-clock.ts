// The clock the stores read, which replay sets to each record's append time.
//
// Replayed at its own time, a batch would meet a different window than it met live: a parent
// that has aged out since would not link its child (no dependency edge), a span id whose first
// copy has aged out would not be a duplicate. Replayed at the time it was appended, every batch
// meets the window, the duplicates and the parents it met live, so the rebuilt store takes the
// same decisions; the eviction that follows drops what has aged out since, as live eviction did.
// Appends come in time order, so during replay this clock only moves forward, as a clock should.

import type { Clock } from '../time/clock.js';

export class ReplayClock implements Clock {
  private replayingAtMs: number | undefined;

  constructor(private readonly wallClock: Clock) {}

  nowMs(): number {
    return this.replayingAtMs ?? this.wallClock.nowMs();
  }

  /** Replay is at `ms` (never earlier than it was: a clock stepped back while appending stays put). */
  replayAt(ms: number): void {
    this.replayingAtMs = Math.min(Math.max(ms, this.replayingAtMs ?? -Infinity), this.wallClock.nowMs());
  }

  /** Replay is over: the wall clock again. */
  release(): void {
    this.replayingAtMs = undefined;
  }
}
