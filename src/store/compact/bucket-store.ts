// The production store: spans in minute buckets of typed-array columns (span-bucket.ts), traces
// in a hash-indexed record table (trace-table.ts).
//
// Invariants that the queries rely on:
// - A span lives in the bucket of its start minute. Buckets sit in a ring indexed by minute; a
//   bucket that leaves the window is detached from the ring at once (its spans vanish from every
//   query) and its per-trace counters are released afterwards in bounded slices, so dropping a
//   minute of 500k spans never stalls the event loop for long.
// - Each trace chains its spans newest bucket first (span `next` refs). Releasing the oldest
//   buckets therefore only cuts chain tails, and a walk stops at the first ref whose bucket has
//   left the ring.
// - A trace's counters (spans, errors) are exact whenever none of its spans is in the bucket that
//   holds the window edge or in a released bucket (oldestMinute > edge minute); otherwise queries
//   recount along the chain with the exact edge.

import type { Clock } from '../../time/clock.js';
import { durationMsBetween, nsFromParts, secondsOf, subsecondNanosOf, type NsText } from '../../time/nanos.js';
import type {
  EvictionResult,
  IngestResult,
  IngestSpan,
  ListQuery,
  StoredSpan,
  StoreStats,
  TraceDetail,
  TraceList,
  TraceStore,
  TraceSummary,
} from '../trace-store.js';
import { futureLimit, windowEdge, type Instant } from '../window.js';
import { EndpointTable } from './endpoint-table.js';
import {
  FLAG_EMPTY_TAGS,
  FLAG_ERROR,
  FLAG_HAS_PARENT,
  LONG_DURATION,
  SPAN_CHUNK_BITS,
  SPAN_CHUNK_MASK,
  SpanBucket,
} from './span-bucket.js';
import { NO_SPAN, refIndex, refMinute, spanRef } from './span-ref.js';
import { TraceTable } from './trace-table.js';
import { uuidFromWords, writeUuidWords } from './uuid-words.js';

export interface BucketStoreOptions {
  clock: Clock;
  windowMinutes: number;
  /** Spans whose counters one evict() call releases at most; bounds the pause. */
  releaseSliceSpans?: number;
  /** Spans past which a trace gets a span-id index for duplicate checks (tests lower it). */
  bigTraceSpans?: number;
}

/** Past this many spans a trace gets a span-id index instead of chain walks for duplicates. */
const BIG_TRACE_SPANS = 64;
const NS_PER_SEC = 1_000_000_000;

/** Position of a held span. */
interface SpanPosition {
  bucket: SpanBucket;
  index: number;
}

export class BucketStore implements TraceStore {
  private readonly clock: Clock;
  private readonly windowMinutes: number;
  private readonly releaseSlice: number;
  private readonly bigTraceSpans: number;
  private readonly traces = new TraceTable();
  private readonly endpoints = new EndpointTable();
  /** Unix minute that store-relative minute 0 stands for. */
  private readonly baseMinute: number;
  /** Live buckets by relative minute modulo the ring size. */
  private readonly ring: Array<SpanBucket | undefined>;
  /** Detached buckets whose spans' counters are still to be released, oldest first. */
  private readonly releasing: SpanBucket[] = [];
  private heldSpans = 0;
  /** Traces holding more than one parentless span; while > 0, listings check each root. */
  private multiRootTraces = 0;
  private readonly bigTraces = new Map<number, Map<string, number>>();
  private readonly ids = new Uint32Array(8);

  constructor(options: BucketStoreOptions) {
    this.clock = options.clock;
    this.windowMinutes = options.windowMinutes;
    // 20k spans release in about 2–4 ms, keeping eviction's share of any pause small.
    this.releaseSlice = options.releaseSliceSpans ?? 20_000;
    this.bigTraceSpans = options.bigTraceSpans ?? BIG_TRACE_SPANS;
    // Nothing older than the window is ever stored, so minutes before this one never occur.
    this.baseMinute = Math.floor(options.clock.nowMs() / 60_000) - options.windowMinutes - 2;
    // Window + the five accepted future minutes + slack: a slot is reused only once its
    // previous minute has left the window.
    this.ring = new Array(options.windowMinutes + 10).fill(undefined);
  }

