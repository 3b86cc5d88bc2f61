// The span writer: the bucket store's apply(). Each span of a batch is placed in the window,
// checked against its trace for a duplicate, written into the columns of its minute's bucket,
// linked into its trace's chain, and folded into what search and statistics read: root words
// (root-words.ts), tag index, latency per endpoint, dependency edges.
//
// This is the ingest hot path. It allocates nothing per span: the state of the span being
// stored and what its chain walk found live in reused fields, refs are computed where they are
// used, and the walk's loop has its helper arithmetic written out (scanChain says why).

import * as spanBatch from '../../ingest/span-batch.js';
import type { SpanBatch } from '../../ingest/span-batch.js';
import type { Clock } from '../../time/clock.js';
import * as nanos from '../../time/nanos.js';
import type { IngestResult } from '../trace-store.js';
import * as windowPlacement from '../window.js';
import { futureLimit, windowEdge, windowPlace, type Instant } from '../window.js';
import { indexBigTrace, pushTo } from './big-traces.js';
import type { BigTrace } from './store-state.js';
import type { BlockPool } from './block-pool.js';
import type { EndpointTable } from './endpoint-table.js';
import type { MinuteRing } from './minute-ring.js';
import { initRootWords, markMulti, updateRoots } from './root-words.js';
import type { SpanBucket } from './span-bucket.js';
import * as spanRef from './span-ref.js';
import { RefList } from './span-ref.js';
import type { StoreState } from './store-state.js';
import { TagIndex } from './tag-index.js';
import { TraceTable } from './trace-table.js';
import * as wordLayout from './word-layout.js';

// Module-local copies of constants read per span (src/store/README.md: "Constants in hot code").
const { ID_WORDS, SPAN_ERROR, SPAN_HAS_PARENT, TIME_FIELDS } = spanBatch;
const { NS_PER_SEC } = nanos;
const { FUTURE, IN_WINDOW, STALE } = windowPlacement;
const { NO_SPAN, SPANS_PER_BUCKET_LIMIT } = spanRef;
const { FLAG_EMPTY_TAGS, FLAG_ERROR, FLAG_HAS_PARENT, FLAG_LINKED, LONG_DURATION, ROOT_BLOOM, ROOT_OPERATIONS, ROOT_SERVICES, ROOT_STATE, SPAN_CHUNK_BITS, SPAN_CHUNK_MASK, STATE_ERROR } = wordLayout;

/** Past this many spans a trace gets a span-id index instead of chain walks for duplicates. */
const BIG_TRACE_SPANS = 64;

export class SpanWriter {
  // The shared state's parts, held here too so that the per-span code reads one field, as before.
  private readonly clock: Clock;
  private readonly windowMinutes: number;
  private readonly baseMinute: number;
  private readonly pool: BlockPool;
  private readonly traces: TraceTable;
  private readonly endpoints: EndpointTable;
  private readonly minutes: MinuteRing;
  private readonly bigTraces: Map<number, BigTrace>;
  private readonly bigTraceSpans: number;
  /** Trace id words [0, 4), span id [4, 8), parent id [8, 12) of the span being stored. */
  private readonly ids = new Uint32Array(12);
  // What the duplicate walk found besides duplicates; reused so that ingest allocates nothing.
  /** Record and id words of the trace of the span stored last in the current apply() call. */
  private lastRec = -1;
  private readonly lastTrace = new Uint32Array(4);
  private readonly foundRoots = new RefList();
  private readonly foundWaiting = new RefList();
  private foundParent = NO_SPAN;

  constructor(
    private readonly state: StoreState,
    /** Spans past which a trace gets a span-id index for duplicate checks (tests lower it). */
    bigTraceSpans: number | undefined,
  ) {
    this.clock = state.clock;
    this.windowMinutes = state.windowMinutes;
    this.baseMinute = state.minutes.baseMinute;
    this.pool = state.pool;
    this.traces = state.traces;
    this.endpoints = state.endpoints;
    this.minutes = state.minutes;
    this.bigTraces = state.bigTraces;
    this.bigTraceSpans = bigTraceSpans ?? BIG_TRACE_SPANS;
  }

