// The rolling window, shared by every store so they agree to the nanosecond.
//
// A span is held while start_time >= now − W. Spans up to FUTURE_SKEW ahead of now are accepted
// (clients' clocks drift, and the emitter sends children up to 0.5 s ahead); spans further ahead
// are discarded, since they would sit in memory until the clock caught up with them.

export const FUTURE_SKEW_MS = 5 * 60_000;
export const MS_PER_MINUTE = 60_000;

/** An instant as whole seconds and nanoseconds, both exact in a double. */
export interface Instant {
  sec: number;
  nsec: number;
}

export function instantFromMs(ms: number): Instant {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1_000_000 };
}

/** Oldest start_time still inside the window at `nowMs`. */
export function windowEdge(nowMs: number, windowMinutes: number): Instant {
  return instantFromMs(nowMs - windowMinutes * MS_PER_MINUTE);
}

/** Newest start_time accepted at `nowMs`. */
export function futureLimit(nowMs: number): Instant {
  return instantFromMs(nowMs + FUTURE_SKEW_MS);
}

/** Exact window bounds as bigint nanoseconds, for the reference store. */
export function windowBoundsNs(nowMs: number, windowMinutes: number): { edge: bigint; future: bigint } {
  const now = BigInt(nowMs) * 1_000_000n;
  return {
    edge: now - BigInt(windowMinutes) * 60_000_000_000n,
    future: now + BigInt(FUTURE_SKEW_MS) * 1_000_000n,
  };
}
