// A minute bucket's tag index: which spans carry a given (key, value) pair, so that `tag=k:v`
// reads the spans that hold the pair rather than every span's tags.
//
// Pairs are known by a 32-bit hash only: a hash table maps each distinct hash to the newest of
// its postings, and postings chain to older ones. Two pairs with the same hash share a chain, so
// a search confirms every posting against the span's tag text. Cost: 8 bytes per (span, tag)
// posting plus ~16 bytes per distinct pair in the minute; nothing for spans without tags.

import type { BlockPool } from './block-pool.js';
import { PAGE_BITS, PAGE_MASK, PagedWords } from './paged-words.js';

const EMPTY = -1;
/** Words per posting in TagIndex.postings. */
const POSTING = 2;

/** FNV-1a over the key, the key's length and the value (UTF-16 code units), then a final mix. */
export function tagHash(key: string, value: string): number {
  return finishTagHash(fnv(Math.imul(fnv(FNV_OFFSET, key) ^ key.length, FNV_PRIME), value));
}

// The POST /spans fast parser (span-batch-fast.ts) computes the same hash from ASCII bytes while
// it scans them, from these parts: the length follows the key so that it is known by then.
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

export function finishTagHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

export class TagIndex {
  private keys: Uint32Array;
  /** Word index in `postings` of each hash's newest posting, or EMPTY. */
  private heads: Int32Array;
  private distinct = 0;
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
    const mask = this.keys.length - 1;
    let slot = hash & mask;
    while (this.heads[slot] !== EMPTY && this.keys[slot] !== hash) slot = (slot + 1) & mask;
    for (let p = this.heads[slot]!; p !== EMPTY; p = this.postings.get(p + 1) - 1) out.push(this.postings.get(p));
    return out;
  }

  private slotFor(hash: number): number {
    const mask = this.keys.length - 1;
    let slot = hash & mask;
    while (this.heads[slot] !== EMPTY && this.keys[slot] !== hash) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldHeads = this.heads;
    this.keys = this.pool.uint32(oldKeys.length * 2);
    this.heads = this.pool.int32(oldKeys.length * 2).fill(EMPTY);
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldHeads[i] === EMPTY) continue;
      const slot = this.slotFor(oldKeys[i]!);
      this.keys[slot] = oldKeys[i]!;
      this.heads[slot] = oldHeads[i]!;
    }
    this.pool.free(oldKeys);
    this.pool.free(oldHeads);
  }

  /** Gives the arrays back to the pool: the index must not be used again. */
  dispose(): void {
    this.pool.free(this.keys);
    this.pool.free(this.heads);
    this.postings.dispose();
    this.keys = new Uint32Array(0);
    this.heads = new Int32Array(0);
  }

  bytes(): number {
    return this.keys.byteLength + this.heads.byteLength + this.postings.bytes();
  }
}
