// The block pool under the bucket store's columns (block-pool.ts): blocks never overlap while
// held, come back zeroed, and a store whose window is full reuses what eviction gave back instead
// of reserving more.
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { BucketStore } from '../../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { nsAt, span, uuid } from '../../support/spans.js';
import { applySpans } from '../../support/store.js';

describe('BlockPool', () => {
  it('hands out blocks that do not overlap, of every element type', () => {
    const pool = new BlockPool();
    const arrays = [pool.uint32(1 << 14), pool.float64(1 << 13), pool.uint8(1 << 16), pool.int32(3 << 12), pool.bytes(1 << 20), pool.uint32(1 << 18)];
    arrays.forEach((a, n) => a.fill(n + 1));
    arrays.forEach((a, n) => expect(a.every((v) => v === n + 1)).toBe(true));
    // Same slab, disjoint byte ranges.
    const ranges = arrays.map((a) => [a.byteOffset, a.byteOffset + a.byteLength, a.buffer] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < ranges.length; i++) if (ranges[i]![2] === ranges[i - 1]![2]) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
  });

  it('carves blocks, and arrays too big for a block, out of SharedArrayBuffers (not external memory to V8)', () => {
    const pool = new BlockPool();
    expect(pool.uint32(1 << 14).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(pool.float64((1 << 22) + 1).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(pool.bytes(1 << 20).buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('reuses a freed block of the same size, zeroed', () => {
    const pool = new BlockPool();
    const a = pool.uint32(1 << 14);
    a.fill(0xdeadbeef);
    const reservedBefore = pool.reservedBytes;
    pool.free(a);
    const b = pool.float64(1 << 13); // same 64 KiB
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(pool.reservedBytes).toBe(reservedBefore);
  });

  it('leaves small, huge and foreign arrays to the garbage collector', () => {
    const pool = new BlockPool();
    const small = pool.uint32(16);
    const huge = pool.uint8((1 << 24) + 1);
    expect(pool.reservedBytes).toBe(0);
    expect(huge.length).toBe((1 << 24) + 1);
    const foreign = new Uint32Array(1 << 14).fill(7);
    pool.free(foreign);
    pool.free(small);
    pool.free(huge);
    const next = pool.uint32(1 << 14);
    expect(next.buffer).not.toBe(foreign.buffer);
    expect(foreign.every((v) => v === 7)).toBe(true);
  });

  it('grows an array into a larger block, keeping its elements, and reuses the old one', () => {
    const pool = new BlockPool();
    const a = pool.uint32(1 << 12);
    for (let i = 0; i < a.length; i++) a[i] = i;
    const b = pool.grown('uint32', a, 1 << 13);
    expect(b.length).toBe(1 << 13);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBe(i);
    expect(b[1 << 12]).toBe(0);
    const c = pool.uint32(1 << 12);
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(pool.inUseBytes).toBe((1 << 15) + (1 << 14));
  });
});

describe('BucketStore memory', () => {
  it('reserves nothing more once its window is full: evicted minutes are reused', async () => {
    const start = Date.UTC(2026, 10, 21, 10, 0, 0);
    const clock = new ManualClock(start);
    const store = new BucketStore({ clock, windowMinutes: 3 });
    const reserved: number[] = [];
    const inUse: number[] = [];
    let n = 0;
    for (let minute = 0; minute < 12; minute++) {
      // 20k spans a minute (two chunks), with tags, a tenth of them roots of new traces.
      for (let batch = 0; batch < 20; batch++) {
        const spans = [];
        for (let k = 0; k < 1000; k++, n++) {
          const trace = Math.floor(n / 10);
          spans.push(span({ traceId: uuid(trace), spanId: uuid(n), parentSpanId: n % 10 === 0 ? undefined : uuid(trace * 10), startTime: nsAt(clock.nowMs() + k), tags: { k: String(n) } }));
        }
        expect((await applySpans(store, spans)).accepted).toBe(1000);
      }
      clock.advance(60_000);
      for (let r = await store.evict(); r.pending; r = await store.evict());
      reserved.push(store.poolBytes().reserved);
      inUse.push(store.poolBytes().inUse);
    }
    expect((await store.stats()).spans).toBeLessThanOrEqual(4 * 20_000);
    // Growing while the window fills; then the same, minute after minute, as minutes come and go.
    expect(inUse[0]!).toBeLessThan(inUse[3]!);
    for (let minute = 4; minute < 12; minute++) {
      expect(inUse[minute]).toBe(inUse[3]);
      expect(reserved[minute]).toBe(reserved[3]);
    }
    // What the last minute holds reads back exactly, from reused memory.
    const last = n - 1;
    const detail = await store.getTrace(uuid(Math.floor(last / 10)));
    expect(detail!.spans.find((s) => s.span_id === uuid(last))!.tags).toEqual({ k: String(last) });
    // Tag search reads postings and entries across many pages of reused memory.
    for (const n of [last, last - 5_000, last - 15_000]) {
      const found = await store.listTraces({ limit: 10, filter: { tags: [{ key: 'k', value: String(n) }] } });
      expect(found.traces.map((t) => t.trace_id)).toEqual([uuid(Math.floor(n / 10))]);
    }
  });
});
