// An append-only array of 32-bit words in fixed pages from the block pool (block-pool.ts).
//
// A minute bucket's per-span lists (tag entries, tag postings) grow with the minute: at 300k
// spans/s a minute holds 18 M spans. Grown by doubling, each list was copied whole at every
// step (hundreds of MB in all, 5% of a 60 s ingest profile), the old and new copies were both
// held at the step, and past the pool's largest block every step was a fresh allocation that
// V8 answered with a full collection. Pages are never copied, come from the pool and go back to
// it when the bucket is disposed.

import type { BlockPool } from './block-pool.js';

/** Words per page (64 KiB): a multiple of every entry size used, so no entry straddles pages. */
export const PAGE_BITS = 14;
export const PAGE_WORDS = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_WORDS - 1;

export class PagedWords {
  /** Word i lives at pages[i >>> PAGE_BITS][i & PAGE_MASK]. */
  readonly pages: Uint32Array[] = [];
  /** Words in use. */
  length = 0;

  constructor(private readonly pool: BlockPool) {}

  /**
   * Reserves `words` words at the end (a power of two no larger than a page, so they sit in one
   * page) and returns the index of the first.
   */
  append(words: number): number {
    const at = this.length;
    if ((at & PAGE_MASK) === 0 && at >>> PAGE_BITS === this.pages.length) this.pages.push(this.pool.uint32(PAGE_WORDS));
    this.length = at + words;
    return at;
  }

  get(i: number): number {
    return this.pages[i >>> PAGE_BITS]![i & PAGE_MASK]!;
  }

  set(i: number, value: number): void {
    this.pages[i >>> PAGE_BITS]![i & PAGE_MASK] = value;
  }

  bytes(): number {
    return this.pages.length * PAGE_WORDS * 4;
  }

  /** Gives the pages back to the pool: the array must not be used again. */
  dispose(): void {
    for (const page of this.pages) this.pool.free(page);
    this.pages.length = 0;
    this.length = 0;
  }
}
