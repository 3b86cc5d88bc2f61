// TagIndex (tag-index.ts): a minute's postings by tag-pair hash, newest first, through growth of
// its hash table, which drains a few slots per add rather than moving every pair at once.
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { tagHash } from '../../../src/codec/tag-hash.js';
import { DRAIN_STEP, TagIndex } from '../../../src/store/buckets/tag-index.js';

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

  it('finds every posting of every hash, newest first, while its table grows and drains', () => {
    const index = new TagIndex(new BlockPool());
    const want = new Map<number, number[]>();
    let seed = 99;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    let growths = 0;
    let before = 0;
    for (let span = 0; span < 120_000; span++) {
      // Mostly new pairs (as a tag holding a request id makes), some repeated, and hashes that
      // share low bits so probes run long.
      const hash = random() % 4 === 0 ? (random() % 500) << 12 : random();
      index.add(hash, span);
      (want.get(hash) ?? want.set(hash, []).get(hash)!).unshift(span);
      const after = index.slotsToDrain;
      if (after > before) growths++;
      else if (before - after > DRAIN_STEP) throw new Error(`add ${span} moved ${before - after} slots, more than ${DRAIN_STEP}`);
      before = after;
      if (after > 0 && span % 101 === 0) {
        for (const [h, spans] of want) {
          if (random() % 64 !== 0) continue;
          const got = index.spansWith(h);
          if (got.join() !== spans.join()) throw new Error(`spansWith(${h}) at ${span}: ${got.slice(0, 5)} want ${spans.slice(0, 5)}`);
        }
      }
    }
    expect(growths).toBeGreaterThanOrEqual(10);
    for (const [h, spans] of want) expect(index.spansWith(h)).toEqual(spans);
    expect(index.spansWith(0xdeadbeef)).toEqual(want.get(0xdeadbeef) ?? []);
  });
});
