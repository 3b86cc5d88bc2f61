// The live minutes: buckets in a ring indexed by store-relative minute (span-ref.ts). A span lives
// in the bucket of its start minute. A bucket that leaves the window is detached from the ring at
// once (its spans vanish from every query) and waits in `releasing` until the evictor has
// released its spans' trace counters, in bounded slices.

import type { Clock } from '../../time/clock.js';
import { windowEdge } from '../window.js';
import type { BlockPool } from './block-pool.js';
import { refIndex, refMinute } from './span-ref.js';
import { SpanBucket, type RootOrder } from './span-bucket.js';
import { TraceTable } from './trace-table.js';
import * as wordLayout from './word-layout.js';

// Module-local copies of constants read per span (src/store/README.md: "Constants in hot code").
const { SPAN_CHUNK_BITS, SPAN_CHUNK_MASK } = wordLayout;

/** Position of a held span. */
export interface SpanPosition {
  bucket: SpanBucket;
  index: number;
}

export class MinuteRing {
  /** Unix minute that store-relative minute 0 stands for. */
  readonly baseMinute: number;
  /** Live buckets by relative minute modulo the ring size. */
  private slots: Array<SpanBucket | undefined>;
  /** Detached buckets whose spans' counters are still to be released, oldest first once sorted. */
  readonly releasing: SpanBucket[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly windowMinutes: number,
    private readonly pool: BlockPool,
    private readonly traces: TraceTable,
  ) {
    // Relative minutes stay positive even if the wall clock steps back (by up to 2^24 minutes, 31
    // years), and refs stay below 2^53 for as long forward (span-ref.ts).
    this.baseMinute = Math.floor(clock.nowMs() / 60_000) - windowMinutes - 2 - 2 ** 24;
    // Window + the five accepted future minutes + slack: a slot is reused only once its
    // previous minute has left the window (bucketFor grows the ring when a clock step breaks that).
    this.slots = new Array(windowMinutes + 10).fill(undefined);
  }

  /** The relative minute of the window edge now: buckets before it have left the window. */
  edgeMinute(): number {
    return Math.floor(windowEdge(this.clock.nowMs(), this.windowMinutes).sec / 60) - this.baseMinute;
  }

  /** The live bucket of a relative minute, created on first use. */
  bucketFor(minute: number, absMinute: number): SpanBucket {
    const slot = minute % this.slots.length;
    const held = this.slots[slot];
    if (held !== undefined && held.minute === minute) return held;
    if (held !== undefined) {
      // The ring is sized so that a slot's previous minute has left the window by now (the timer
      // may simply not have run yet), unless the clock stepped back: minutes from before the
      // step, ahead of the clock now, are still live.
      if (held.minute >= this.edgeMinute()) {
        this.grow();
        return this.bucketFor(minute, absMinute);
      }
      this.detach(slot);
    }
    const bucket = new SpanBucket(minute, absMinute * 60, this.pool);
    bucket.rootOrder = rootOrderFor(bucket, this.traces);
    this.slots[slot] = bucket;
    return bucket;
  }

  /** Doubles the ring (as often as it takes) until no two held buckets share a slot. */
  private grow(): void {
    const held = this.slots.filter((b): b is SpanBucket => b !== undefined);
    for (let length = this.slots.length * 2; ; length *= 2) {
      const ring: Array<SpanBucket | undefined> = new Array(length).fill(undefined);
      let clash = false;
      for (const bucket of held) {
        const slot = bucket.minute % length;
        if (ring[slot] !== undefined) clash = true;
        ring[slot] = bucket;
      }
      if (!clash) {
        this.slots = ring;
        return;
      }
    }
  }

  private detach(slot: number): void {
    const bucket = this.slots[slot]!;
    this.slots[slot] = undefined;
    this.releasing.push(bucket);
  }

  /** Detaches every bucket of a minute before `edgeMinute`. */
  detachBefore(edgeMinute: number): void {
    for (let slot = 0; slot < this.slots.length; slot++) {
      const bucket = this.slots[slot];
      if (bucket !== undefined && bucket.minute < edgeMinute) this.detach(slot);
    }
  }

  /** Where a ref points, or undefined when its bucket has left the window. */
  positionOf(ref: number): SpanPosition | undefined {
    const bucket = this.bucketAt(refMinute(ref));
    return bucket === undefined ? undefined : { bucket, index: refIndex(ref) };
  }

  /** The live bucket of a relative minute, or undefined when that minute is not held. */
  bucketAt(minute: number): SpanBucket | undefined {
    const bucket = this.slots[minute % this.slots.length];
    return bucket !== undefined && bucket.minute === minute ? bucket : undefined;
  }

  /** How many buckets are live (with no array made: stats() is read on every admission decision). */
  liveCount(): number {
    let count = 0;
    for (const b of this.slots) if (b !== undefined) count++;
    return count;
  }

  /** The live buckets, in ring order (not minute order). */
  live(): SpanBucket[] {
    return this.slots.filter((b): b is SpanBucket => b !== undefined);
  }
}

function rootOrderFor(bucket: SpanBucket, traces: TraceTable): RootOrder {
  // Ascending start, and for equal starts descending trace id, so that reading the roots
  // from the end yields the listing order (start desc, trace id asc).
  return (a, b) => {
    const ca = bucket.chunks[a >>> SPAN_CHUNK_BITS]!;
    const cb = bucket.chunks[b >>> SPAN_CHUNK_BITS]!;
    const d = ca.startOffset[a & SPAN_CHUNK_MASK]! - cb.startOffset[b & SPAN_CHUNK_MASK]!;
    if (d !== 0) return d;
    const ra = ca.trace[a & SPAN_CHUNK_MASK]!;
    const rb = cb.trace[b & SPAN_CHUNK_MASK]!;
    const ia = traces.chunkOf(ra).idWords;
    const ib = traces.chunkOf(rb).idWords;
    const oa = TraceTable.offset(ra) * 4;
    const ob = TraceTable.offset(rb) * 4;
    for (let k = 0; k < 4; k++) {
      if (ia[oa + k] !== ib[ob + k]) return ib[ob + k]! - ia[oa + k]!;
    }
    return 0;
  };
}
