// A minute bucket's tag index: which spans carry a given (key, value) pair, so that `tag=k:v`
// reads the spans that hold the pair rather than every span's tags.
//
// Pairs are known by a 32-bit hash only: a hash table maps each distinct hash to the newest of
// its postings, and postings chain to older ones. Two pairs with the same hash share a chain, so
// a search confirms every posting against the span's tag text. The hash is tagHash
// (codec/tag-hash.ts). Cost: 8 bytes per (span, tag) posting plus ~16 bytes per distinct pair in
// the minute; nothing for spans without tags.
//
// The hash table grows incrementally, as the trace index does (trace-table.ts): moving 2 M
// distinct pairs in one go held the event loop 70 ms, and a tag that carries a request id has a
// distinct value per span. The old arrays drain into the new ones a few slots per add, and a
// pair looked up before the drain reached it is moved over first.

import type { BlockPool } from './block-pool.js';
import * as pagedWords from './paged-words.js';
import { PagedWords } from './paged-words.js';

// Module-local copies of constants read per span (src/store/README.md: "Constants in hot code").
const { PAGE_BITS, PAGE_MASK } = pagedWords;

const EMPTY = -1;
/** An old slot whose pair has been moved to the new table: probes pass it like a full slot. */
const MOVED = -2;
/** Words per posting in TagIndex.postings. */
const POSTING = 2;
/**
 * Old slots moved per add while a grown table drains. Growing at half full leaves room for as
 * many adds as the old table had slots; at 4 a step the drain takes a quarter of that.
 */
export const DRAIN_STEP = 4;

export class TagIndex {
  private keys: Uint32Array;
  /** Word index in `postings` of each hash's newest posting, or EMPTY. */
  private heads: Int32Array;
  private distinct = 0;
  /** The arrays before the last growth, while their pairs move over; see the header. */
  private oldKeys: Uint32Array | undefined;
  private oldHeads: Int32Array = new Int32Array(0);
  private drainCursor = 0;
  /**
   * POSTING words per posting: the span index, and the word index of the next older posting of
   * the same hash plus one (0: none). Paged (paged-words.ts): postings grow with the minute.
   */
  private readonly postings: PagedWords;

  /** Arrays come from the bucket's pool (block-pool.ts) and go back to it in dispose(). */
  constructor(private readonly pool: BlockPool) {
    this.keys = pool.uint32(64);
    this.heads = pool.int32(64).fill(EMPTY);
    this.postings = new PagedWords(pool);
  }

  add(hash: number, spanIndex: number): void {
    if (this.oldKeys !== undefined) this.drain(DRAIN_STEP);
    const slot = this.slotFor(hash);
    const p = this.postings.append(POSTING);
    const page = this.postings.pages[p >>> PAGE_BITS]!;
    const at = p & PAGE_MASK;
    page[at] = spanIndex;
    const head = this.heads[slot]!;
    if (head === EMPTY) {
      this.keys[slot] = hash;
      page[at + 1] = 0;
      this.heads[slot] = p;
      if (++this.distinct * 2 > this.keys.length) this.grow();
    } else {
      page[at + 1] = head + 1;
      this.heads[slot] = p;
    }
  }

  /** Span indexes of the postings with this hash, newest first. */
  spansWith(hash: number): number[] {
    const out: number[] = [];
    const slot = this.slotFor(hash);
    for (let p = this.heads[slot]!; p !== EMPTY; p = this.postings.get(p + 1) - 1) out.push(this.postings.get(p));
    return out;
  }

  /**
   * The slot of this hash in the current table, or the empty slot where it would go. A pair the
   * drain has not reached yet is moved over first, so that its chain goes on from there.
   */
  private slotFor(hash: number): number {
    const slot = probe(this.keys, this.heads, hash);
    if (this.heads[slot] === EMPTY && this.oldKeys !== undefined) {
      const old = probe(this.oldKeys, this.oldHeads, hash);
      if (this.oldHeads[old]! >= 0) this.move(old, slot);
    }
    return slot;
  }

  private move(old: number, slot: number): void {
    this.keys[slot] = this.oldKeys![old]!;
    this.heads[slot] = this.oldHeads[old]!;
    this.oldHeads[old] = MOVED;
  }

  private grow(): void {
    // The previous drain ends long before the table is half full again (see DRAIN_STEP); should
    // it not have, it is finished here.
    if (this.oldKeys !== undefined) this.drain(this.oldKeys.length);
    this.oldKeys = this.keys;
    this.oldHeads = this.heads;
    this.drainCursor = 0;
    this.keys = this.pool.uint32(this.oldKeys.length * 2);
    this.heads = this.pool.int32(this.oldKeys.length * 2).fill(EMPTY);
  }

  /** Moves the pairs of the next `count` old slots into the current table. */
  private drain(count: number): void {
    const oldKeys = this.oldKeys!;
    const end = Math.min(oldKeys.length, this.drainCursor + count);
    for (let i = this.drainCursor; i < end; i++) {
      if (this.oldHeads[i]! < 0) continue;
      this.move(i, probe(this.keys, this.heads, oldKeys[i]!));
    }
    this.drainCursor = end;
    if (end === oldKeys.length) {
      this.pool.free(oldKeys);
      this.pool.free(this.oldHeads);
      this.oldKeys = undefined;
      this.oldHeads = new Int32Array(0);
    }
  }

  /** Gives the arrays back to the pool: the index must not be used again. */
  dispose(): void {
    this.pool.free(this.keys);
    this.pool.free(this.heads);
    if (this.oldKeys !== undefined) {
      this.pool.free(this.oldKeys);
      this.pool.free(this.oldHeads);
      this.oldKeys = undefined;
    }
    this.postings.dispose();
    this.keys = new Uint32Array(0);
    this.heads = new Int32Array(0);
  }

  bytes(): number {
    return this.keys.byteLength + this.heads.byteLength + (this.oldKeys?.byteLength ?? 0) + this.oldHeads.byteLength + this.postings.bytes();
  }

  /** Old slots still to be moved into the current table (0 when no growth is under way). */
  get slotsToDrain(): number {
    return this.oldKeys === undefined ? 0 : this.oldKeys.length - this.drainCursor;
  }
}

/** The slot holding `hash` (MOVED slots are passed like full ones), or the empty one where it would go. */
function probe(keys: Uint32Array, heads: Int32Array, hash: number): number {
  const mask = keys.length - 1;
  let slot = hash & mask;
  while (heads[slot] !== EMPTY && keys[slot] !== hash) slot = (slot + 1) & mask;
  return slot;
}
