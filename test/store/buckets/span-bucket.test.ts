// SpanBucket (span-bucket.ts): one minute of spans in columns, its tag text, its sorted roots and
// its statistics.
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { SpanBucket } from '../../../src/store/buckets/span-bucket.js';
import { LONG_DURATION, SPAN_CHUNK, SPAN_CHUNK_MASK } from '../../../src/store/buckets/word-layout.js';

const MINUTE_SEC = 29_000_000 * 60;

/** A bucket whose roots sort by start offset alone. */
function bucket(pool = new BlockPool()): SpanBucket {
  const b = new SpanBucket(100, MINUTE_SEC, pool);
  b.rootOrder = (x, y) => b.startOffsetOf(x) - b.startOffsetOf(y);
  return b;
}

/** Appends a span starting `offsetNs` into the minute and lasting `durationNs` (below LONG_DURATION). */
function add(b: SpanBucket, offsetNs: number, durationNs = 1000): number {
  const index = b.append();
  const chunk = b.chunk(index);
  chunk.startOffset[index & SPAN_CHUNK_MASK] = offsetNs;
  chunk.duration[index & SPAN_CHUNK_MASK] = durationNs;
  return index;
}

describe('SpanBucket', () => {
  it('adds a chunk of columns every SPAN_CHUNK spans', () => {
    const b = bucket();
    for (let n = 0; n <= SPAN_CHUNK; n++) b.append();
    expect(b.count).toBe(SPAN_CHUNK + 1);
    expect(b.chunks).toHaveLength(2);
    expect(b.chunk(SPAN_CHUNK)).toBe(b.chunks[1]);
  });

  it('keeps tag text given as a string or as body bytes, and finds a pair only as a whole member', () => {
    const b = bucket();
    const plain = add(b, 1);
    const untagged = add(b, 2);
    const fromBody = add(b, 3);
    b.setTags(plain, '{"a":"1","b":"22"}');
    const body = Buffer.from('xx{"b":"2","é":"ü"}yy');
    b.setTagBytes(fromBody, new DataView(body.buffer, body.byteOffset, body.length), 2, body.length - 2);
    expect(b.tagsText(plain)).toBe('{"a":"1","b":"22"}');
    expect(b.tagsText(untagged)).toBeUndefined();
    expect(b.tagsText(fromBody)).toBe('{"b":"2","é":"ü"}');
    const member = (key: string, value: string) => Buffer.from(JSON.stringify(key) + ':' + JSON.stringify(value));
    expect(b.tagsHaveMember(plain, member('a', '1'))).toBe(true);
    expect(b.tagsHaveMember(plain, member('b', '2'))).toBe(false); // "b":"22" holds it only as a prefix
    expect(b.tagsHaveMember(fromBody, member('b', '2'))).toBe(true);
    expect(b.tagsHaveMember(fromBody, member('é', 'ü'))).toBe(true);
    expect(b.tagsHaveMember(untagged, member('a', '1'))).toBe(false);
  });

  it('keeps roots sorted as they arrive, defers far-late ones, and merges them on sortRoots', () => {
    const b = bucket();
    const offsets = [10, 20, 15, 30, ...Array.from({ length: 40 }, (_, n) => 100 + n), 5];
    for (const offset of offsets) b.addRoot(add(b, offset));
    // The root at 5 is more than 32 places late: it waits unsorted.
    expect(b.sortedCount).toBe(offsets.length - 1);
    b.sortRoots();
    expect(b.sortedCount).toBe(offsets.length);
    const sorted = Array.from(b.roots.subarray(0, b.rootCount), (index) => b.startOffsetOf(index));
    expect(sorted).toEqual([...offsets].sort((x, y) => x - y));
    expect(b.lowerBound(15)).toBe(2);
    expect(b.lowerBound(16)).toBe(3);
    const late = b.roots[0]!;
    expect(b.positionOfRoot(late, b.rootCount)).toBe(0);
  });

  it('reads start text, instants and durations, with long durations exact from their end text', () => {
    const b = bucket();
    const short = add(b, 1_500_000_123, 2_500_000);
    const long = add(b, 2_000_000_000, LONG_DURATION);
    b.longEnds.set(long, `${MINUTE_SEC + 10}000000007`);
    expect(b.startText(short)).toBe(`${MINUTE_SEC + 1}500000123`);
    expect(b.startInstant(short)).toEqual({ sec: MINUTE_SEC + 1, nsec: 500_000_123 });
    expect(b.offsetOf({ sec: MINUTE_SEC - 1, nsec: 5 })).toBe(-999_999_995);
    expect([b.durationNs(short), b.durationMs(short)]).toEqual([2_500_000, 2]);
    expect([b.durationNs(long), b.durationMs(long)]).toEqual([8_000_000_007, 8000]);
  });

  it('counts latency per endpoint and calls per service pair, saying which is the minute\'s first', () => {
    const b = bucket();
    expect(b.addLatency(3, 1000, false)).toBe(true);
    expect(b.addLatency(3, 2000, true)).toBe(false);
    expect(b.latency).toHaveLength(4);
    expect([b.latency[3]!.spans, b.latency[3]!.errors]).toEqual([2, 1]);
    expect(b.addEdge(1, 2, 1000, false)).toBe(true);
    expect(b.addEdge(1, 2, 1000, true)).toBe(false);
    expect(b.addEdge(2, 1, 1000, false)).toBe(true);
    expect(b.edges.size).toBe(2);
  });

  it('gives every column back to the pool on dispose', () => {
    const pool = new BlockPool();
    const b = bucket(pool);
    for (let n = 0; n < 100; n++) {
      const index = add(b, n);
      b.setTags(index, `{"n":"${n}"}`);
      if (n % 10 === 0) b.addRoot(index);
    }
    expect(pool.inUseBytes).toBeGreaterThan(0);
    b.dispose();
    expect(pool.inUseBytes).toBe(0);
  });
});
