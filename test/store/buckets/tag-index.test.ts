// TagIndex (tag-index.ts): a minute's postings by tag-pair hash, newest first.
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { TagIndex, tagHash } from '../../../src/store/buckets/tag-index.js';

describe('TagIndex', () => {
  it('lists the spans posted under a hash, newest first, and none for a hash never posted', () => {
    const index = new TagIndex(new BlockPool());
    const env = tagHash('env', 'prod');
    const region = tagHash('region', 'eu');
    index.add(env, 1);
    index.add(region, 1);
    index.add(env, 4);
    index.add(env, 9);
    expect(index.spansWith(env)).toEqual([9, 4, 1]);
    expect(index.spansWith(region)).toEqual([1]);
    expect(index.spansWith(tagHash('env', 'dev'))).toEqual([]);
  });

  it('keeps every posting through the growth of its hash table', () => {
    const index = new TagIndex(new BlockPool());
    const hashes = Array.from({ length: 5000 }, (_, n) => tagHash('k', String(n)));
    hashes.forEach((hash, n) => {
      index.add(hash, 2 * n);
      index.add(hash, 2 * n + 1);
    });
    hashes.forEach((hash, n) => {
      const spans = index.spansWith(hash);
      // A hash shared by two pairs holds both pairs' postings: search confirms each from the tag text.
      if (spans.length !== 2 || spans[0] !== 2 * n + 1 || spans[1] !== 2 * n) expect(spans).toEqual(expect.arrayContaining([2 * n + 1, 2 * n]));
    });
  });

  it('hashes a pair by key, key length and value, so that moving characters between them changes the hash', () => {
    expect(tagHash('ab', 'c')).not.toBe(tagHash('a', 'bc'));
    expect(tagHash('k', 'v')).toBe(tagHash('k', 'v'));
  });

  it('gives its memory back to the pool on dispose', () => {
    const pool = new BlockPool();
    const index = new TagIndex(pool);
    for (let n = 0; n < 1000; n++) index.add(tagHash('k', String(n % 100)), n);
    expect(pool.inUseBytes).toBeGreaterThan(0);
    index.dispose();
    expect(pool.inUseBytes).toBe(0);
  });
});
