// The per-minute tag index (tag-index.ts) against a Map of postings, through growth of its
// hash table, which drains a few slots per add rather than moving every pair at once.
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../src/store/compact/block-pool.js';
import { DRAIN_STEP, TagIndex } from '../../src/store/compact/tag-index.js';

describe('TagIndex', () => {
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
