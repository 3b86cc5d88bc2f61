// The rolling window, shared by every store so they agree to the nanosecond.
//
// A span is held while start_time >= now − W. Spans up to FUTURE_SKEW ahead of now are accepted
// (clients' clocks drift, and the emitter sends children up to 0.5 s ahead); spans further ahead
// are discarded, since they would sit in memory until the clock caught up with them.

import { SPAN_NEGATIVE_START, TIME_FIELDS, type SpanBatch } from '../ingest/span-batch.js';
import { nsFromParts, secondsOf, subsecondNanosOf, type NsText } from '../time/nanos.js';

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

export const IN_WINDOW = 0;
export const STALE = 1;
export const FUTURE = 2;
/** Where a span's start falls: IN_WINDOW, STALE (before the edge) or FUTURE (past the skew). */
export type WindowPlace = typeof IN_WINDOW | typeof STALE | typeof FUTURE;

/**
 * Where span i of the batch starts, against `edge` and `future` of the same instant: every store
 * places spans with this one function, so they agree on every boundary to the nanosecond.
 */
export function windowPlace(batch: SpanBatch, i: number, edge: Instant, future: Instant): WindowPlace {
  if ((batch.flags[i]! & SPAN_NEGATIVE_START) !== 0) return STALE;
  const sec = batch.times[i * TIME_FIELDS]!;
  const nsec = batch.times[i * TIME_FIELDS + 1]!;
  if (sec < edge.sec || (sec === edge.sec && nsec < edge.nsec)) return STALE;
  if (sec > future.sec || (sec === future.sec && nsec > future.nsec)) return FUTURE;
  return IN_WINDOW;
}

/** Exact window bounds as bigint nanoseconds, for the reference store. */
export function windowBoundsNs(nowMs: number, windowMinutes: number): { edge: bigint; future: bigint } {
  const now = BigInt(nowMs) * 1_000_000n;
  return {
    edge: now - BigInt(windowMinutes) * 60_000_000_000n,
    future: now + BigInt(FUTURE_SKEW_MS) * 1_000_000n,
  };
}

/**
 * The range statistics cover: whole minutes. A requested `after` is aligned down and `before` up
 * to a minute boundary; the result is then narrowed to the whole minutes inside the window (the
 * first minute starting at or after the window edge, through the minute holding the future
 * limit). Every span starting in [fromMinute, toMinute) is therefore still held, and a minute
 * bucket either counts entirely or not at all.
 */
export interface StatsWindow {
  /** Unix minutes, [fromMinute, toMinute); toMinute >= fromMinute. */
  fromMinute: number;
  toMinute: number;
  /** Seconds of the range that have passed at `nowMs` (0 when it lies in the future). */
  elapsedSeconds: number;
}

export function statsWindow(nowMs: number, windowMinutes: number, after?: NsText, before?: NsText): StatsWindow {
  let from = Math.ceil((nowMs - windowMinutes * MS_PER_MINUTE) / MS_PER_MINUTE);
  let to = Math.floor((nowMs + FUTURE_SKEW_MS) / MS_PER_MINUTE) + 1;
  if (after !== undefined) from = Math.max(from, Math.floor(secondsOf(after) / 60));
  if (before !== undefined) {
    const sec = secondsOf(before);
    const aligned = sec % 60 === 0 && subsecondNanosOf(before) === 0 ? sec / 60 : Math.floor(sec / 60) + 1;
    to = Math.min(to, aligned);
  }
  if (to < from) to = from;
  const elapsedMs = Math.min(to * MS_PER_MINUTE, nowMs) - from * MS_PER_MINUTE;
  return { fromMinute: from, toMinute: to, elapsedSeconds: Math.max(0, elapsedMs) / 1000 };
}

/** The int64 text of a unix minute's first nanosecond. */
export function minuteStartNs(unixMinute: number): NsText {
  return nsFromParts(unixMinute * 60, 0);
}
