// One minute of spans (by start_time), stored column by column in fixed-size chunks of typed
// arrays: about 61 bytes a span, no per-span objects, and the whole minute is dropped at once
// when the window passes it. The minute's statistics (latency per endpoint, dependency edges)
// and its tag index live beside the spans and leave with them.

import type { NsText } from '../../time/nanos.js';
import { LatencyStats } from '../sketch.js';
import type { BlockPool } from './block-pool.js';
import { PAGE_BITS, PAGE_MASK, PagedWords } from './paged-words.js';
import type { TagIndex } from './tag-index.js';

export const SPAN_CHUNK_BITS = 14;
export const SPAN_CHUNK = 1 << SPAN_CHUNK_BITS;
export const SPAN_CHUNK_MASK = SPAN_CHUNK - 1;

export const FLAG_ERROR = 1;
export const FLAG_HAS_PARENT = 2;
/** The span carried `"tags": {}`; spans with tags keep their JSON text in the bucket's tag arena. */
export const FLAG_EMPTY_TAGS = 4;
/** The span has been held together with its parent: its dependency edge is counted. */
export const FLAG_LINKED = 8;

// Root words. A root span has no parent id, so its four `parentId` words hold what search needs
// to know about its trace, kept up to date as the trace's spans arrive, at no cost in memory:
/** Exact bits of the trace's services (endpoint-table.ts). */
export const ROOT_SERVICES = 0;
/** Exact bits of the trace's operation names. */
export const ROOT_OPERATIONS = 1;
/** STATE_* flags and the number of spans whose parent has not arrived. */
export const ROOT_STATE = 2;
/** Bloom bits of services (low 16) and operation names (high 16) past the exact ones. */
export const ROOT_BLOOM = 3;
/** Some span of the trace failed. */
export const STATE_ERROR = 0x80000000;
/**
 * Some span of the trace starts before this root (or has left the window): spans may age out
 * while the root is listed, so the words and the trace's counters may overstate; queries
 * recompute such traces from their spans.
 */
export const STATE_EARLY = 0x40000000;
/** The trace has held another parentless span: which root is listed is decided per query. */
export const STATE_MULTI = 0x20000000;
export const STATE_MISSING_MASK = 0x1fffffff;

// The search summary (SpanBucket.summary): per sorted root position, the low 16 service bits
// and low 16 operation bits of the root words, and one word packed from the rest, so that a
// search reads 8 contiguous bytes per root
// instead of a cache line of parent-id words. It is a cache, derived from the root words and
// the root's columns, and rebuilt only for buckets whose roots changed since the last search.
/** Root duration_ms, or SUMMARY_DURATION_MASK for that much or more. */
export const SUMMARY_DURATION_MASK = 0xffff;
export const SUMMARY_ROOT_SERVICE_SHIFT = 16;
/** Root service id, or SUMMARY_ROOT_SERVICE_MASK for that id or a higher one. */
export const SUMMARY_ROOT_SERVICE_MASK = 0xfff;
export const SUMMARY_ERROR = 1 << 28;
export const SUMMARY_PARTIAL = 1 << 29;
/** STATE_EARLY or STATE_MULTI. */
export const SUMMARY_RECOMPUTE = 1 << 30;
/** The trace has names past the exact mask bits (ROOT_BLOOM is not 0). */
export const SUMMARY_BLOOM = 1 << 31;

/** Bytes per tag arena buffer. */
const TAG_CHUNK = 1 << 20;
/** Words per entry of SpanBucket.tagEntries. */
const TAG_ENTRY = 4;

/** Durations at or above this many ns keep their exact end time in `SpanBucket.longEnds`. */
export const LONG_DURATION = 0xffffffff;

export class SpanChunk {
  readonly spanId: Uint32Array;
  readonly parentId: Uint32Array;
  /** Trace record index (trace-table.ts). */
  readonly trace: Uint32Array;
  /** Interned (service, operation) pair (endpoint-table.ts). */
  readonly endpoint: Uint32Array;
  readonly flags: Uint8Array;
  /** Nanoseconds since the bucket's minute began: < 6e10, exact in a double. */
  readonly startOffset: Float64Array;
  /** end − start in ns, or LONG_DURATION. */
  readonly duration: Uint32Array;
  /** Next older span of the same trace (span-ref.ts), or NO_SPAN. */
  readonly next: Float64Array;

  static readonly BYTES_PER_SPAN = 16 + 16 + 4 + 4 + 1 + 8 + 4 + 8;

