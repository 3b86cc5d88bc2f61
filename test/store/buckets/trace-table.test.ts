// The trace index (trace-table.ts) against a Map, through growth, tombstones and reuse of
// records, and with ids whose hashes share their low bits (so fingerprints decide).
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { TraceTable } from '../../../src/store/buckets/trace-table.js';

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
});