  // ---- ingest ---------------------------------------------------------------------------

  ingest(spans: readonly IngestSpan[]): IngestResult {
    const now = this.clock.nowMs();
    const edge = windowEdge(now, this.windowMinutes);
    const future = futureLimit(now);
    const result: IngestResult = { accepted: 0, duplicates: 0, discardedStale: 0, discardedFuture: 0 };
    for (const span of spans) {
      const startText = span.startTime;
      if (startText.charCodeAt(0) === 45 /* - */) {
        result.discardedStale++;
        continue;
      }
      const sec = secondsOf(startText);
      const nsec = subsecondNanosOf(startText);
      if (sec < edge.sec || (sec === edge.sec && nsec < edge.nsec)) {
        result.discardedStale++;
        continue;
      }
      if (sec > future.sec || (sec === future.sec && nsec > future.nsec)) {
        result.discardedFuture++;
        continue;
      }
      result.accepted++;
      if (!this.store(span, sec, nsec, edge)) result.duplicates++;
    }
    return result;
  }

  /** Stores one in-window span; false when the trace already holds its span_id. */
  private store(span: IngestSpan, sec: number, nsec: number, edge: Instant): boolean {
    const absMinute = Math.floor(sec / 60);
    const minute = absMinute - this.baseMinute;
    const ids = this.ids;
    writeUuidWords(span.traceId, ids, 0);
    writeUuidWords(span.spanId, ids, 4);
    const traces = this.traces;
    let rec = traces.find(ids[0]!, ids[1]!, ids[2]!, ids[3]!);
    if (rec < 0) rec = traces.insert(ids[0]!, ids[1]!, ids[2]!, ids[3]!, minute);
    else if (this.holdsSpan(rec, span.spanId, edge)) return false;

    const bucket = this.bucketFor(minute, absMinute);
    const index = bucket.append();
    const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
    const at = index & SPAN_CHUNK_MASK;
    const sid = chunk.spanId;
    sid[at * 4] = ids[4]!;
    sid[at * 4 + 1] = ids[5]!;
    sid[at * 4 + 2] = ids[6]!;
    sid[at * 4 + 3] = ids[7]!;
    let flags = span.error ? FLAG_ERROR : 0;
    if (span.parentSpanId !== undefined) {
      flags |= FLAG_HAS_PARENT;
      writeUuidWords(span.parentSpanId, chunk.parentId, at * 4);
    }
    if (span.tags !== undefined) {
      const text = span.tagsJson ?? JSON.stringify(span.tags);
      if (text === '{}') flags |= FLAG_EMPTY_TAGS;
      else bucket.setTags(index, text);
    }
    chunk.flags[at] = flags;
    chunk.trace[at] = rec;
    chunk.endpoint[at] = this.endpoints.intern(span.service, span.operation);
    chunk.startOffset[at] = (sec - absMinute * 60) * NS_PER_SEC + nsec;
    const endText = span.endTime;
    const durationSec = secondsOf(endText) - sec;
    // Only a few seconds can fit 32 bits of nanoseconds; longer ones keep their end exactly.
    const duration = durationSec <= 4 ? durationSec * NS_PER_SEC + subsecondNanosOf(endText) - nsec : LONG_DURATION;
    if (duration >= LONG_DURATION) {
      chunk.duration[at] = LONG_DURATION;
      bucket.longEnds.set(index, endText);
    } else {
      chunk.duration[at] = duration;
    }

    const ref = spanRef(minute, index);
    const traceChunk = traces.chunkOf(rec);
    const off = TraceTable.offset(rec);
    this.linkIntoChain(traceChunk.head, off, ref, minute, chunk.next, at);
    const count = ++traceChunk.spanCount[off]!;
    if (span.error) traceChunk.errorCount[off]!++;
    if (minute < traceChunk.oldestMinute[off]!) traceChunk.oldestMinute[off] = minute;
    if (span.parentSpanId === undefined) {
      if (++traceChunk.rootCount[off]! === 2) this.multiRootTraces++;
      bucket.addRoot(index);
    }
    const big = this.bigTraces.get(rec);
    if (big !== undefined) big.set(span.spanId, ref);
    else if (count > this.bigTraceSpans) this.indexBigTrace(rec);
    this.heldSpans++;
    return true;
  }