  constructor(pool: BlockPool) {
    this.spanId = pool.uint32(SPAN_CHUNK * 4);
    this.parentId = pool.uint32(SPAN_CHUNK * 4);
    this.trace = pool.uint32(SPAN_CHUNK);
    this.endpoint = pool.uint32(SPAN_CHUNK);
    this.flags = pool.uint8(SPAN_CHUNK);
    this.startOffset = pool.float64(SPAN_CHUNK);
    this.duration = pool.uint32(SPAN_CHUNK);
    this.next = pool.float64(SPAN_CHUNK);
  }

  /** Gives the columns back to the pool: the chunk must not be read again. */
  dispose(pool: BlockPool): void {
    for (const column of [this.spanId, this.parentId, this.trace, this.endpoint, this.flags, this.startOffset, this.duration, this.next]) pool.free(column);
  }
}

/** Orders root span indexes; negative when a sorts before b. */
export type RootOrder = (a: number, b: number) => number;

/** Edge keys pack two service ids; 2^26 services are far more than any deployment names. */
export const EDGE_KEY_FACTOR = 2 ** 26;

/** Past this many changed roots between scans, the whole summary is recomputed instead. */
const MAX_DIRTY_ROOTS = 4096;

/** How far back a new root may be moved into the sorted roots on arrival before it is deferred. */
const MAX_INSERT_SHIFT = 32;

export class SpanBucket {
  readonly chunks: SpanChunk[] = [];
  count = 0;
  /**
   * JSON text of non-empty tag objects, UTF-8 in an arena of large Buffers. Millions of small
   * strings on the V8 heap would make every major GC walk them (pauses grow with spans held);
   * bytes in a few big buffers cost the collector nothing to trace.
   */
  private readonly tagChunks: Buffer[] = [];
  /** The last of tagChunks, the one being written. */
  private tagView: DataView | undefined;
  private tagWrite = TAG_CHUNK;
  /**
   * TAG_ENTRY words per entry: span index, tag chunk number, byte offset, byte length. Span
   * indexes ascend (spans are appended in index order), so an entry is found by binary search; a
   * Map from index to entry would be millions of slots the GC has to mark.
   */
  private readonly tagEntries: PagedWords;
  readonly longEnds = new Map<number, NsText>();
  /**
   * Indexes of root spans, ascending by (start, trace id descending) so that reading from the
   * end gives the listing order. [0, sortedCount) is sorted; roots that arrived far out of order
   * wait in [sortedCount, rootCount) until the next query sorts and merges them.
   */
  roots: Uint32Array;
  rootCount = 0;
  sortedCount = 0;
  /** Next span index to release once the bucket has left the window. */
  releaseCursor = 0;
  /** The order of `roots`, set by the store (it needs trace ids from the trace table). */
  rootOrder: RootOrder = () => 0;
  /** Latency of the minute's spans by endpoint id (endpoint-table.ts). */
  readonly latency: Array<LatencyStats | undefined> = [];
  /** Dependency edges of the minute's child spans, by parentServiceId * 2^26 + childServiceId. */
  readonly edges = new Map<number, LatencyStats>();
  /** Created with the minute's first tagged span. */
  tagIndex: TagIndex | undefined;
  /**
   * Two words per sorted root position (see SUMMARY_*). Int32, so that words with bit 31 set
   * stay small integers to V8 rather than becoming doubles. Refreshed by the store before a
   * scan, incrementally: rows from summaryValid on, and the rows of summaryDirty roots.
   */
  summary: Int32Array = new Int32Array(0);
  /** Rows [0, summaryValid) sit at the right positions (roots have not moved there since). */
  summaryValid = 0;
  /** bucket.count at the last refresh: roots with a smaller span index have a row. */
  summarizedSpans = 0;
  /** Span indexes of roots with a row whose root words changed since the last refresh. */
  summaryDirty: number[] = [];
  /** Matches per (filter, range), valid until the summary next changes. */
  readonly countCache = new Map<string, number>();
  /**
   * Summary rows that a scan cannot decide from the summary alone (SUMMARY_RECOMPUTE, or a
   * saturated duration or root service); with none, a bucket is counted without branches.
   */
  summarySpecialRows = 0;

  constructor(
    /** Store-relative minute (span-ref.ts). */
    readonly minute: number,
    /** Unix second at which the minute begins. */
    readonly startSec: number,
    /** Where the bucket's columns come from, and go back to in dispose(). */
    readonly pool: BlockPool,
  ) {
    this.tagEntries = new PagedWords(pool);
    this.roots = pool.uint32(64);
  }

