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
// - Every root span carries its trace's search summary in its unused parent-id words (root words,
//   span-bucket.ts): service and operation masks, error, count of spans whose parent is missing.
//   They are maintained as spans arrive: a child finds the roots on the chain walk that ingest
//   does anyway (for duplicates); a root arriving after children walks the chain once.
// - A root without STATE_EARLY has every span of its trace at or after its own start, so while
//   the root is in the window every span is, and nothing of the trace has been released: its
//   root words and its trace counters (spans, errors) are exact. With STATE_EARLY or STATE_MULTI
//   queries recompute the trace from its spans with the exact edge (factsOf).
// - Search reads a per-bucket summary (span-bucket.ts): 8 bytes per root in sorted order, derived
//   from the root words and refreshed before a scan only where roots moved or their words
//   changed. Buckets whose rows all decide from the summary are counted without branches, and
//   keep those counts per filter until their summary changes. Tag filters start instead from
//   the spans holding the tag (the bucket's tag index), so they cost what the tag matches.
// - Statistics (latency per endpoint, dependency edges) are kept per bucket and leave with it.

import { ID_WORDS, SPAN_ERROR, SPAN_HAS_PARENT, TIME_FIELDS, type SpanBatch } from '../../ingest/span-batch.js';
import type { Clock } from '../../time/clock.js';
import { durationMsBetween, NS_PER_SEC, nsFromParts, secondsOf, subsecondNanosOf, type NsText } from '../../time/nanos.js';
import { LatencyStats } from '../sketch.js';
import { traceTree } from '../trace-tree.js';
import type {
  DependencyLink,
  DependencyReport,
  EndpointLatency,
  EvictionResult,
  IngestResult,
  LatencyReport,
  ListPosition,
  ListQuery,
  RangeQuery,
  StoredSpan,
  StoreStats,
  TraceDetail,
  TraceFilter,
  TraceList,
  TraceStore,
  TraceSummary,
} from '../trace-store.js';
import { compareText } from '../compare-text.js';
import { FUTURE, futureLimit, IN_WINDOW, minuteStartNs, STALE, statsWindow, windowEdge, windowPlace, type Instant } from '../window.js';
import { EndpointTable, exactBit, operationBloomBit, serviceBloomBit } from './endpoint-table.js';
import {
  EDGE_KEY_FACTOR,
  FLAG_EMPTY_TAGS,
  FLAG_ERROR,
  FLAG_HAS_PARENT,
  FLAG_LINKED,
  LONG_DURATION,
  ROOT_BLOOM,
  ROOT_OPERATIONS,
  ROOT_SERVICES,
  ROOT_STATE,
  SPAN_CHUNK_BITS,
  SPAN_CHUNK_MASK,
  SpanBucket,
  STATE_EARLY,
  STATE_ERROR,
  STATE_MISSING_MASK,
  STATE_MULTI,
  SUMMARY_BLOOM,
  SUMMARY_DURATION_MASK,
  SUMMARY_ERROR,
  SUMMARY_PARTIAL,
  SUMMARY_RECOMPUTE,
  SUMMARY_ROOT_SERVICE_MASK,
  SUMMARY_ROOT_SERVICE_SHIFT,
} from './span-bucket.js';
import { NO_SPAN, RefList, refIndex, refMinute, SPANS_PER_BUCKET_LIMIT, spanRef } from './span-ref.js';
import { TagIndex, tagHash } from './tag-index.js';
import { TraceTable } from './trace-table.js';
import { BlockPool } from './block-pool.js';
import { uuidFromWords, writeUuidWords } from './uuid-words.js';

export interface BucketStoreOptions {
  clock: Clock;
  windowMinutes: number;
  /** Spans whose counters one evict() call releases at most; bounds the pause. */
  releaseSliceSpans?: number;
  /** Spans past which a trace gets a span-id index for duplicate checks (tests lower it). */
  bigTraceSpans?: number;
  /** Root ranges at least this long keep their search counts between scans (tests lower it). */
  countCacheRows?: number;
  /** Distinct (service, operation) pairs held at most (endpoint-table.ts); unbounded when unset. */
  maxEndpoints?: number;
  /**
   * Spans and rows one search may examine outside the summary scan before it stops with an
   * incomplete answer (QUERY_SCAN_BUDGET); unbounded when unset.
   */
  scanBudget?: number;
}

/** Past this many spans a trace gets a span-id index instead of chain walks for duplicates. */
const BIG_TRACE_SPANS = 64;
/** Shorter root ranges are counted again rather than looked up. */
const COUNT_CACHE_ROWS = 4096;
/** Services and operation names with a bit in the search summary's first word (16 each). */
const SUMMARY_NAMES = 16;
/** Root-word states that send a row to factsOf. */
const STATE_RECOMPUTE = (STATE_EARLY | STATE_MULTI) >>> 0;

/** Position of a held span. */
interface SpanPosition {
  bucket: SpanBucket;
  index: number;
}

/** What the walk of a big trace would find, from maps instead (traces past bigTraceSpans). */
interface BigTrace {
  /** Newest copy of each span id. */
  spans: Map<string, number>;
  /** Refs of parentless spans. */
  roots: number[];
  /** Refs of spans not yet linked to their parent, by parent span id. */
  waiting: Map<string, number[]>;
}

/** A trace recomputed from its spans in the window. */
interface TraceFacts {
  spans: SpanPosition[];
  /** The earliest parentless span (ties by span_id): the one the listing shows. */
  root: SpanPosition | undefined;
  errors: number;
  services: Set<number>;
  operations: Set<number>;
  partial: boolean;
}

/** A TraceFilter with names resolved to ids and mask bits, for the row scan. */
interface CompiledFilter {
  /** Names no span ever had: nothing matches. */
  impossible: boolean;
  serviceId: number;
  serviceBit: number;
  serviceBloom: number;
  operationId: number;
  operationBit: number;
  operationBloom: number;
  rootServiceId: number;
  /** 0: any, 1: ok, 2: error. */
  status: number;
  /** 0: any, 1: false, 2: true. */
  partial: number;
  hasDuration: boolean;
  minMs: number;
  maxMs: number;
  /** Duration bounds in ns for the short-duration column: [minNs, maxNsExclusive). */
  minNs: number;
  maxNsExclusive: number;
  /** Trace records holding every tag pair, when tags are asked for. */
  tagRecords: Set<number> | undefined;
  /** Bits the summary's first word must hold: service and operation ids below SUMMARY_NAMES. */
  summaryNames: number;
  /** The summary cannot decide: a service or operation id of SUMMARY_NAMES or more. */
  needsRootWords: boolean;
}

/** A cursor resolved against the store's minutes. */
interface CursorAt {
  minute: number;
  offset: number;
  ids: Uint32Array;
}

