// PagedWords (paged-words.ts): an append-only word array in pool pages that are never copied.
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { PAGE_WORDS, PagedWords } from '../../../src/store/buckets/paged-words.js';

describe('PagedWords', () => {
  it('keeps every word where it was written while pages are added, without moving earlier pages', () => {
    const words = new PagedWords(new BlockPool());
    const entries = (3 * PAGE_WORDS) / 4 + 5;
    for (let n = 0; n < entries; n++) {
      const at = words.append(4);
      for (let k = 0; k < 4; k++) words.set(at + k, n * 4 + k);
      if (n === 0) expect(words.pages).toHaveLength(1);
    }
    const first = words.pages[0];
    expect(words.length).toBe(entries * 4);
    expect(words.pages).toHaveLength(4);
    expect(words.pages[0]).toBe(first);
    for (let i = 0; i < words.length; i++) if (words.get(i) !== i) expect(words.get(i)).toBe(i);
    expect(words.bytes()).toBe(4 * PAGE_WORDS * 4);
  });

  it('puts an entry in one page: entry sizes divide the page', () => {
    const words = new PagedWords(new BlockPool());
    for (let n = 0; n < PAGE_WORDS / 2; n++) words.append(2);
    expect(words.pages).toHaveLength(1);
    expect(words.append(2)).toBe(PAGE_WORDS);
    expect(words.pages).toHaveLength(2);
  });

  it('gives its pages back to the pool on dispose', () => {
    const pool = new BlockPool();
    const words = new PagedWords(pool);
    for (let n = 0; n < PAGE_WORDS + 1; n++) words.append(1);
    expect(pool.inUseBytes).toBe(2 * PAGE_WORDS * 4);
    words.dispose();
    expect(pool.inUseBytes).toBe(0);
    expect(words.length).toBe(0);
    expect(words.pages).toHaveLength(0);
  });
});