  apply(batch: SpanBatch): IngestResult {
    const now = this.clock.nowMs();
    const edge = windowEdge(now, this.windowMinutes);
    const future = futureLimit(now);
    const result: IngestResult = { accepted: 0, duplicates: 0, discardedStale: 0, discardedFuture: 0 };
    const times = batch.times;
    // Records are freed only by evict(), never during a call like this one.
    this.lastRec = -1;
    for (let i = 0; i < batch.length; i++) {
      const place = windowPlace(batch, i, edge, future);
      if (place === STALE) {
        result.discardedStale++;
        continue;
      }
      if (place === FUTURE) {
        result.discardedFuture++;
        continue;
      }
      result.accepted++;
      if (!this.store(batch, i, times[i * TIME_FIELDS]!, times[i * TIME_FIELDS + 1]!, edge)) result.duplicates++;
    }
    return result;
  }

  recordUnsampled(batch: SpanBatch): void {
    const now = this.clock.nowMs();
    const edge = windowEdge(now, this.windowMinutes);
    const future = futureLimit(now);
    for (let i = 0; i < batch.length; i++) {
      if (windowPlace(batch, i, edge, future) !== IN_WINDOW) continue;
      const absMinute = Math.floor(batch.times[i * TIME_FIELDS]! / 60);
      const bucket = this.minutes.bucketFor(absMinute - this.baseMinute, absMinute);
      const endpoint = this.endpoints.intern(batch.services[i]!, batch.operations[i]!);
      if (bucket.addLatency(endpoint, batch.durationNs(i), (batch.flags[i]! & SPAN_ERROR) !== 0)) this.endpoints.retain(endpoint);
    }
  }