export class BucketStore implements TraceStore {
  private readonly clock: Clock;
  private readonly windowMinutes: number;
  private readonly releaseSlice: number;
  private readonly bigTraceSpans: number;
  private readonly countCacheRows: number;
  private readonly scanBudget: number;
  /**
   * Work of the current search beyond the summary: spans read from chains and tag text, rows
   * tested from their root words. Past scanBudget the search stops. A row that the summary
   * decides costs a few ns and is not counted, so a listing without filters is never cut.
   */
  private scanWork = 0;
  /** scanBudget for a search with filters, unbounded for the plain listing. */
  private searchBudget = Number.POSITIVE_INFINITY;
  /** Most scan work any one search has done (tests read it against the budget). */
  maxScanWork = 0;
  /** Memory for the columns of buckets, tag indexes and trace records (block-pool.ts). */
  private readonly pool = new BlockPool();
  private readonly traces = new TraceTable(this.pool);
  private readonly endpoints: EndpointTable;
  /** Unix minute that store-relative minute 0 stands for. */
  private readonly baseMinute: number;
  /** Live buckets by relative minute modulo the ring size. */
  private ring: Array<SpanBucket | undefined>;
  /** Detached buckets whose spans' counters are still to be released, oldest first. */
  private readonly releasing: SpanBucket[] = [];
  private heldSpans = 0;
  /** Traces holding more than one parentless span; while > 0, listings check each root. */
  private multiRootTraces = 0;
  private readonly bigTraces = new Map<number, BigTrace>();
  /** servicesOfMask's sorted service names by exact mask. */
  private readonly servicesByMask = new Map<number, string[]>();
  /** Trace id words [0, 4), span id [4, 8), parent id [8, 12) of the span being stored. */
  private readonly ids = new Uint32Array(12);
  // What the duplicate walk found besides duplicates; reused so that ingest allocates nothing.
  /** Record and id words of the trace of the span stored last in the current apply() call. */
  private lastRec = -1;
  private readonly lastTrace = new Uint32Array(4);
  private readonly foundRoots = new RefList();
  private readonly foundWaiting = new RefList();
  private foundParent = NO_SPAN;

  constructor(options: BucketStoreOptions) {
    this.clock = options.clock;
    this.windowMinutes = options.windowMinutes;
    // 20k spans release in about 2–4 ms, keeping eviction's share of any pause small.
    this.releaseSlice = options.releaseSliceSpans ?? 20_000;
    this.bigTraceSpans = options.bigTraceSpans ?? BIG_TRACE_SPANS;
    this.countCacheRows = options.countCacheRows ?? COUNT_CACHE_ROWS;
    this.endpoints = new EndpointTable(options.maxEndpoints);
    this.scanBudget = options.scanBudget ?? Number.POSITIVE_INFINITY;
    // Relative minutes stay positive even if the wall clock steps back (by up to 2^24 minutes, 31
    // years), and refs stay below 2^53 for as long forward (span-ref.ts).
    this.baseMinute = Math.floor(options.clock.nowMs() / 60_000) - options.windowMinutes - 2 - 2 ** 24;
    // Window + the five accepted future minutes + slack: a slot is reused only once its
    // previous minute has left the window (bucketFor grows the ring when a clock step breaks that).
    this.ring = new Array(options.windowMinutes + 10).fill(undefined);
  }

  // ---- ingest ---------------------------------------------------------------------------

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
      const bucket = this.bucketFor(absMinute - this.baseMinute, absMinute);
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

