// The trace index (trace-table.ts) against a Map, through growth, tombstones and reuse of
// records, and with ids whose hashes share their low bits (so fingerprints decide).
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { DRAIN_STEP, TraceTable } from '../../../src/store/buckets/trace-table.js';

describe('TraceTable', () => {
  it('finds exactly the traces inserted and not removed, through many rehashes', () => {
    const table = new TraceTable(new BlockPool());
    const live = new Map<string, number>();
    const liveRecords = new Set<number>();
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const idOf = (n: number): [number, number, number, number] => [n >>> 0, 0xabcdef01, n % 7, 0x12345678];
    for (let step = 0; step < 300_000; step++) {
      const n = random() % 60_000;
      const key = String(n);
      const [a, b, c, d] = idOf(n);
      const found = table.find(a, b, c, d);
      // Plain checks in the loop (expect() per step would dominate the test's time).
      if (found !== (live.get(key) ?? -1)) throw new Error(`step ${step}: find(${n}) = ${found}, want ${live.get(key) ?? -1}`);
      if (found < 0) {
        const rec = table.insert(a, b, c, d);
        if (liveRecords.has(rec)) throw new Error(`record ${rec} handed out twice`);
        liveRecords.add(rec);
        live.set(key, rec);
      } else if (random() % 3 === 0) {
        table.remove(found);
        live.delete(key);
        liveRecords.delete(found);
      }
      if (table.size !== live.size) throw new Error(`step ${step}: size ${table.size}, want ${live.size}`);
    }
    for (const [key, rec] of live) {
      const [a, b, c, d] = idOf(Number(key));
      expect(table.find(a, b, c, d)).toBe(rec);
    }
  });

  it('spreads each rebuild of its index over later inserts, a few slots at a time, and finds every trace meanwhile', () => {
    const table = new TraceTable(new BlockPool());
    const ids: number[] = [];
    let rebuilds = 0;
    let before = 0;
    for (let n = 0; n < 200_000; n++) {
      const rec = table.insert(n, 0x9e3779b9, n * 31, 7);
      ids.push(rec);
      const after = table.slotsToDrain;
      if (after > before) {
        // A rebuild began: nothing of the old table (4,096 slots, doubling each time) moved yet.
        rebuilds++;
        expect(after).toBe(4096 * 2 ** (rebuilds - 1));
      } else if (before - after > DRAIN_STEP) {
        throw new Error(`insert ${n} moved ${before - after} slots, more than ${DRAIN_STEP}`);
      }
      before = after;
      // Every trace is found while the index drains, on either side of the cursor.
      if (after > 0 && n % 97 === 0) {
        for (let k = 0; k <= n; k += 1 + (n >>> 6)) if (table.find(k, 0x9e3779b9, k * 31, 7) !== ids[k]) throw new Error(`find(${k}) at ${n}`);
      }
    }
    // 200,000 traces at most 0.6 of the slots: 2^12 slots doubled seven times, to 2^19.
    expect(rebuilds).toBe(7);
    expect(table.size).toBe(200_000);
  });
});