  /** Stores span i of the batch, in the window; false when the trace already holds its span_id. */
  private store(batch: SpanBatch, i: number, sec: number, nsec: number, edge: Instant): boolean {
    const absMinute = Math.floor(sec / 60);
    const minute = absMinute - this.baseMinute;
    const ids = this.ids;
    const words = batch.ids;
    for (let k = 0, o = i * ID_WORDS; k < ID_WORDS; k++) ids[k] = words[o + k]!;
    const spanFlags = batch.flags[i]!;
    const hasParent = (spanFlags & SPAN_HAS_PARENT) !== 0;
    const error = (spanFlags & SPAN_ERROR) !== 0;
    const traces = this.traces;
    this.foundRoots.clear();
    this.foundWaiting.clear();
    this.foundParent = NO_SPAN;
    let rec: number;
    // Spans of one trace tend to travel together: the previous span's record saves a lookup in a
    // table of millions (a cache miss or two).
    if (this.lastRec >= 0 && ids[0] === this.lastTrace[0] && ids[1] === this.lastTrace[1] && ids[2] === this.lastTrace[2] && ids[3] === this.lastTrace[3]) {
      rec = this.lastRec;
    } else {
      rec = traces.find(ids[0]!, ids[1]!, ids[2]!, ids[3]!);
    }
    const fresh = rec < 0;
    // Most stores hold no big trace: skip the map lookup then.
    const big = fresh || this.bigTraces.size === 0 ? undefined : this.bigTraces.get(rec);
    if (fresh) rec = traces.insert(ids[0]!, ids[1]!, ids[2]!, ids[3]!);
    this.lastRec = rec;
    for (let k = 0; k < 4; k++) this.lastTrace[k] = ids[k]!;
    if (!fresh && (big !== undefined ? this.scanBigTrace(big, batch, i, edge) : this.scanChain(rec, edge, hasParent))) return false;

    const bucket = this.minutes.bucketFor(minute, absMinute);
    const index = bucket.append();
    const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
    const at = index & SPAN_CHUNK_MASK;
    const sid = chunk.spanId;
    sid[at * 4] = ids[4]!;
    sid[at * 4 + 1] = ids[5]!;
    sid[at * 4 + 2] = ids[6]!;
    sid[at * 4 + 3] = ids[7]!;
    let flags = error ? FLAG_ERROR : 0;
    if (hasParent) {
      flags |= FLAG_HAS_PARENT;
      const pid = chunk.parentId;
      pid[at * 4] = ids[8]!;
      pid[at * 4 + 1] = ids[9]!;
      pid[at * 4 + 2] = ids[10]!;
      pid[at * 4 + 3] = ids[11]!;
    }
    const tagsJson = batch.tagsJson[i];
    if (tagsJson === null) {
      // The text is in the request body (span-batch.ts): copied from there, never made a string.
      const from = batch.tagsAt[2 * i]!;
      const to = batch.tagsAt[2 * i + 1]!;
      if (to - from === 2) flags |= FLAG_EMPTY_TAGS;
      else {
        bucket.setTagBytes(index, batch.bodyView!, from, to);
        this.indexTags(bucket, index, batch, i);
      }
    } else if (tagsJson !== undefined) {
      if (tagsJson === '{}') flags |= FLAG_EMPTY_TAGS;
      else {
        bucket.setTags(index, tagsJson);
        this.indexTags(bucket, index, batch, i);
      }
    }
    chunk.trace[at] = rec;
    const endpoint = this.endpoints.intern(batch.services[i]!, batch.operations[i]!);
    chunk.endpoint[at] = endpoint;
    const startOffset = (sec - absMinute * 60) * NS_PER_SEC + nsec;
    chunk.startOffset[at] = startOffset;
    const durationNs = batch.durationNs(i);
    // Only a few seconds fit 32 bits of nanoseconds; longer spans keep their end exactly.
    if (durationNs < LONG_DURATION) {
      chunk.duration[at] = durationNs;
    } else {
      chunk.duration[at] = LONG_DURATION;
      bucket.longEnds.set(index, batch.endText(i));
    }
    if (bucket.addLatency(endpoint, durationNs, error)) this.endpoints.retain(endpoint);

    // Dependency edges: with the parent, when held; with children that were waiting for this span.
    const serviceId = this.endpoints.serviceOf[endpoint]!;
    const parentRef = this.foundParent;
    if (parentRef !== NO_SPAN) {
      flags |= FLAG_LINKED;
      // The walk found the parent in a live bucket (checked again all the same: one comparison).
      const parentMinute = Math.floor(parentRef / SPANS_PER_BUCKET_LIMIT);
      const parentIndex = parentRef - parentMinute * SPANS_PER_BUCKET_LIMIT;
      const parentBucket = this.minutes.bucketAt(parentMinute);
      if (parentBucket !== undefined) {
        const parentChunk = parentBucket.chunks[parentIndex >>> SPAN_CHUNK_BITS]!;
        const parentService = this.endpoints.serviceOf[parentChunk.endpoint[parentIndex & SPAN_CHUNK_MASK]!]!;
        if (parentService !== serviceId) this.addEdge(bucket, parentService, serviceId, durationNs, error);
      }
    }
    chunk.flags[at] = flags;
    for (let k = 0; k < this.foundWaiting.length; k++) {
      // Waiting children are in the window, so in live buckets (ref arithmetic written out, as in scanChain).
      const childRef = this.foundWaiting.items[k]!;
      const childMinute = Math.floor(childRef / SPANS_PER_BUCKET_LIMIT);
      const childBucket = this.minutes.bucketAt(childMinute);
      if (childBucket !== undefined) {
        this.linkChild(childBucket, childRef - childMinute * SPANS_PER_BUCKET_LIMIT, serviceId);
      }
    }

    // Refs pass 2^31: made here, from small integers, rather than passed into calls as boxed doubles.
    const ref = minute * SPANS_PER_BUCKET_LIMIT + index;
    const traceChunk = traces.chunkOf(rec);
    const off = TraceTable.offset(rec);
    this.linkIntoChain(traceChunk.head, off, minute, index, chunk.next, at);
    const count = ++traceChunk.spanCount[off]!;
    if (error) traceChunk.errorCount[off]!++;

    // Before the root words: a root arriving into a big trace looks its children's parents up here.
    if (big !== undefined) {
      const spanId = batch.spanIdText(i);
      big.spans.set(spanId, ref);
      if (!hasParent) big.roots.push(ref);
      else if (this.foundParent === NO_SPAN) pushTo(big.waiting, batch.parentIdText(i)!, ref);
      big.waiting.delete(spanId);
    }
    if (!hasParent) {
      const roots = ++traceChunk.rootCount[off]!;
      if (roots === 2) this.state.multiRootTraces++;
      bucket.addRoot(index);
      if (fresh) {
        const o = at * 4;
        const words = chunk.parentId;
        words[o + ROOT_SERVICES] = this.endpoints.serviceBit[endpoint]!;
        words[o + ROOT_OPERATIONS] = this.endpoints.operationBit[endpoint]!;
        words[o + ROOT_BLOOM] = this.endpoints.bloomBits[endpoint]!;
        words[o + ROOT_STATE] = error ? STATE_ERROR : 0;
      } else {
        initRootWords(this.state, bucket, index, rec, big);
      }
      if (roots >= 2) {
        markMulti(bucket, index);
        for (let k = 0; k < this.foundRoots.length; k++) {
          const pos = this.minutes.positionOf(this.foundRoots.items[k]!);
          if (pos !== undefined) markMulti(pos.bucket, pos.index);
        }
      }
    } else if (this.foundRoots.length > 0) {
      const selfParent = ids[4] === ids[8] && ids[5] === ids[9] && ids[6] === ids[10] && ids[7] === ids[11];
      const missingDelta = (this.foundParent === NO_SPAN && !selfParent ? 1 : 0) - this.foundWaiting.length;
      updateRoots(this.state, this.foundRoots, endpoint, error, bucket, index, missingDelta);
    }
    if (big === undefined && count > this.bigTraceSpans) indexBigTrace(this.state, rec);

    this.state.heldSpans++;
    return true;
  }