    const bucket = this.bucketFor(minute, absMinute);
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
      const parentBucket = this.bucketAt(parentMinute);
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
      const childBucket = this.bucketAt(childMinute);
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
      if (roots === 2) this.multiRootTraces++;
      bucket.addRoot(index);
      if (fresh) {
        const o = at * 4;
        const words = chunk.parentId;
        words[o + ROOT_SERVICES] = this.endpoints.serviceBit[endpoint]!;
        words[o + ROOT_OPERATIONS] = this.endpoints.operationBit[endpoint]!;
        words[o + ROOT_BLOOM] = this.endpoints.bloomBits[endpoint]!;
        words[o + ROOT_STATE] = error ? STATE_ERROR : 0;
      } else {
        this.initRootWords(bucket, index, rec, big);
      }
      if (roots >= 2) {
        markMulti(bucket, index);
        for (let k = 0; k < this.foundRoots.length; k++) {
          const pos = this.positionOf(this.foundRoots.items[k]!);
          if (pos !== undefined) markMulti(pos.bucket, pos.index);
        }
      }
    } else if (this.foundRoots.length > 0) {
      const selfParent = ids[4] === ids[8] && ids[5] === ids[9] && ids[6] === ids[10] && ids[7] === ids[11];
      const missingDelta = (this.foundParent === NO_SPAN && !selfParent ? 1 : 0) - this.foundWaiting.length;
      this.updateRoots(endpoint, error, bucket, index, missingDelta);
    }
    if (big === undefined && count > this.bigTraceSpans) this.indexBigTrace(rec);

    this.heldSpans++;
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
      this.addEdge(bucket, parentService, childService, this.durationNsAt({ bucket, index }), (flags & FLAG_ERROR) !== 0);
    }
  }

  /** Folds a new child, span `childIndex` of `childBucket`, into the root words of the roots its walk found. */
  private updateRoots(endpoint: number, error: boolean, childBucket: SpanBucket, childIndex: number, missingDelta: number): void {
    const svc = this.endpoints.serviceBit[endpoint]!;
    const op = this.endpoints.operationBit[endpoint]!;
    const bloom = this.endpoints.bloomBits[endpoint]!;
    const minute = childBucket.minute;
    const startOffset = childBucket.startOffsetOf(childIndex);
    const roots = this.foundRoots;
    for (let k = 0; k < roots.length; k++) {
      // Ref arithmetic written out (see scanChain). Creating this span's bucket may have
      // detached a stale one the walk still saw.
      const r = roots.items[k]!;
      const rootMinute = Math.floor(r / SPANS_PER_BUCKET_LIMIT);
      const rootBucket = this.bucketAt(rootMinute);
      if (rootBucket === undefined) continue;
      const rootIndex = r - rootMinute * SPANS_PER_BUCKET_LIMIT;
      const chunk = rootBucket.chunk(rootIndex);
      const at = rootIndex & SPAN_CHUNK_MASK;
      const words = chunk.parentId;
      const o = at * 4;
      words[o + ROOT_SERVICES] = words[o + ROOT_SERVICES]! | svc;
      words[o + ROOT_OPERATIONS] = words[o + ROOT_OPERATIONS]! | op;
      words[o + ROOT_BLOOM] = words[o + ROOT_BLOOM]! | bloom;
      let state = words[o + ROOT_STATE]!;
      if (error) state |= STATE_ERROR;
      if (minute < rootBucket.minute || (minute === rootBucket.minute && startOffset < chunk.startOffset[at]!)) state |= STATE_EARLY;
      const missing = Math.min(STATE_MISSING_MASK, Math.max(0, (state & STATE_MISSING_MASK) + missingDelta));
      words[o + ROOT_STATE] = ((state & ~STATE_MISSING_MASK) | missing) >>> 0;
      rootBucket.rootWordsChanged(rootIndex);
    }
  }

  /** Root words of a root that arrives after other spans of its trace: one walk of the chain. */
  private initRootWords(bucket: SpanBucket, index: number, rec: number, big: BigTrace | undefined): void {
    const chunk = bucket.chunk(index);
    const at = index & SPAN_CHUNK_MASK;
    const rootOffset = chunk.startOffset[at]!;
    let svc = 0;
    let op = 0;
    let bloom = 0;
    let state = 0;
    const held: SpanPosition[] = [];
    let ref = this.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
    while (ref !== NO_SPAN) {
      const pos = this.positionOf(ref);
      if (pos === undefined) {
        // Older spans have left the window: they started before this root.
        state |= STATE_EARLY;
        break;
      }
      held.push(pos);
      const c = pos.bucket.chunk(pos.index);
      const a = pos.index & SPAN_CHUNK_MASK;
      const e = c.endpoint[a]!;
      svc |= this.endpoints.serviceBit[e]!;
      op |= this.endpoints.operationBit[e]!;
      bloom |= this.endpoints.bloomBits[e]!;
      if ((c.flags[a]! & FLAG_ERROR) !== 0) state |= STATE_ERROR;
      if (pos.bucket.minute < bucket.minute || (pos.bucket === bucket && c.startOffset[a]! < rootOffset)) state |= STATE_EARLY;
      ref = c.next[a]!;
    }
    let missing = 0;
    for (const pos of held) {
      const c = pos.bucket.chunk(pos.index);
      const a = pos.index & SPAN_CHUNK_MASK;
      if ((c.flags[a]! & FLAG_HAS_PARENT) === 0) continue;
      let present: boolean;
      if (big !== undefined) {
        const parentRef = big.spans.get(uuidFromWords(c.parentId, a * 4));
        present = parentRef !== undefined && this.positionOf(parentRef) !== undefined;
      } else {
        present = held.some((p) => sameWords(p.bucket.chunk(p.index).spanId, (p.index & SPAN_CHUNK_MASK) * 4, c.parentId, a * 4));
      }
      if (!present) missing++;
    }
    const o = at * 4;
    const words = chunk.parentId;
    words[o + ROOT_SERVICES] = svc >>> 0;
    words[o + ROOT_OPERATIONS] = op >>> 0;
    words[o + ROOT_BLOOM] = bloom >>> 0;
    words[o + ROOT_STATE] = (state | Math.min(missing, STATE_MISSING_MASK)) >>> 0;
    bucket.rootWordsChanged(index);
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
      // refMinute(), refIndex() and offsetIn() written out: this loop runs for every child span
      // ingested, and a call that V8 does not inline boxes each double it passes or returns
      // (refs and nanosecond offsets are beyond small integers): that was ~100 bytes of garbage
      // a span. bucketAt() takes a small integer.
      const minute = Math.floor(ref / SPANS_PER_BUCKET_LIMIT);
      const bucket = this.bucketAt(minute);
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
    for (const r of big.roots) if (this.positionOf(r) !== undefined) this.foundRoots.push(r);
    const parentSpanId = batch.parentIdText(i);
    if (parentSpanId !== undefined) {
      const parent = big.spans.get(parentSpanId);
      if (parent !== undefined && this.inWindow(parent, edge)) this.foundParent = parent;
    }
    for (const w of big.waiting.get(spanId) ?? []) if (this.inWindow(w, edge)) this.foundWaiting.push(w);
    return false;
  }

  private inWindow(ref: number, edge: Instant): boolean {
    const pos = this.positionOf(ref);
    return pos !== undefined && pos.bucket.startOffsetOf(pos.index) >= offsetIn(pos.bucket, edge);
  }

  private indexBigTrace(rec: number): void {
    const big: BigTrace = { spans: new Map(), roots: [], waiting: new Map() };
    let ref = this.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
    while (ref !== NO_SPAN) {
      const pos = this.positionOf(ref);
      if (pos === undefined) break;
      const chunk = pos.bucket.chunks[pos.index >>> SPAN_CHUNK_BITS]!;
      const at = pos.index & SPAN_CHUNK_MASK;
      // Newest first: an aged-out copy further down the chain must not shadow a live one.
      const key = uuidFromWords(chunk.spanId, at * 4);
      if (!big.spans.has(key)) big.spans.set(key, ref);
      const flags = chunk.flags[at]!;
      if ((flags & FLAG_HAS_PARENT) === 0) big.roots.push(ref);
      else if ((flags & FLAG_LINKED) === 0) pushTo(big.waiting, uuidFromWords(chunk.parentId, at * 4), ref);
      ref = chunk.next[at]!;
    }
    this.bigTraces.set(rec, big);
  }

  /** The live bucket of a relative minute, created on first use. */
  private bucketFor(minute: number, absMinute: number): SpanBucket {
    const slot = minute % this.ring.length;
    const held = this.ring[slot];
    if (held !== undefined && held.minute === minute) return held;
    if (held !== undefined) {
      // The ring is sized so that a slot's previous minute has left the window by now (the timer
      // may simply not have run yet), unless the clock stepped back: minutes from before the
      // step, ahead of the clock now, are still live.
      const edgeMinute = Math.floor(windowEdge(this.clock.nowMs(), this.windowMinutes).sec / 60) - this.baseMinute;
      if (held.minute >= edgeMinute) {
        this.growRing();
        return this.bucketFor(minute, absMinute);
      }
      this.detach(slot);
    }
    const bucket = new SpanBucket(minute, absMinute * 60, this.pool);
    bucket.rootOrder = this.rootOrderFor(bucket);
    this.ring[slot] = bucket;
    return bucket;
  }

  /** Doubles the ring (as often as it takes) until no two held buckets share a slot. */
  private growRing(): void {
    const held = this.ring.filter((b): b is SpanBucket => b !== undefined);
    for (let length = this.ring.length * 2; ; length *= 2) {
      const ring: Array<SpanBucket | undefined> = new Array(length).fill(undefined);
      let clash = false;
      for (const bucket of held) {
        const slot = bucket.minute % length;
        if (ring[slot] !== undefined) clash = true;
        ring[slot] = bucket;
      }
      if (!clash) {
        this.ring = ring;
        return;
      }
    }
  }

  private detach(slot: number): void {
    const bucket = this.ring[slot]!;
    this.ring[slot] = undefined;
    this.releasing.push(bucket);
  }

  /** Where a ref points, or undefined when its bucket has left the window. */
  private positionOf(ref: number): SpanPosition | undefined {
    const bucket = this.bucketAt(refMinute(ref));
    return bucket === undefined ? undefined : { bucket, index: refIndex(ref) };
  }

  /** The live bucket of a relative minute, or undefined when that minute is not held. */
  private bucketAt(minute: number): SpanBucket | undefined {
    const bucket = this.ring[minute % this.ring.length];
    return bucket !== undefined && bucket.minute === minute ? bucket : undefined;
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

  private serviceIdAt(pos: SpanPosition): number {
    return this.endpoints.serviceOf[pos.bucket.chunk(pos.index).endpoint[pos.index & SPAN_CHUNK_MASK]!]!;
  }

  private durationNsAt(pos: SpanPosition): number {
    const duration = pos.bucket.chunk(pos.index).duration[pos.index & SPAN_CHUNK_MASK]!;
    if (duration !== LONG_DURATION) return duration;
    return Number(BigInt(pos.bucket.longEnds.get(pos.index)!) - BigInt(this.startTextOf(pos.bucket, pos.index)));
  }

  // ---- listing and search ---------------------------------------------------------------

  listTraces(query: ListQuery): TraceList {
    this.scanWork = 0;
    // The contract's listing (no filters) is exact whatever it costs: its clients compare totals.
    this.searchBudget = query.filter !== undefined && hasConditions(query.filter) ? this.scanBudget : Number.POSITIVE_INFINITY;
    const list = this.search(query);
    if (this.scanWork > this.maxScanWork) this.maxScanWork = this.scanWork;
    if (this.overBudget) list.incomplete = true;
    return list;
  }

  /** Whether the current search has spent its budget (and must stop where it is). */
  private get overBudget(): boolean {
    return this.scanWork >= this.searchBudget;
  }

  private search(query: ListQuery): TraceList {
    const edge = windowEdge(this.clock.nowMs(), this.windowMinutes);
    let lo: Instant = edge;
    if (query.after !== undefined) {
      const after = { sec: secondsOf(query.after), nsec: subsecondNanosOf(query.after) };
      if (instantBefore(lo, after)) lo = after;
    }
    const hi: Instant | undefined =
      query.before === undefined ? undefined : { sec: secondsOf(query.before), nsec: subsecondNanosOf(query.before) };
    const filter = query.filter === undefined || !hasConditions(query.filter) ? undefined : this.compileFilter(query.filter, edge);
    if (filter?.impossible) return { total: 0, traces: [], more: false };
    const cursor = query.cursor === undefined ? undefined : this.cursorAt(query.cursor);
    if (filter?.tagRecords !== undefined) return this.listTagMatches(filter, filter.tagRecords, lo, hi, edge, cursor, query.limit);

    const loMinute = Math.floor(lo.sec / 60) - this.baseMinute;
    const hiMinute = hi === undefined ? Infinity : Math.floor(hi.sec / 60) - this.baseMinute;
    const buckets = this.ring
      .filter((b): b is SpanBucket => b !== undefined && b.minute >= loMinute && b.minute <= hiMinute)
      .sort((a, b) => b.minute - a.minute);
    const traces: TraceSummary[] = [];
    const limit = query.limit;
    let total = 0;
    /** Matches after the cursor: the page is the first `limit` of them. */
    let afterCursor = 0;
    // Without filters, and with one root per trace, every root in range is listed: count by
    // arithmetic. Otherwise each root is tested against the bucket's search summary.
    const everyRoot = filter === undefined && this.multiRootTraces === 0;
    const scan = scanFilterOf(filter);
    for (const bucket of buckets) {
      bucket.sortRoots();
      const from = bucket.minute === loMinute ? bucket.lowerBound(offsetIn(bucket, lo)) : 0;
      const to = hi !== undefined && bucket.minute === hiMinute ? bucket.lowerBound(offsetIn(bucket, hi)) : bucket.rootCount;
      if (to <= from) continue;
      // Sorted positions [from, cut) come after the cursor in the listing order.
      const cut = cursor === undefined ? to : this.cursorCut(bucket, cursor, from, to);
      const roots = bucket.roots;
      if (everyRoot) {
        total += to - from;
        afterCursor += cut - from;
        for (let k = cut - 1; k >= from && traces.length < limit; k--) traces.push(this.summaryOf(bucket, roots[k]!, edge));
        continue;
      }
      const summary = this.freshSummary(bucket);
      if (bucket.summarySpecialRows === 0 && !scan.needsRootWords) {
        // The hot path: count without branches, then collect the page, if any, from the newest.
        const after = this.cachedCount(bucket, summary, from, cut, scan);
        total += after + this.cachedCount(bucket, summary, cut, to, scan);
        afterCursor += after;
        // The count says how many rows to find: stop there rather than at the bucket's end.
        let wanted = Math.min(after, limit - traces.length);
        for (let k = cut - 1; k >= from && wanted > 0 && !this.overBudget; k--) {
          if (!this.summaryRowMatches(summary, k, bucket, edge, filter, scan)) continue;
          traces.push(this.summaryOf(bucket, roots[k]!, edge));
          wanted--;
        }
        continue;
      }
      for (let k = to - 1; k >= from; k--) {
        if (this.overBudget) break;
        if (!this.summaryRowMatches(summary, k, bucket, edge, filter, scan)) continue;
        total++;
        if (k >= cut) continue;
        afterCursor++;
        if (traces.length < limit) traces.push(this.summaryOf(bucket, roots[k]!, edge));
      }
    }
    return { total, traces, more: limit > 0 && afterCursor > traces.length };
  }

  /** countSummaryMatches, remembered per bucket until its summary next changes (repeated searches, pages). */
  private cachedCount(bucket: SpanBucket, summary: Int32Array, from: number, to: number, f: ScanFilter): number {
    if (to - from < this.countCacheRows) return countSummaryMatches(summary, from, to, f);
    const key = `${f.key}|${from}|${to}`;
    let count = bucket.countCache.get(key);
    if (count === undefined) {
      count = countSummaryMatches(summary, from, to, f);
      if (bucket.countCache.size >= 64) bucket.countCache.clear();
      bucket.countCache.set(key, count);
    }
    return count;
  }

  /** Whether summary row k matches, falling back to the root words or the spans when it cannot tell. */
  private summaryRowMatches(summary: Int32Array, k: number, bucket: SpanBucket, edge: Instant, filter: CompiledFilter | undefined, scan: ScanFilter): boolean {
    const s1 = summary[2 * k + 1]!;
    // One masked compare for status, partial and "recompute"; rows to recompute never pass it
    // (the wanted value lacks that bit).
    if ((s1 & scan.stateMask) !== scan.stateWant) {
      return (s1 & SUMMARY_RECOMPUTE) !== 0 && this.factsMatch(bucket, bucket.roots[k]!, edge, filter);
    }
    if (filter === undefined) return true;
    if ((summary[2 * k]! & scan.names) !== scan.names) return false;
    if (scan.rootServiceId >= 0) {
      const rootService = (s1 >>> SUMMARY_ROOT_SERVICE_SHIFT) & SUMMARY_ROOT_SERVICE_MASK;
      if (rootService !== SUMMARY_ROOT_SERVICE_MASK ? rootService !== scan.rootServiceId : !this.rowMatches(bucket, bucket.roots[k]!, edge, filter)) return false;
    }
    if (scan.hasDuration) {
      const ms = s1 & SUMMARY_DURATION_MASK;
      if (ms !== SUMMARY_DURATION_MASK ? ms < scan.minMs || ms > scan.maxMs : !this.rowMatches(bucket, bucket.roots[k]!, edge, filter)) return false;
    }
    if (scan.needsRootWords) {
      if (scan.serviceBloom !== 0 && (s1 & SUMMARY_BLOOM) === 0) return false;
      if (!this.rowMatches(bucket, bucket.roots[k]!, edge, filter)) return false;
    }
    return true;
  }

  /**
   * The bucket's search summary (span-bucket.ts), brought up to date: the rows from the first
   * position whose root moved, and the rows of roots whose words changed. Under steady ingest
   * that is the newest few thousand roots, not the minute.
   */
  private freshSummary(bucket: SpanBucket): Int32Array {
    const n = bucket.rootCount;
    const dirty = bucket.summaryDirty;
    if (bucket.summaryValid >= n && dirty.length === 0) return bucket.summary;
    if (bucket.summary.length < 2 * n) {
      const grown = bucket.pool.int32(2 * bucket.roots.length);
      grown.set(bucket.summary.subarray(0, 2 * bucket.summaryValid));
      bucket.pool.free(bucket.summary);
      bucket.summary = grown;
    }
    const valid = bucket.summaryValid;
    for (const index of dirty) {
      const k = bucket.positionOfRoot(index, valid);
      if (k >= 0) this.summaryRow(bucket, k);
    }
    for (let k = valid; k < n; k++) this.summaryRow(bucket, k);
    const summary = bucket.summary;
    let special = 0;
    for (let k = 0; k < n; k++) {
      const s1 = summary[2 * k + 1]!;
      if (
        (s1 & SUMMARY_RECOMPUTE) !== 0 ||
        (s1 & SUMMARY_DURATION_MASK) === SUMMARY_DURATION_MASK ||
        ((s1 >>> SUMMARY_ROOT_SERVICE_SHIFT) & SUMMARY_ROOT_SERVICE_MASK) === SUMMARY_ROOT_SERVICE_MASK
      ) {
        special++;
      }
    }
    bucket.summarySpecialRows = special;
    bucket.summaryValid = n;
    bucket.summarizedSpans = bucket.count;
    dirty.length = 0;
    bucket.countCache.clear();
    return summary;
  }

  /** Writes summary row k from the root words and columns of the root at sorted position k. */
  private summaryRow(bucket: SpanBucket, k: number): void {
    const index = bucket.roots[k]!;
    const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
    const at = index & SPAN_CHUNK_MASK;
    const words = chunk.parentId;
    const o = at * 4;
    const state = words[o + ROOT_STATE]!;
    const duration = chunk.duration[at]!;
    const ms = duration !== LONG_DURATION ? Math.floor(duration / 1_000_000) : this.durationMsOf(bucket, index);
    const rootService = this.endpoints.serviceOf[chunk.endpoint[at]!]!;
    let packed = Math.min(ms, SUMMARY_DURATION_MASK) | (Math.min(rootService, SUMMARY_ROOT_SERVICE_MASK) << SUMMARY_ROOT_SERVICE_SHIFT);
    if ((state & STATE_ERROR) !== 0) packed |= SUMMARY_ERROR;
    if ((state & STATE_MISSING_MASK) !== 0) packed |= SUMMARY_PARTIAL;
    if ((state & STATE_RECOMPUTE) !== 0) packed |= SUMMARY_RECOMPUTE;
    if (words[o + ROOT_BLOOM] !== 0) packed |= SUMMARY_BLOOM;
    bucket.summary[2 * k] = (words[o + ROOT_SERVICES]! & 0xffff) | (words[o + ROOT_OPERATIONS]! << 16);
    bucket.summary[2 * k + 1] = packed;
  }

  /**
   * Whether the root at `index` is its trace's listed root and the trace passes the filter
   * (tags aside: listTagMatches handles them). Reads the root words only, unless the trace must
   * be recomputed or a name past the exact mask bits needs confirming.
   */
  private rowMatches(bucket: SpanBucket, index: number, edge: Instant, f: CompiledFilter | undefined): boolean {
    this.scanWork++;
    const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
    const at = index & SPAN_CHUNK_MASK;
    const words = chunk.parentId;
    const o = at * 4;
    const state = words[o + ROOT_STATE]!;
    if ((state & STATE_RECOMPUTE) !== 0) return this.factsMatch(bucket, index, edge, f);
    if (f === undefined) return true;
    if (f.status !== 0 && ((state & STATE_ERROR) !== 0) !== (f.status === 2)) return false;
    if (f.partial !== 0 && ((state & STATE_MISSING_MASK) !== 0) !== (f.partial === 2)) return false;
    if (f.rootServiceId >= 0 && this.endpoints.serviceOf[chunk.endpoint[at]!] !== f.rootServiceId) return false;
    if (f.hasDuration) {
      const d = chunk.duration[at]!;
      if (d !== LONG_DURATION) {
        if (d < f.minNs || d >= f.maxNsExclusive) return false;
      } else {
        const ms = this.durationMsOf(bucket, index);
        if (ms < f.minMs || ms > f.maxMs) return false;
      }
    }
    if (f.serviceBit !== 0) {
      if ((words[o + ROOT_SERVICES]! & f.serviceBit) === 0) return false;
    } else if (f.serviceBloom !== 0) {
      if ((words[o + ROOT_BLOOM]! & f.serviceBloom) === 0) return false;
      if (!this.factsOf(chunk.trace[at]!, edge).services.has(f.serviceId)) return false;
    }
    if (f.operationBit !== 0) {
      if ((words[o + ROOT_OPERATIONS]! & f.operationBit) === 0) return false;
    } else if (f.operationBloom !== 0) {
      if ((words[o + ROOT_BLOOM]! & f.operationBloom) === 0) return false;
      if (!this.factsOf(chunk.trace[at]!, edge).operations.has(f.operationId)) return false;
    }
    return true;
  }

  /** rowMatches for a trace recomputed from its spans. */
  private factsMatch(bucket: SpanBucket, index: number, edge: Instant, f: CompiledFilter | undefined): boolean {
    const facts = this.factsOf(bucket.chunk(index).trace[index & SPAN_CHUNK_MASK]!, edge);
    const root = facts.root;
    if (root === undefined || root.bucket !== bucket || root.index !== index) return false;
    if (f === undefined) return true;
    if (f.status !== 0 && facts.errors > 0 !== (f.status === 2)) return false;
    if (f.partial !== 0 && facts.partial !== (f.partial === 2)) return false;
    if (f.rootServiceId >= 0 && this.serviceIdAt(root) !== f.rootServiceId) return false;
    if (f.hasDuration) {
      const ms = this.durationMsOf(bucket, index);
      if (ms < f.minMs || ms > f.maxMs) return false;
    }
    if (f.serviceId >= 0 && !facts.services.has(f.serviceId)) return false;
    if (f.operationId >= 0 && !facts.operations.has(f.operationId)) return false;
    return true;
  }

  /** A trace from its spans in the window (positions newest bucket first). */
  private factsOf(rec: number, edge: Instant): TraceFacts {
    const spans = this.heldSpansOf(rec, edge);
    this.scanWork += spans.length;
    const facts: TraceFacts = { spans, root: undefined, errors: 0, services: new Set(), operations: new Set(), partial: false };
    for (const pos of spans) {
      const chunk = pos.bucket.chunk(pos.index);
      const at = pos.index & SPAN_CHUNK_MASK;
      const flags = chunk.flags[at]!;
      const endpoint = chunk.endpoint[at]!;
      facts.services.add(this.endpoints.serviceOf[endpoint]!);
      facts.operations.add(this.endpoints.operationOf[endpoint]!);
      if ((flags & FLAG_ERROR) !== 0) facts.errors++;
      if ((flags & FLAG_HAS_PARENT) === 0) {
        if (facts.root === undefined || compareSpanPositions(pos, facts.root) < 0) facts.root = pos;
      }
    }
    // Partial: some span's parent id is not among the span ids. Pairwise for small traces.
    const ids = spans.length > 16 ? new Set(spans.map((p) => uuidFromWords(p.bucket.chunk(p.index).spanId, (p.index & SPAN_CHUNK_MASK) * 4))) : undefined;
    for (const pos of spans) {
      const chunk = pos.bucket.chunk(pos.index);
      const at = pos.index & SPAN_CHUNK_MASK;
      if ((chunk.flags[at]! & FLAG_HAS_PARENT) === 0) continue;
      const present =
        ids !== undefined
          ? ids.has(uuidFromWords(chunk.parentId, at * 4))
          : spans.some((p) => sameWords(p.bucket.chunk(p.index).spanId, (p.index & SPAN_CHUNK_MASK) * 4, chunk.parentId, at * 4));
      if (!present) {
        facts.partial = true;
        break;
      }
    }
    return facts;
  }

  private compileFilter(filter: TraceFilter, edge: Instant): CompiledFilter {
    const e = this.endpoints;
    const f: CompiledFilter = {
      impossible: false,
      serviceId: -1,
      serviceBit: 0,
      serviceBloom: 0,
      operationId: -1,
      operationBit: 0,
      operationBloom: 0,
      rootServiceId: -1,
      status: filter.status === undefined ? 0 : filter.status === 'ok' ? 1 : 2,
      partial: filter.partial === undefined ? 0 : filter.partial ? 2 : 1,
      hasDuration: filter.minDurationMs !== undefined || filter.maxDurationMs !== undefined,
      minMs: filter.minDurationMs ?? 0,
      maxMs: filter.maxDurationMs ?? Infinity,
      minNs: 0,
      maxNsExclusive: Infinity,
      tagRecords: undefined,
      summaryNames: 0,
      needsRootWords: false,
    };
    f.minNs = f.minMs * 1_000_000;
    f.maxNsExclusive = (f.maxMs + 1) * 1_000_000;
    if (filter.service !== undefined) {
      const id = e.serviceIds.get(filter.service);
      if (id === undefined) f.impossible = true;
      else {
        f.serviceId = id;
        f.serviceBit = exactBit(id);
        f.serviceBloom = serviceBloomBit(id);
      }
    }
    if (filter.rootService !== undefined) {
      const id = e.serviceIds.get(filter.rootService);
      if (id === undefined) f.impossible = true;
      else f.rootServiceId = id;
    }
    if (filter.operation !== undefined) {
      const id = e.operationIds.get(filter.operation);
      if (id === undefined) f.impossible = true;
      else {
        f.operationId = id;
        f.operationBit = exactBit(id);
        f.operationBloom = operationBloomBit(id);
      }
    }
    if (f.impossible) return f;
    if (f.serviceId >= 0 && f.serviceId < SUMMARY_NAMES) f.summaryNames |= 1 << f.serviceId;
    if (f.operationId >= 0 && f.operationId < SUMMARY_NAMES) f.summaryNames |= 1 << (16 + f.operationId);
    f.summaryNames |= 0;
    f.needsRootWords = f.serviceId >= SUMMARY_NAMES || f.operationId >= SUMMARY_NAMES;
    for (const { key, value } of filter.tags ?? []) {
      const records = this.recordsWithTag(key, value, edge);
      if (f.tagRecords !== undefined) for (const rec of f.tagRecords) if (!records.has(rec)) f.tagRecords.delete(rec);
      f.tagRecords ??= records;
      if (f.tagRecords.size === 0) {
        f.impossible = true;
        break;
      }
    }
    return f;
  }

  /** Trace records with a span in the window whose tags hold key = value exactly. */
  private recordsWithTag(key: string, value: string, edge: Instant): Set<number> {
    const records = new Set<number>();
    const hash = tagHash(key, value);
    // `"key":"value"` as JSON.stringify writes it inside the stored tag text.
    const member = Buffer.from(JSON.stringify(key) + ':' + JSON.stringify(value), 'utf8');
    for (const bucket of this.ring) {
      if (bucket === undefined || bucket.tagIndex === undefined) continue;
      const edgeOffset = offsetIn(bucket, edge);
      for (const index of bucket.tagIndex.spansWith(hash)) {
        if (this.scanWork++ >= this.searchBudget) return records;
        const chunk = bucket.chunk(index);
        const at = index & SPAN_CHUNK_MASK;
        if (chunk.startOffset[at]! < edgeOffset) continue;
        if (bucket.tagsHaveMember(index, member)) records.add(chunk.trace[at]!);
      }
    }
    return records;
  }

  /** Search with tag filters: from the traces holding the tags rather than from every root. */
  private listTagMatches(
    f: CompiledFilter,
    records: Set<number>,
    lo: Instant,
    hi: Instant | undefined,
    edge: Instant,
    cursor: CursorAt | undefined,
    limit: number,
  ): TraceList {
    const hits: SpanPosition[] = [];
    for (const rec of records) {
      if (this.overBudget) break;
      const root = this.factsOf(rec, edge).root;
      if (root === undefined) continue;
      const start = this.instantOf(root);
      if (instantBefore(start, lo) || (hi !== undefined && !instantBefore(start, hi))) continue;
      if (this.rowMatches(root.bucket, root.index, edge, f)) hits.push(root);
    }
    // Listing order: start descending, trace id ascending.
    hits.sort((a, b) => -this.compareRoots(a.bucket, a.index, b.bucket, b.index));
    let first = 0;
    if (cursor !== undefined) {
      while (first < hits.length && !this.isAfterCursor(hits[first]!.bucket, hits[first]!.index, cursor)) first++;
    }
    const page = hits.slice(first, first + limit);
    return {
      total: hits.length,
      traces: page.map((p) => this.summaryOf(p.bucket, p.index, edge)),
      more: limit > 0 && hits.length - first > limit,
    };
  }

  /** Root order of rootOrderFor across buckets: ascending start, then descending trace id. */
  private compareRoots(ba: SpanBucket, a: number, bb: SpanBucket, b: number): number {
    if (ba !== bb) return ba.minute - bb.minute;
    return ba.rootOrder(a, b);
  }

  private cursorAt(position: ListPosition): CursorAt {
    const sec = secondsOf(position.startTime);
    const absMinute = Math.floor(sec / 60);
    const ids = new Uint32Array(4);
    writeUuidWords(position.traceId, ids, 0);
    return {
      minute: absMinute - this.baseMinute,
      offset: (sec - absMinute * 60) * NS_PER_SEC + subsecondNanosOf(position.startTime),
      ids,
    };
  }

  /** Whether a root comes strictly after the cursor in the listing order. */
  private isAfterCursor(bucket: SpanBucket, index: number, c: CursorAt): boolean {
    if (bucket.minute !== c.minute) return bucket.minute < c.minute;
    const offset = bucket.startOffsetOf(index);
    if (offset !== c.offset) return offset < c.offset;
    const rec = bucket.chunk(index).trace[index & SPAN_CHUNK_MASK]!;
    const words = this.traces.chunkOf(rec).idWords;
    const o = TraceTable.offset(rec) * 4;
    for (let k = 0; k < 4; k++) if (words[o + k] !== c.ids[k]) return words[o + k]! > c.ids[k]!;
    return false;
  }

  /** The first sorted position in [from, to) whose root is not after the cursor. */
  private cursorCut(bucket: SpanBucket, c: CursorAt, from: number, to: number): number {
    if (bucket.minute > c.minute) return from;
    if (bucket.minute < c.minute) return to;
    // Sorted ascending, so the roots after the cursor (earlier, or equal and larger id) lead.
    let lo = from;
    let hi = to;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.isAfterCursor(bucket, bucket.roots[mid]!, c)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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

  private summaryOf(bucket: SpanBucket, index: number, edge: Instant): TraceSummary {
    const chunk = bucket.chunk(index);
    const at = index & SPAN_CHUNK_MASK;
    const rec = chunk.trace[at]!;
    const traceChunk = this.traces.chunkOf(rec);
    const off = TraceTable.offset(rec);
    const words = chunk.parentId;
    const o = at * 4;
    let spanCount: number;
    let errors: number;
    let partial: boolean;
    let services: string[];
    if ((words[o + ROOT_STATE]! & STATE_RECOMPUTE) === 0) {
      spanCount = traceChunk.spanCount[off]!;
      errors = traceChunk.errorCount[off]!;
      partial = (words[o + ROOT_STATE]! & STATE_MISSING_MASK) !== 0;
      services =
        (words[o + ROOT_BLOOM]! & 0xffff) === 0 ? this.servicesOfMask(words[o + ROOT_SERVICES]!) : this.serviceNamesOf(this.factsOf(rec, edge).services);
    } else {
      // Some spans may sit below the window edge or in released buckets: count exactly.
      const facts = this.factsOf(rec, edge);
      spanCount = facts.spans.length;
      errors = facts.errors;
      partial = facts.partial;
      services = this.serviceNamesOf(facts.services);
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
      services,
      error_count: errors,
      partial,
    };
  }

  /**
   * Sorted names of the services in an exact mask, as a fresh array. A listing of 1000 traces
   * repeats a few masks; sorting each anew was most of what it allocated.
   */
  private servicesOfMask(mask: number): string[] {
    let names = this.servicesByMask.get(mask);
    if (names === undefined) {
      names = this.serviceNamesOf(bitsOf(mask));
      // An id keeps its name while any bucket holds it (dispose() clears this map when an exact
      // one is freed); the bound is for pathological data.
      if (this.servicesByMask.size >= 4096) this.servicesByMask.clear();
      this.servicesByMask.set(mask, names);
    }
    return names.slice();
  }

  private serviceNamesOf(ids: Iterable<number>): string[] {
    const names = this.endpoints.serviceNames;
    return Array.from(ids, (id) => names[id]!).sort(compareText);
  }

  private durationMsOf(bucket: SpanBucket, index: number): number {
    const duration = bucket.chunk(index).duration[index & SPAN_CHUNK_MASK]!;
    if (duration !== LONG_DURATION) return Math.floor(duration / 1_000_000);
    return durationMsBetween(this.startTextOf(bucket, index), bucket.longEnds.get(index)!);
  }

  private instantOf(pos: SpanPosition): Instant {
    const offset = pos.bucket.startOffsetOf(pos.index);
    const whole = Math.floor(offset / NS_PER_SEC);
    return { sec: pos.bucket.startSec + whole, nsec: offset - whole * NS_PER_SEC };
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
    return traceTree(canonicalId, held.map((pos) => this.spanAt(canonicalId, pos)));
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

  // ---- statistics -----------------------------------------------------------------------

  /** Live buckets of the whole minutes a statistics query covers. */
  private statsBuckets(range: RangeQuery): { buckets: SpanBucket[]; after: NsText; before: NsText; elapsedSeconds: number } {
    const w = statsWindow(this.clock.nowMs(), this.windowMinutes, range.after, range.before);
    const from = w.fromMinute - this.baseMinute;
    const to = w.toMinute - this.baseMinute;
    const buckets = this.ring.filter((b): b is SpanBucket => b !== undefined && b.minute >= from && b.minute < to);
    return { buckets, after: minuteStartNs(w.fromMinute), before: minuteStartNs(w.toMinute), elapsedSeconds: w.elapsedSeconds };
  }

  latency(range: RangeQuery): LatencyReport {
    const { buckets, after, before, elapsedSeconds } = this.statsBuckets(range);
    const merged: Array<LatencyStats | undefined> = [];
    for (const bucket of buckets) {
      const latency = bucket.latency;
      for (let e = 0; e < latency.length; e++) {
        const stats = latency[e];
        if (stats === undefined) continue;
        (merged[e] ??= new LatencyStats()).merge(stats);
      }
    }
    const endpoints: EndpointLatency[] = [];
    merged.forEach((stats, e) => {
      if (stats !== undefined) endpoints.push({ service: this.endpoints.services[e]!, operation: this.endpoints.operations[e]!, stats });
    });
    return { after, before, elapsedSeconds, endpoints };
  }

  dependencies(range: RangeQuery): DependencyReport {
    const { buckets, after, before, elapsedSeconds } = this.statsBuckets(range);
    const merged = new Map<number, LatencyStats>();
    for (const bucket of buckets) {
      for (const [key, stats] of bucket.edges) {
        let into = merged.get(key);
        if (into === undefined) merged.set(key, (into = new LatencyStats()));
        into.merge(stats);
      }
    }
    const names = this.endpoints.serviceNames;
    const links: DependencyLink[] = [];
    for (const [key, stats] of merged) {
      links.push({ parent: names[Math.floor(key / EDGE_KEY_FACTOR)]!, child: names[key % EDGE_KEY_FACTOR]!, stats });
    }
    return { after, before, elapsedSeconds, links };
  }

  stats(): StoreStats {
    let buckets = this.releasing.length;
    for (const b of this.ring) if (b !== undefined) buckets++;
    return { spans: this.heldSpans, traces: this.traces.size, buckets, bytes: this.pool.inUseBytes, endpoints: this.endpoints.held, overflowedSpans: this.endpoints.overflowed };
  }

  /**
   * The pool that columns are carved from (block-pool.ts): bytes reserved in slabs, and bytes of
   * the blocks in use (the rest waits for reuse).
   */
  poolBytes(): { reserved: number; inUse: number } {
    return { reserved: this.pool.reservedBytes, inUse: this.pool.inUseBytes };
  }

  /** Bytes held by typed arrays (columns, trace records, hash index); excludes tag strings. */
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
      if (stop === bucket.count) this.dispose(this.releasing.shift()!);
    }
    return { evictedSpans, pending: this.releasing.length > 0 };
  }

  /** Frees a released bucket's columns and the names that only it still held. */
  private dispose(bucket: SpanBucket): void {
    let exactFreed = false;
    const latency = bucket.latency;
    for (let e = 0; e < latency.length; e++) if (latency[e] !== undefined && this.endpoints.release(e)) exactFreed = true;
    for (const key of bucket.edges.keys()) {
      if (this.endpoints.releaseService(Math.floor(key / EDGE_KEY_FACTOR))) exactFreed = true;
      if (this.endpoints.releaseService(key % EDGE_KEY_FACTOR)) exactFreed = true;
    }
    // Those ids will name other services: mask answers derived from them would be wrong.
    if (exactFreed) this.servicesByMask.clear();
    bucket.dispose();
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
    const big = this.bigTraces.size === 0 ? undefined : this.bigTraces.get(rec);
    if (big !== undefined) {
      const key = uuidFromWords(chunk.spanId, at * 4);
      if (big.spans.get(key) === spanRef(bucket.minute, index)) big.spans.delete(key);
    }
    this.heldSpans--;
    if (--traceChunk.spanCount[off]! === 0) {
      this.traces.remove(rec);
      if (big !== undefined) this.bigTraces.delete(rec);
    }
  }
}

