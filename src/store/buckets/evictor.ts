// Eviction for the bucket store. A bucket that leaves the window is detached from the ring at
// once (minute-ring.ts); its spans are then taken out of their traces' counters in slices of
// releaseSlice spans per evict() call, so that dropping a minute of 500k spans never stalls the
// event loop for long. A bucket whose spans are all released gives its columns back to the pool,
// and the names only it still held are forgotten.

import type { EvictionResult } from '../trace-store.js';
import { forgetReleasedSpan } from './big-traces.js';
import type { MinuteRing } from './minute-ring.js';
import { EDGE_KEY_FACTOR, type SpanBucket } from './span-bucket.js';
import type { StoreState } from './store-state.js';
import { TraceTable } from './trace-table.js';
import { FLAG_ERROR, FLAG_HAS_PARENT, SPAN_CHUNK_BITS, SPAN_CHUNK_MASK } from './word-layout.js';

export class Evictor {
  private readonly minutes: MinuteRing;
  private readonly releaseSlice: number;

  constructor(
    private readonly state: StoreState,
    /** Spans whose counters one evict() call releases at most; bounds the pause. */
    releaseSliceSpans: number | undefined,
  ) {
    this.minutes = state.minutes;
    // 20k spans release in about 2–4 ms, keeping eviction's share of any pause small.
    this.releaseSlice = releaseSliceSpans ?? 20_000;
  }

  evict(): EvictionResult {
    const releasing = this.minutes.releasing;
    this.minutes.detachBefore(this.minutes.edgeMinute());
    if (releasing.length > 1) releasing.sort((a, b) => a.minute - b.minute);
    let budget = this.releaseSlice;
    let evictedSpans = 0;
    while (budget > 0 && releasing.length > 0) {
      const bucket = releasing[0]!;
      const stop = Math.min(bucket.count, bucket.releaseCursor + budget);
      for (let index = bucket.releaseCursor; index < stop; index++) this.release(bucket, index);
      const done = stop - bucket.releaseCursor;
      bucket.releaseCursor = stop;
      budget -= done;
      evictedSpans += done;
      if (stop === bucket.count) this.dispose(releasing.shift()!);
    }
    return { evictedSpans, pending: releasing.length > 0 };
  }

  /** Frees a released bucket's columns and the names that only it still held. */
  private dispose(bucket: SpanBucket): void {
    let exactFreed = false;
    const latency = bucket.latency;
    for (let e = 0; e < latency.length; e++) if (latency[e] !== undefined && this.state.endpoints.release(e)) exactFreed = true;
    for (const key of bucket.edges.keys()) {
      if (this.state.endpoints.releaseService(Math.floor(key / EDGE_KEY_FACTOR))) exactFreed = true;
      if (this.state.endpoints.releaseService(key % EDGE_KEY_FACTOR)) exactFreed = true;
    }
    // Those ids will name other services: mask answers derived from them would be wrong.
    if (exactFreed) this.state.serviceNames.forgetMasks();
    bucket.dispose();
  }

  /** Takes a span of a detached bucket out of its trace's counters. */
  private release(bucket: SpanBucket, index: number): void {
    const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
    const at = index & SPAN_CHUNK_MASK;
    const rec = chunk.trace[at]!;
    const flags = chunk.flags[at]!;
    const traceChunk = this.state.traces.chunkOf(rec);
    const off = TraceTable.offset(rec);
    if ((flags & FLAG_ERROR) !== 0) traceChunk.errorCount[off]!--;
    if ((flags & FLAG_HAS_PARENT) === 0 && traceChunk.rootCount[off]!-- === 2) this.state.multiRootTraces--;
    const bigTraces = this.state.bigTraces;
    const big = bigTraces.size === 0 ? undefined : bigTraces.get(rec);
    if (big !== undefined) forgetReleasedSpan(big, bucket, index);
    this.state.heldSpans--;
    if (--traceChunk.spanCount[off]! === 0) {
      this.state.traces.remove(rec);
      if (big !== undefined) bigTraces.delete(rec);
    }
  }
}