  /** Adds the tag pairs of span i of the batch, stored as span `index` of the bucket, to its index. */
  private indexTags(bucket: SpanBucket, index: number, batch: SpanBatch, i: number): void {
    const tagIndex = (bucket.tagIndex ??= new TagIndex(this.pool));
    const hashes = batch.tagHashes;
    for (let h = i === 0 ? 0 : batch.tagEnds[i - 1]!, end = batch.tagEnds[i]!; h < end; h++) tagIndex.add(hashes[h]!, index);
  }

  /** Counts a call in the child's bucket, which then holds both service names. */
  private addEdge(bucket: SpanBucket, parentService: number, childService: number, durationNs: number, error: boolean): void {
    if (!bucket.addEdge(parentService, childService, durationNs, error)) return;
    this.endpoints.retainService(parentService);
    this.endpoints.retainService(childService);
  }

  /** Counts the edge of a child (span `index` of `bucket`) that was waiting for the span just stored (service `parentService`). */
  private linkChild(bucket: SpanBucket, index: number, parentService: number): void {
    const chunk = bucket.chunk(index);
    const at = index & SPAN_CHUNK_MASK;
    const flags = chunk.flags[at]!;
    if ((flags & FLAG_LINKED) !== 0) return;
    chunk.flags[at] = flags | FLAG_LINKED;
    const childService = this.endpoints.serviceOf[chunk.endpoint[at]!]!;
    if (childService !== parentService) {
      this.addEdge(bucket, parentService, childService, bucket.durationNs(index), (flags & FLAG_ERROR) !== 0);
    }
  }

  /** Inserts span `index` of `minute`'s bucket into the trace's chain, which is ordered newest minute first. */
  private linkIntoChain(heads: Float64Array, off: number, minute: number, index: number, next: Float64Array, at: number): void {
    const ref = minute * SPANS_PER_BUCKET_LIMIT + index;
    const head = heads[off]!;
    if (head === NO_SPAN || Math.floor(head / SPANS_PER_BUCKET_LIMIT) <= minute) {
      next[at] = head;
      heads[off] = ref;
      return;
    }
    // Rare: a span older than the trace's newest (clock skew, late delivery). Walk to its place.
    let prev = this.minutes.positionOf(head)!;
    for (;;) {
      const prevChunk = prev.bucket.chunks[prev.index >>> SPAN_CHUNK_BITS]!;
      const following = prevChunk.next[prev.index & SPAN_CHUNK_MASK]!;
      const followingPos = following === NO_SPAN ? undefined : this.minutes.positionOf(following);
      if (followingPos === undefined || followingPos.bucket.minute <= minute) {
        next[at] = following;
        prevChunk.next[prev.index & SPAN_CHUNK_MASK] = ref;
        return;
      }
      prev = followingPos;
    }
  }