/** A compiled filter as the summary scan reads it: plain numbers, neutral when unused. */
interface ScanFilter {
  /** Identifies the filter for countCache. */
  key: string;
  stateMask: number;
  stateWant: number;
  names: number;
  rootServiceId: number;
  rootServiceMask: number;
  rootServiceWant: number;
  hasDuration: boolean;
  minMs: number;
  maxMs: number;
  needsRootWords: boolean;
  serviceBloom: number;
}

function scanFilterOf(f: CompiledFilter | undefined): ScanFilter {
  let stateMask = SUMMARY_RECOMPUTE;
  let stateWant = 0;
  if (f !== undefined && f.status !== 0) {
    stateMask |= SUMMARY_ERROR;
    if (f.status === 2) stateWant |= SUMMARY_ERROR;
  }
  if (f !== undefined && f.partial !== 0) {
    stateMask |= SUMMARY_PARTIAL;
    if (f.partial === 2) stateWant |= SUMMARY_PARTIAL;
  }
  const rootServiceId = f?.rootServiceId ?? -1;
  const minMs = f?.minMs ?? 0;
  const maxMs = f?.hasDuration ? f.maxMs : SUMMARY_DURATION_MASK;
  return {
    key: `${stateMask}|${stateWant}|${f?.summaryNames ?? 0}|${rootServiceId}|${minMs}|${maxMs}`,
    stateMask,
    stateWant,
    names: f?.summaryNames ?? 0,
    rootServiceId,
    // A root service id past the summary's field is never stored there: such a filter matches
    // only saturated rows, which are special and take the branchy path.
    rootServiceMask: rootServiceId >= 0 ? SUMMARY_ROOT_SERVICE_MASK : 0,
    rootServiceWant: rootServiceId >= 0 ? Math.min(rootServiceId, SUMMARY_ROOT_SERVICE_MASK) : 0,
    hasDuration: f?.hasDuration ?? false,
    minMs,
    maxMs,
    needsRootWords: f?.needsRootWords ?? false,
    serviceBloom: f?.serviceBloom ?? 0,
  };
}

