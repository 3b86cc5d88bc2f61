// MinuteRing (minute-ring.ts): live buckets by minute, reused slots, growth under a clock that
// steps back, and detaching what the window has left.
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { MinuteRing } from '../../../src/store/buckets/minute-ring.js';
import { spanRef } from '../../../src/store/buckets/span-ref.js';
import { TraceTable } from '../../../src/store/buckets/trace-table.js';
import { ManualClock } from '../../../src/time/clock.js';

const W = 3;
const START = Date.UTC(2026, 10, 21, 10, 0, 30);
const START_MINUTE = Math.floor(START / 60_000);

function ring(clock = new ManualClock(START)) {
  const pool = new BlockPool();
  const minutes = new MinuteRing(clock, W, pool, new TraceTable(pool));
  /** The bucket of a unix minute. */
  const at = (unixMinute: number) => minutes.bucketFor(unixMinute - minutes.baseMinute, unixMinute);
  return { clock, minutes, at };
}

describe('MinuteRing', () => {
  it('creates a minute\'s bucket once and finds it by minute and by span ref', () => {
    const { minutes, at } = ring();
    const bucket = at(START_MINUTE);
    expect(at(START_MINUTE)).toBe(bucket);
    expect(bucket.startSec).toBe(START_MINUTE * 60);
    expect(minutes.bucketAt(bucket.minute)).toBe(bucket);
    expect(minutes.bucketAt(bucket.minute + 1)).toBeUndefined();
    expect(minutes.positionOf(spanRef(bucket.minute, 5))).toEqual({ bucket, index: 5 });
    expect([minutes.liveCount(), minutes.live()]).toEqual([1, [bucket]]);
  });

  it('reuses a slot once its minute has left the window, detaching the old bucket for release', () => {
    const { clock, minutes, at } = ring();
    const old = at(START_MINUTE);
    clock.advance(60 * 60_000);
    // The ring has W + 10 slots: the minute that many later takes the same slot.
    const fresh = at(START_MINUTE + W + 10);
    expect(fresh).not.toBe(old);
    expect(minutes.releasing).toEqual([old]);
    expect(minutes.positionOf(spanRef(old.minute, 0))).toBeUndefined();
  });

  it('grows instead when the minute in the slot is still live (the clock stepped back)', () => {
    const { minutes, at } = ring();
    const live = at(START_MINUTE);
    const clash = at(START_MINUTE + W + 10);
    expect(minutes.releasing).toEqual([]);
    expect(minutes.bucketAt(live.minute)).toBe(live);
    expect(minutes.bucketAt(clash.minute)).toBe(clash);
  });

  it('detaches every bucket before the window edge', () => {
    const { clock, minutes, at } = ring();
    const buckets = [0, 1, 2, 3].map((n) => at(START_MINUTE - 2 + n));
    clock.advance(2 * 60_000); // edge 10:00:30 - 3 min + 2 min = 09:59:30: minute 09:59 is still live
    minutes.detachBefore(minutes.edgeMinute());
    expect(minutes.releasing).toEqual([buckets[0]]);
    expect(minutes.live().sort((a, b) => a.minute - b.minute)).toEqual(buckets.slice(1));
  });
});