  /** Inserts `ref` into the trace's chain, which is ordered newest minute first. */
  private linkIntoChain(heads: Float64Array, off: number, ref: number, minute: number, next: Float64Array, at: number): void {
    const head = heads[off]!;
    if (head === NO_SPAN || refMinute(head) <= minute) {
      next[at] = head;
      heads[off] = ref;
      return;
    }
    // Rare: a span older than the trace's newest (clock skew, late delivery). Walk to its place.
    let prev = this.positionOf(head)!;
    for (;;) {
      const prevChunk = prev.bucket.chunks[prev.index >>> SPAN_CHUNK_BITS]!;
      const following = prevChunk.next[prev.index & SPAN_CHUNK_MASK]!;
      const followingPos = following === NO_SPAN ? undefined : this.positionOf(following);
      if (followingPos === undefined || followingPos.bucket.minute <= minute) {
        next[at] = following;
        prevChunk.next[prev.index & SPAN_CHUNK_MASK] = ref;
        return;
      }
      prev = followingPos;
    }
  }

  /** Whether the trace holds this span id with a start inside the window. */
  private holdsSpan(rec: number, spanId: string, edge: Instant): boolean {
    const big = this.bigTraces.get(rec);
    if (big !== undefined) {
      const ref = big.get(spanId);
      const pos = ref === undefined ? undefined : this.positionOf(ref);
      return pos !== undefined && pos.bucket.startOffsetOf(pos.index) >= offsetIn(pos.bucket, edge);
    }
    const ids = this.ids;
    const w0 = ids[4]!;
    const w1 = ids[5]!;
    const w2 = ids[6]!;
    const w3 = ids[7]!;
    let ref = this.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
    while (ref !== NO_SPAN) {
      // positionOf() inlined: this loop runs for every child span ingested.
      const minute = refMinute(ref);
      const bucket = this.ring[minute % this.ring.length];
      if (bucket === undefined || bucket.minute !== minute) return false;
      const index = refIndex(ref);
      const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
      const at = index & SPAN_CHUNK_MASK;
      const sid = chunk.spanId;
      if (sid[at * 4] === w0 && sid[at * 4 + 1] === w1 && sid[at * 4 + 2] === w2 && sid[at * 4 + 3] === w3) {
        // A copy below the window edge has aged out: the span is new again.
        if (chunk.startOffset[at]! >= offsetIn(bucket, edge)) return true;
      }
      ref = chunk.next[at]!;
    }
    return false;
  }

  private indexBigTrace(rec: number): void {
    const index = new Map<string, number>();
    let ref = this.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
    while (ref !== NO_SPAN) {
      const pos = this.positionOf(ref);
      if (pos === undefined) break;
      const chunk = pos.bucket.chunks[pos.index >>> SPAN_CHUNK_BITS]!;
      const at = pos.index & SPAN_CHUNK_MASK;
      // Newest first: an aged-out copy further down the chain must not shadow a live one.
      const key = uuidFromWords(chunk.spanId, at * 4);
      if (!index.has(key)) index.set(key, ref);
      ref = chunk.next[at]!;
    }
    this.bigTraces.set(rec, index);
  }

  /** The live bucket of a relative minute, created on first use. */
  private bucketFor(minute: number, absMinute: number): SpanBucket {
    const slot = minute % this.ring.length;
    const held = this.ring[slot];
    if (held !== undefined && held.minute === minute) return held;
    // The ring is sized so that a slot's previous minute has left the window by now; the timer
    // may simply not have run yet.
    if (held !== undefined) this.detach(slot);
    const bucket = new SpanBucket(minute, absMinute * 60);
    bucket.rootOrder = this.rootOrderFor(bucket);
    this.ring[slot] = bucket;
    return bucket;
  }