  /**
   * Gives every column back to the pool, once the bucket has left the window and its spans have
   * been released: nothing may read the bucket after this. Emptied lists make a read that should
   * not happen fail rather than see memory that another bucket now uses.
   */
  dispose(): void {
    const pool = this.pool;
    for (const chunk of this.chunks) chunk.dispose(pool);
    this.chunks.length = 0;
    for (const chunk of this.tagChunks) pool.free(chunk);
    this.tagChunks.length = 0;
    this.tagView = undefined;
    this.tagEntries.dispose();
    pool.free(this.roots);
    this.roots = new Uint32Array(0);
    this.rootCount = this.sortedCount = 0;
    pool.free(this.summary);
    this.summary = new Int32Array(0);
    this.tagIndex?.dispose();
    this.tagIndex = undefined;
  }

  /** Keeps the tags JSON text of a span. */
  setTags(index: number, text: string): void {
    const chunk = this.tagRoom(text.length * 3);
    this.addTagEntry(index, chunk.write(text, this.tagWrite, 'utf8'));
  }

  /** Keeps the tags JSON text of a span given as its UTF-8 bytes: bytes [from, to) of `view`. */
  setTagBytes(index: number, view: DataView, from: number, to: number): void {
    this.tagRoom(to - from);
    const into = this.tagView!;
    const delta = this.tagWrite - from;
    // Tag text is short: four bytes at a time beats both a byte loop and the call into C++ that
    // copy() or set() would make (about 30 ns against 80 to 95 for 45 bytes).
    let k = from;
    for (; k + 4 <= to; k += 4) into.setUint32(k + delta, view.getUint32(k, true), true);
    for (; k < to; k++) into.setUint8(k + delta, view.getUint8(k));
    this.addTagEntry(index, to - from);
  }

  /** The tag chunk with at least `bytes` free at tagWrite. */
  private tagRoom(bytes: number): Buffer {
    if (this.tagWrite + bytes > (this.tagChunks[this.tagChunks.length - 1]?.length ?? 0)) {
      const chunk = this.pool.bytes(Math.max(TAG_CHUNK, bytes));
      this.tagChunks.push(chunk);
      this.tagView = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
      this.tagWrite = 0;
    }
    return this.tagChunks[this.tagChunks.length - 1]!;
  }

  /** Records the `length` bytes just written at tagWrite as span `index`'s tags. */
  private addTagEntry(index: number, length: number): void {
    const o = this.tagEntries.append(TAG_ENTRY);
    const page = this.tagEntries.pages[o >>> PAGE_BITS]!;
    const at = o & PAGE_MASK;
    page[at] = index;
    page[at + 1] = this.tagChunks.length - 1;
    page[at + 2] = this.tagWrite;
    page[at + 3] = length;
    this.tagWrite += length;
  }