  /**
   * The walk of a small trace's chain before a span is stored: true when the trace holds its
   * span id inside the window (a duplicate). Otherwise it leaves in foundRoots the parentless
   * spans, in foundParent the parent (held in the window), and in foundWaiting the spans in the
   * window naming this span as their parent.
   */
  private scanChain(rec: number, edge: Instant, hasParent: boolean): boolean {
    const ids = this.ids;
    const w0 = ids[4]!;
    const w1 = ids[5]!;
    const w2 = ids[6]!;
    const w3 = ids[7]!;
    const p0 = ids[8]!;
    const p1 = ids[9]!;
    const p2 = ids[10]!;
    const p3 = ids[11]!;
    let ref = this.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
    while (ref !== NO_SPAN) {
      // refMinute(), refIndex() and bucket.offsetOf() written out: this loop runs for every child
      // span ingested, and a call that V8 does not inline boxes each double it passes or returns
      // (refs and nanosecond offsets are beyond small integers): that was ~100 bytes of garbage
      // a span. bucketAt() takes a small integer.
      const minute = Math.floor(ref / SPANS_PER_BUCKET_LIMIT);
      const bucket = this.minutes.bucketAt(minute);
      if (bucket === undefined) return false;
      const index = ref - minute * SPANS_PER_BUCKET_LIMIT;
      const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
      const at = index & SPAN_CHUNK_MASK;
      const inWindow = chunk.startOffset[at]! >= (edge.sec - bucket.startSec) * NS_PER_SEC + edge.nsec;
      const sid = chunk.spanId;
      const s = at * 4;
      if (sid[s] === w0 && sid[s + 1] === w1 && sid[s + 2] === w2 && sid[s + 3] === w3) {
        // A copy below the window edge has aged out: the span is new again.
        if (inWindow) return true;
      }
      if ((chunk.flags[at]! & FLAG_HAS_PARENT) === 0) {
        this.foundRoots.push(ref);
      } else {
        const pid = chunk.parentId;
        if (inWindow && pid[s] === w0 && pid[s + 1] === w1 && pid[s + 2] === w2 && pid[s + 3] === w3) {
          this.foundWaiting.push(ref);
        }
      }
      if (inWindow && hasParent && sid[s] === p0 && sid[s + 1] === p1 && sid[s + 2] === p2 && sid[s + 3] === p3) {
        this.foundParent = ref;
      }
      ref = chunk.next[at]!;
    }
    return false;
  }

  /** scanChain for a trace with a span-id index. */
  private scanBigTrace(big: BigTrace, batch: SpanBatch, i: number, edge: Instant): boolean {
    const spanId = batch.spanIdText(i);
    const own = big.spans.get(spanId);
    if (own !== undefined && this.inWindow(own, edge)) return true;
    for (const r of big.roots) if (this.minutes.positionOf(r) !== undefined) this.foundRoots.push(r);
    const parentSpanId = batch.parentIdText(i);
    if (parentSpanId !== undefined) {
      const parent = big.spans.get(parentSpanId);
      if (parent !== undefined && this.inWindow(parent, edge)) this.foundParent = parent;
    }
    for (const w of big.waiting.get(spanId) ?? []) if (this.inWindow(w, edge)) this.foundWaiting.push(w);
    return false;
  }

  private inWindow(ref: number, edge: Instant): boolean {
    const pos = this.minutes.positionOf(ref);
    return pos !== undefined && pos.bucket.startOffsetOf(pos.index) >= pos.bucket.offsetOf(edge);
  }
}