/**
 * Summary rows in [from, to) that match, for a bucket without special rows. Branch-free per
 * row: a filter matching half the rows would otherwise mispredict every other one.
 */
function countSummaryMatches(summary: Int32Array, from: number, to: number, f: ScanFilter): number {
  const stateMask = f.stateMask | 0;
  const stateWant = f.stateWant | 0;
  const names = f.names | 0;
  let count = 0;
  if (f.rootServiceId < 0 && !f.hasDuration) {
    // Status, partial, services and operations only: the common searches.
    for (let k = from; k < to; k++) {
      const miss = ((summary[2 * k + 1]! & stateMask) ^ stateWant) | ((summary[2 * k]! & names) ^ names);
      count += ((miss | -miss) >>> 31) ^ 1;
    }
    return count;
  }
  const rootServiceMask = f.rootServiceMask;
  const rootServiceWant = f.rootServiceWant;
  const minMs = f.minMs;
  const maxMs = f.maxMs;
  for (let k = from; k < to; k++) {
    const s0 = summary[2 * k]!;
    const s1 = summary[2 * k + 1]!;
    const ms = s1 & SUMMARY_DURATION_MASK;
    const miss =
      ((s1 & stateMask) ^ stateWant) |
      ((s0 & names) ^ names) |
      (((s1 >>> SUMMARY_ROOT_SERVICE_SHIFT) & rootServiceMask) ^ rootServiceWant) |
      (+(ms < minMs) | +(ms > maxMs));
    count += ((miss | -miss) >>> 31) ^ 1;
  }
  return count;
}