  /** The tag entry of a span, or -1 when it has no (non-empty) tags. */
  private tagEntry(index: number): number {
    const count = this.tagEntries.length / TAG_ENTRY;
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tagEntries.get(TAG_ENTRY * mid) < index) lo = mid + 1;
      else hi = mid;
    }
    return lo < count && this.tagEntries.get(TAG_ENTRY * lo) === index ? lo : -1;
  }

  /**
   * Whether the span's tags JSON text holds `member` (UTF-8 of `"key":"value"` as JSON.stringify
   * writes it) as a whole member: preceded by '{' or ',' and followed by ',' or '}'. Quotes inside
   * strings are escaped, so such a match cannot lie inside a key or a value.
   */
  tagsHaveMember(index: number, member: Buffer): boolean {
    const entry = this.tagEntry(index);
    if (entry < 0) return false;
    const o = TAG_ENTRY * entry;
    const entries = this.tagEntries;
    const offset = entries.get(o + 2);
    const text = this.tagChunks[entries.get(o + 1)]!.subarray(offset, offset + entries.get(o + 3));
    for (let at = text.indexOf(member); at > 0; at = text.indexOf(member, at + 1)) {
      const before = text[at - 1];
      const after = text[at + member.length];
      if ((before === 123 /* { */ || before === 44) /* , */ && (after === 44 || after === 125) /* } */) return true;
    }
    return false;
  }

  /** The tags JSON text of a span, if it had non-empty tags. */
  tagsText(index: number): string | undefined {
    const entry = this.tagEntry(index);
    if (entry < 0) return undefined;
    const o = TAG_ENTRY * entry;
    const entries = this.tagEntries;
    const offset = entries.get(o + 2);
    return this.tagChunks[entries.get(o + 1)]!.toString('utf8', offset, offset + entries.get(o + 3));
  }

  /** Counts a span of the endpoint; true when it is the minute's first (the bucket now holds the endpoint). */
  addLatency(endpoint: number, durationNs: number, error: boolean): boolean {
    let stats = this.latency[endpoint];
    const first = stats === undefined;
    if (stats === undefined) {
      // Fill holes so the array stays packed.
      while (this.latency.length < endpoint) this.latency.push(undefined);
      stats = this.latency[endpoint] = new LatencyStats();
    }
    stats.add(durationNs, error);
    return first;
  }

  /** Counts a call; true when it is the minute's first between these services. */
  addEdge(parentService: number, childService: number, durationNs: number, error: boolean): boolean {
    const key = parentService * EDGE_KEY_FACTOR + childService;
    let stats = this.edges.get(key);
    const first = stats === undefined;
    if (stats === undefined) {
      stats = new LatencyStats();
      this.edges.set(key, stats);
    }
    stats.add(durationNs, error);
    return first;
  }

  /** Reserves the next span index. */
  append(): number {
    const index = this.count++;
    if ((index >>> SPAN_CHUNK_BITS) === this.chunks.length) this.chunks.push(new SpanChunk(this.pool));
    return index;
  }

  chunk(index: number): SpanChunk {
    return this.chunks[index >>> SPAN_CHUNK_BITS]!;
  }

  startOffsetOf(index: number): number {
    return this.chunks[index >>> SPAN_CHUNK_BITS]!.startOffset[index & SPAN_CHUNK_MASK]!;
  }

  addRoot(index: number): void {
    const order = this.rootOrder;
    if (this.rootCount === this.roots.length) this.roots = this.pool.grown('uint32', this.roots, this.roots.length * 2);
    const roots = this.roots;
    let at = this.rootCount++;
    if (this.sortedCount !== at) {
      roots[at] = index;
      return;
    }
    // Roots mostly arrive in time order: shift a short way, or defer the sort to query time.
    const floor = Math.max(0, at - MAX_INSERT_SHIFT);
    let pos = at;
    while (pos > floor && order(roots[pos - 1]!, index) > 0) pos--;
    if (pos > floor || pos === 0 || order(roots[pos - 1]!, index) <= 0) {
      roots.copyWithin(pos + 1, pos, at);
      roots[pos] = index;
      this.sortedCount++;
      if (pos < this.summaryValid) this.summaryValid = pos;
    } else {
      roots[at] = index;
    }
  }

  /** Sorts deferred roots into place. */
  sortRoots(): void {
    if (this.sortedCount === this.rootCount) return;
    const order = this.rootOrder;
    const roots = this.roots;
    const pending = Array.from(roots.subarray(this.sortedCount, this.rootCount)).sort(order);
    // Late roots are mostly a little late: the sorted prefix before the first of them stays where
    // it is, so a query after a few late roots costs their number, not the minute's.
    let lo = 0;
    let hi = this.sortedCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order(roots[mid]!, pending[0]!) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const tail = roots.slice(lo, this.sortedCount);
    let a = 0;
    let b = 0;
    let out = lo;
    while (a < tail.length && b < pending.length) {
      if (order(tail[a]!, pending[b]!) <= 0) roots[out++] = tail[a++]!;
      else roots[out++] = pending[b++]!;
    }
    while (a < tail.length) roots[out++] = tail[a++]!;
    while (b < pending.length) roots[out++] = pending[b++]!;
    if (lo < this.summaryValid) this.summaryValid = lo;
    this.sortedCount = this.rootCount;
  }

  /** Notes that a root's words changed, so that its summary row is recomputed. */
  rootWordsChanged(index: number): void {
    if (index >= this.summarizedSpans) return; // no row yet: it will be computed as new
    if (this.summaryDirty.length < MAX_DIRTY_ROOTS) this.summaryDirty.push(index);
    else this.summaryValid = 0;
  }

  /** The sorted position of a root among [0, limit), or -1. */
  positionOfRoot(index: number, limit: number): number {
    const order = this.rootOrder;
    const roots = this.roots;
    let lo = 0;
    let hi = limit;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order(roots[mid]!, index) < 0) lo = mid + 1;
      else hi = mid;
    }
    // Equal keys (parentless spans of one trace at one instant) sit side by side.
    for (let p = lo; p < limit && order(roots[p]!, index) === 0; p++) if (roots[p] === index) return p;
    return -1;
  }

  /** First position in the sorted roots whose start offset is >= offset. */
  lowerBound(offset: number): number {
    let lo = 0;
    let hi = this.rootCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.startOffsetOf(this.roots[mid]!) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  bytes(): number {
    let bytes = this.tagEntries.bytes();
    for (const chunk of this.tagChunks) bytes += chunk.length;
    for (const stats of this.latency) if (stats !== undefined) bytes += stats.sketch.bytes();
    for (const stats of this.edges.values()) bytes += stats.sketch.bytes();
    if (this.tagIndex !== undefined) bytes += this.tagIndex.bytes();
    return this.chunks.length * SPAN_CHUNK * SpanChunk.BYTES_PER_SPAN + this.roots.byteLength + this.summary.byteLength + bytes;
  }
}