  private detach(slot: number): void {
    const bucket = this.ring[slot]!;
    this.ring[slot] = undefined;
    this.releasing.push(bucket);
  }

  /** Where a ref points, or undefined when its bucket has left the window. */
  private positionOf(ref: number): SpanPosition | undefined {
    const minute = refMinute(ref);
    const bucket = this.ring[minute % this.ring.length];
    if (bucket === undefined || bucket.minute !== minute) return undefined;
    return { bucket, index: refIndex(ref) };
  }

  private rootOrderFor(bucket: SpanBucket): (a: number, b: number) => number {
    // Ascending start, and for equal starts descending trace id, so that reading the roots
    // from the end yields the listing order (start desc, trace id asc).
    const traces = this.traces;
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

  // ---- queries --------------------------------------------------------------------------

  listTraces(query: ListQuery): TraceList {
    const edge = windowEdge(this.clock.nowMs(), this.windowMinutes);
    let lo: Instant = edge;
    if (query.after !== undefined) {
      const after = { sec: secondsOf(query.after), nsec: subsecondNanosOf(query.after) };
      if (instantBefore(lo, after)) lo = after;
    }
    const hi: Instant | undefined =
      query.before === undefined ? undefined : { sec: secondsOf(query.before), nsec: subsecondNanosOf(query.before) };
    const loMinute = Math.floor(lo.sec / 60) - this.baseMinute;
    const hiMinute = hi === undefined ? Infinity : Math.floor(hi.sec / 60) - this.baseMinute;
    const edgeMinute = Math.floor(edge.sec / 60) - this.baseMinute;

    const buckets = this.ring
      .filter((b): b is SpanBucket => b !== undefined && b.minute >= loMinute && b.minute <= hiMinute)
      .sort((a, b) => b.minute - a.minute);
    const traces: TraceSummary[] = [];
    let total = 0;
    const checkRoots = this.multiRootTraces > 0;
    for (const bucket of buckets) {
      bucket.sortRoots();
      const from = bucket.minute === loMinute ? bucket.lowerBound(offsetIn(bucket, lo)) : 0;
      const to = hi !== undefined && bucket.minute === hiMinute ? bucket.lowerBound(offsetIn(bucket, hi)) : bucket.rootCount;
      if (!checkRoots) total += Math.max(0, to - from);
      for (let k = to - 1; k >= from; k--) {
        const index = bucket.roots[k]!;
        if (checkRoots) {
          if (!this.isListedRoot(bucket, index, edge)) continue;
          total++;
        } else if (traces.length >= query.limit) {
          break;
        }
        if (traces.length < query.limit) traces.push(this.summaryOf(bucket, index, edge, edgeMinute));
      }
    }
    return { total, traces };
  }

  /** With several parentless spans in a trace, the earliest (ties by span_id) is its root. */
  private isListedRoot(bucket: SpanBucket, index: number, edge: Instant): boolean {
    const chunk = bucket.chunk(index);
    const rec = chunk.trace[index & SPAN_CHUNK_MASK]!;
    if (this.traces.chunkOf(rec).rootCount[TraceTable.offset(rec)]! <= 1) return true;
    let best: SpanPosition | undefined;
    for (const pos of this.heldSpansOf(rec, edge)) {
      const c = pos.bucket.chunk(pos.index);
      if ((c.flags[pos.index & SPAN_CHUNK_MASK]! & FLAG_HAS_PARENT) !== 0) continue;
      if (best === undefined || compareSpanPositions(pos, best) < 0) best = pos;
    }
    return best !== undefined && best.bucket === bucket && best.index === index;
  }

  /** Held spans of a trace with start >= edge, newest bucket first. */
  private heldSpansOf(rec: number, edge: Instant): SpanPosition[] {
    const out: SpanPosition[] = [];
    let ref = this.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
    while (ref !== NO_SPAN) {
      const pos = this.positionOf(ref);
      if (pos === undefined) break;
      const chunk = pos.bucket.chunk(pos.index);
      const at = pos.index & SPAN_CHUNK_MASK;
      if (chunk.startOffset[at]! >= offsetIn(pos.bucket, edge)) out.push(pos);
      ref = chunk.next[at]!;
    }
    return out;
  }

  private summaryOf(bucket: SpanBucket, index: number, edge: Instant, edgeMinute: number): TraceSummary {
    const chunk = bucket.chunk(index);
    const at = index & SPAN_CHUNK_MASK;
    const rec = chunk.trace[at]!;
    const traceChunk = this.traces.chunkOf(rec);
    const off = TraceTable.offset(rec);
    let spanCount = traceChunk.spanCount[off]!;
    let errors = traceChunk.errorCount[off]!;
    if (traceChunk.oldestMinute[off]! <= edgeMinute) {
      // Some spans may sit below the window edge or in released buckets: count exactly.
      const held = this.heldSpansOf(rec, edge);
      spanCount = held.length;
      errors = 0;
      for (const pos of held) {
        if ((pos.bucket.chunk(pos.index).flags[pos.index & SPAN_CHUNK_MASK]! & FLAG_ERROR) !== 0) errors++;
      }
    }
    const endpoint = chunk.endpoint[at]!;
    const start = this.startTextOf(bucket, index);
    const duration = chunk.duration[at]!;
    return {
      trace_id: uuidFromWords(traceChunk.idWords, off * 4),
      root_service: this.endpoints.services[endpoint]!,
      root_operation: this.endpoints.operations[endpoint]!,
      span_count: spanCount,
      duration_ms:
        duration === LONG_DURATION ? durationMsBetween(start, bucket.longEnds.get(index)!) : Math.floor(duration / 1_000_000),
      start_time: start,
      status: errors > 0 ? 'error' : 'ok',
    };
  }

  private startTextOf(bucket: SpanBucket, index: number): NsText {
    const offset = bucket.startOffsetOf(index);
    const whole = Math.floor(offset / NS_PER_SEC);
    return nsFromParts(bucket.startSec + whole, offset - whole * NS_PER_SEC);
  }

  getTrace(traceId: string): TraceDetail | undefined {
    const ids = new Uint32Array(4);
    writeUuidWords(traceId, ids, 0);
    const rec = this.traces.find(ids[0]!, ids[1]!, ids[2]!, ids[3]!);
    if (rec < 0) return undefined;
    const edge = windowEdge(this.clock.nowMs(), this.windowMinutes);
    const held = this.heldSpansOf(rec, edge);
    if (held.length === 0) return undefined;
    held.sort(compareSpanPositions);
    const canonicalId = uuidFromWords(this.traces.chunkOf(rec).idWords, TraceTable.offset(rec) * 4);
    return { trace_id: canonicalId, spans: held.map((pos) => this.spanAt(canonicalId, pos)) };
  }

  private spanAt(traceId: string, { bucket, index }: SpanPosition): StoredSpan {
    const chunk = bucket.chunk(index);
    const at = index & SPAN_CHUNK_MASK;
    const flags = chunk.flags[at]!;
    const endpoint = chunk.endpoint[at]!;
    const start = this.startTextOf(bucket, index);
    const duration = chunk.duration[at]!;
    let end: NsText;
    if (duration === LONG_DURATION) {
      end = bucket.longEnds.get(index)!;
    } else {
      const offsetEnd = bucket.startOffsetOf(index) + duration;
      const whole = Math.floor(offsetEnd / NS_PER_SEC);
      end = nsFromParts(bucket.startSec + whole, offsetEnd - whole * NS_PER_SEC);
    }
    // Built field by field in the contract's order (parent right after span_id).
    const span: Partial<StoredSpan> = { trace_id: traceId, span_id: uuidFromWords(chunk.spanId, at * 4) };
    if ((flags & FLAG_HAS_PARENT) !== 0) span.parent_span_id = uuidFromWords(chunk.parentId, at * 4);
    span.service = this.endpoints.services[endpoint]!;
    span.operation = this.endpoints.operations[endpoint]!;
    span.start_time = start;
    span.end_time = end;
    span.status = (flags & FLAG_ERROR) !== 0 ? 'error' : 'ok';
    const tags = bucket.tagsText(index);
    if (tags !== undefined) span.tags = JSON.parse(tags) as Record<string, string>;
    else if ((flags & FLAG_EMPTY_TAGS) !== 0) span.tags = {};
    return span as StoredSpan;
  }

  stats(): StoreStats {
    let buckets = this.releasing.length;
    for (const b of this.ring) if (b !== undefined) buckets++;
    return { spans: this.heldSpans, traces: this.traces.size, buckets };
  }

  /** Bytes held by typed arrays and buffers (columns, tag arenas, trace records, hash index). */
  columnBytes(): number {
    let bytes = this.traces.bytes();
    for (const b of this.ring) if (b !== undefined) bytes += b.bytes();
    for (const b of this.releasing) bytes += b.bytes();
    return bytes;
  }

  // ---- eviction -------------------------------------------------------------------------

  evict(): EvictionResult {
    const edge = windowEdge(this.clock.nowMs(), this.windowMinutes);
    const edgeMinute = Math.floor(edge.sec / 60) - this.baseMinute;
    for (let slot = 0; slot < this.ring.length; slot++) {
      const bucket = this.ring[slot];
      if (bucket !== undefined && bucket.minute < edgeMinute) this.detach(slot);
    }
    if (this.releasing.length > 1) this.releasing.sort((a, b) => a.minute - b.minute);
    let budget = this.releaseSlice;
    let evictedSpans = 0;
    while (budget > 0 && this.releasing.length > 0) {
      const bucket = this.releasing[0]!;
      const stop = Math.min(bucket.count, bucket.releaseCursor + budget);
      for (let index = bucket.releaseCursor; index < stop; index++) this.release(bucket, index);
      const done = stop - bucket.releaseCursor;
      bucket.releaseCursor = stop;
      budget -= done;
      evictedSpans += done;
      if (stop === bucket.count) this.releasing.shift();
    }
    return { evictedSpans, pending: this.releasing.length > 0 };
  }

  /** Takes a span of a detached bucket out of its trace's counters. */
  private release(bucket: SpanBucket, index: number): void {
    const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
    const at = index & SPAN_CHUNK_MASK;
    const rec = chunk.trace[at]!;
    const flags = chunk.flags[at]!;
    const traceChunk = this.traces.chunkOf(rec);
    const off = TraceTable.offset(rec);
    if ((flags & FLAG_ERROR) !== 0) traceChunk.errorCount[off]!--;
    if ((flags & FLAG_HAS_PARENT) === 0 && traceChunk.rootCount[off]!-- === 2) this.multiRootTraces--;
    const big = this.bigTraces.get(rec);
    if (big !== undefined) {
      const key = uuidFromWords(chunk.spanId, at * 4);
      if (big.get(key) === spanRef(bucket.minute, index)) big.delete(key);
    }
    this.heldSpans--;
    if (--traceChunk.spanCount[off]! === 0) {
      this.traces.remove(rec);
      this.bigTraces.delete(rec);
    }
  }
}

function instantBefore(a: Instant, b: Instant): boolean {
  return a.sec < b.sec || (a.sec === b.sec && a.nsec < b.nsec);
}

/** Nanoseconds from the start of a bucket's minute to an instant (negative when before it). */
function offsetIn(bucket: SpanBucket, t: Instant): number {
  return (t.sec - bucket.startSec) * NS_PER_SEC + t.nsec;
}

function compareSpanPositions(a: SpanPosition, b: SpanPosition): number {
  if (a.bucket !== b.bucket) return a.bucket.minute - b.bucket.minute;
  const ca = a.bucket.chunk(a.index);
  const cb = b.bucket.chunk(b.index);
  const ia = a.index & SPAN_CHUNK_MASK;
  const ib = b.index & SPAN_CHUNK_MASK;
  const d = ca.startOffset[ia]! - cb.startOffset[ib]!;
  if (d !== 0) return d;
  for (let k = 0; k < 4; k++) {
    const wa = ca.spanId[ia * 4 + k]!;
    const wb = cb.spanId[ib * 4 + k]!;
    if (wa !== wb) return wa - wb;
  }
  return 0;
}