function hasConditions(f: TraceFilter): boolean {
  return (
    f.service !== undefined ||
    f.rootService !== undefined ||
    f.operation !== undefined ||
    f.status !== undefined ||
    f.minDurationMs !== undefined ||
    f.maxDurationMs !== undefined ||
    (f.tags !== undefined && f.tags.length > 0) ||
    f.partial !== undefined
  );
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

function sameWords(a: Uint32Array, ao: number, b: Uint32Array, bo: number): boolean {
  return a[ao] === b[bo] && a[ao + 1] === b[bo + 1] && a[ao + 2] === b[bo + 2] && a[ao + 3] === b[bo + 3];
}

function markMulti(bucket: SpanBucket, index: number): void {
  const words = bucket.chunk(index).parentId;
  const o = (index & SPAN_CHUNK_MASK) * 4 + ROOT_STATE;
  words[o] = (words[o]! | STATE_MULTI) >>> 0;
  bucket.rootWordsChanged(index);
}

function pushTo(map: Map<string, number[]>, key: string, ref: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [ref]);
  else list.push(ref);
}

/** The ids whose bits are set, ascending. */
function bitsOf(mask: number): number[] {
  const out: number[] = [];
  for (let m = mask >>> 0, id = 0; m !== 0; m >>>= 1, id++) if ((m & 1) !== 0) out.push(id);
  return out;
}
