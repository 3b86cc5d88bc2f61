// One minute of spans (by start_time), stored column by column in fixed-size chunks of typed
// arrays: about 61 bytes a span, no per-span objects, and the whole minute is dropped at once
// when the window passes it. The minute's statistics (latency per endpoint, dependency edges),
// its tag index and its search summary live beside the spans and leave with them. What the
// words of the columns mean is in word-layout.ts.

import * as nanos from '../../time/nanos.js';
import { durationMsBetween, nsFromParts, type NsText } from '../../time/nanos.js';
import { LatencyStats } from '../sketch.js';
import type { BlockPool } from './block-pool.js';
import * as pagedWords from './paged-words.js';
import { PagedWords } from './paged-words.js';
import { SearchSummary } from './search-summary.js';
import type { TagIndex } from './tag-index.js';
import type { Instant } from '../window.js';
import * as wordLayout from './word-layout.js';

// Module-local copies of constants read per span (src/store/README.md: "Constants in hot code").
const { NS_PER_SEC } = nanos;
const { PAGE_BITS, PAGE_MASK } = pagedWords;
const { LONG_DURATION, SPAN_CHUNK, SPAN_CHUNK_BITS, SPAN_CHUNK_MASK } = wordLayout;


/** Bytes per tag arena buffer. */
const TAG_CHUNK = 1 << 20;
/** Words per entry of SpanBucket.tagEntries. */
const TAG_ENTRY = 4;

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
  /** The order of `roots`, set by the minute ring (it needs trace ids from the trace table). */
  rootOrder: RootOrder = () => 0;
  /** Latency of the minute's spans by endpoint id (endpoint-table.ts). */
  readonly latency: Array<LatencyStats | undefined> = [];
  /** Dependency edges of the minute's child spans, by parentServiceId * 2^26 + childServiceId. */
  readonly edges = new Map<number, LatencyStats>();
  /** Created with the minute's first tagged span. */
  tagIndex: TagIndex | undefined;
  /** The search summary of the sorted roots, kept by search (search-summary.ts); told when roots move. */
  readonly summary: SearchSummary;

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
    this.summary = new SearchSummary(this);
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
    this.summary.dispose();
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
      this.summary.rootsMovedFrom(pos);
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
    this.summary.rootsMovedFrom(lo);
    this.sortedCount = this.rootCount;
  }

  /** Notes that a root's words changed, so that its summary row is recomputed. */
  rootWordsChanged(index: number): void {
    this.summary.rootWordsChanged(index);
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

  /** Start of a span as int64 text. */
  startText(index: number): NsText {
    const offset = this.startOffsetOf(index);
    const whole = Math.floor(offset / NS_PER_SEC);
    return nsFromParts(this.startSec + whole, offset - whole * NS_PER_SEC);
  }

  /** Start of a span as an instant. */
  startInstant(index: number): Instant {
    const offset = this.startOffsetOf(index);
    const whole = Math.floor(offset / NS_PER_SEC);
    return { sec: this.startSec + whole, nsec: offset - whole * NS_PER_SEC };
  }

  /** Nanoseconds from the start of the minute to an instant (negative when before it). */
  offsetOf(t: Instant): number {
    return (t.sec - this.startSec) * NS_PER_SEC + t.nsec;
  }

  durationNs(index: number): number {
    const duration = this.chunk(index).duration[index & SPAN_CHUNK_MASK]!;
    if (duration !== LONG_DURATION) return duration;
    return Number(BigInt(this.longEnds.get(index)!) - BigInt(this.startText(index)));
  }

  durationMs(index: number): number {
    const duration = this.chunk(index).duration[index & SPAN_CHUNK_MASK]!;
    if (duration !== LONG_DURATION) return Math.floor(duration / 1_000_000);
    return durationMsBetween(this.startText(index), this.longEnds.get(index)!);
  }

  bytes(): number {
    let bytes = this.tagEntries.bytes();
    for (const chunk of this.tagChunks) bytes += chunk.length;
    for (const stats of this.latency) if (stats !== undefined) bytes += stats.sketch.bytes();
    for (const stats of this.edges.values()) bytes += stats.sketch.bytes();
    if (this.tagIndex !== undefined) bytes += this.tagIndex.bytes();
    return this.chunks.length * SPAN_CHUNK * SpanChunk.BYTES_PER_SPAN + this.roots.byteLength + this.summary.bytes() + bytes;
  }
}
