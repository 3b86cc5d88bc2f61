// SearchSummary (search-summary.ts): a bucket's 8-byte rows per sorted root, refreshed from the
// root words only where roots moved or changed, and counted without branches.
import { describe, expect, it } from 'vitest';
import { BlockPool } from '../../../src/store/buckets/block-pool.js';
import { EndpointTable } from '../../../src/store/buckets/endpoint-table.js';
import { compileFilter } from '../../../src/store/buckets/search-filter.js';
import { scanFilterOf } from '../../../src/store/buckets/search-summary.js';
import { SpanBucket } from '../../../src/store/buckets/span-bucket.js';
import {
  ROOT_SERVICES,
  ROOT_STATE,
  SPAN_CHUNK_MASK,
  STATE_EARLY,
  STATE_ERROR,
  SUMMARY_ERROR,
  SUMMARY_RECOMPUTE,
} from '../../../src/store/buckets/word-layout.js';

function setup() {
  const endpoints = new EndpointTable();
  const checkout = endpoints.intern('checkout', 'place_order');
  const bucket = new SpanBucket(7, 29_000_000 * 60, new BlockPool());
  bucket.rootOrder = (x, y) => bucket.startOffsetOf(x) - bucket.startOffsetOf(y);
  /** A root at `offsetNs` with these root-state bits, lasting 3 ms. */
  const root = (offsetNs: number, state = 0): number => {
    const index = bucket.append();
    const chunk = bucket.chunk(index);
    const at = index & SPAN_CHUNK_MASK;
    chunk.startOffset[at] = offsetNs;
    chunk.duration[at] = 3_000_000;
    chunk.endpoint[at] = checkout;
    chunk.parentId[at * 4 + ROOT_SERVICES] = endpoints.serviceBit[checkout]!;
    chunk.parentId[at * 4 + ROOT_STATE] = state;
    bucket.addRoot(index);
    return index;
  };
  const errors = scanFilterOf(compileFilter({ status: 'error' }, endpoints));
  return { endpoints, bucket, root, errors };
}

describe('SearchSummary', () => {
  it('writes a row per root in sorted order, from its root words and columns', () => {
    const { endpoints, bucket, root } = setup();
    root(20, STATE_ERROR);
    root(10);
    const rows = bucket.summary.refresh(endpoints);
    expect(rows[0]! & 0xffff).toBe(1); // the service's exact bit
    expect(rows[1]! & 0xffff).toBe(3); // duration_ms
    expect(rows[1]! & SUMMARY_ERROR).toBe(0); // the root at 10 sorts first
    expect(rows[3]! & SUMMARY_ERROR).not.toBe(0);
    expect(bucket.summary.specialRows).toBe(0);
  });

  it('counts matches, and counts again once a root\'s words changed', () => {
    const { endpoints, bucket, root, errors } = setup();
    const roots = [0, 1, 2, 3].map((n) => root(n * 10, n === 1 ? STATE_ERROR : 0));
    bucket.summary.refresh(endpoints);
    expect(bucket.summary.cachedCount(0, 4, errors, 0)).toBe(1);
    const chunk = bucket.chunk(roots[3]!);
    chunk.parentId[(roots[3]! & SPAN_CHUNK_MASK) * 4 + ROOT_STATE] = STATE_ERROR;
    bucket.rootWordsChanged(roots[3]!);
    bucket.summary.refresh(endpoints);
    expect(bucket.summary.cachedCount(0, 4, errors, 0)).toBe(2);
  });

  it('rewrites rows from the first position a late root moved into', () => {
    const { endpoints, bucket, root, errors } = setup();
    root(10);
    root(30);
    bucket.summary.refresh(endpoints);
    root(20, STATE_ERROR); // sorts between the two: rows from position 1 on are stale
    const rows = bucket.summary.refresh(endpoints);
    expect([rows[1]! & SUMMARY_ERROR, rows[3]! & SUMMARY_ERROR, rows[5]! & SUMMARY_ERROR].map((bit) => bit !== 0)).toEqual([false, true, false]);
    expect(bucket.summary.cachedCount(0, 3, errors, 0)).toBe(1);
  });

  it('counts rows to recompute as special, and never as matches of the branch-free count', () => {
    const { endpoints, bucket, root, errors } = setup();
    root(10, STATE_ERROR | STATE_EARLY);
    const rows = bucket.summary.refresh(endpoints);
    expect(rows[1]! & SUMMARY_RECOMPUTE).not.toBe(0);
    expect(bucket.summary.specialRows).toBe(1);
    expect(bucket.summary.cachedCount(0, 1, errors, 0)).toBe(0);
  });
});
