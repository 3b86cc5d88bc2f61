// A bucket's search summary: 8 bytes per root in sorted order (word-layout.ts, SUMMARY_*), which
// search reads instead of the roots' parent-id words. It is a cache, derived from the root words
// and the root's columns. The bucket tells it when roots move (a root sorted in, late roots merged)
// and when a root's words change; search refreshes it before a scan, incrementally: the rows from
// the first position whose root moved, and the rows of roots whose words changed. Under steady
// ingest that is the newest few thousand roots, not the minute.
//
// Buckets whose rows all decide from the summary are counted without branches
// (countSummaryMatches), and keep those counts per filter until their summary changes.

import type { BlockPool } from './block-pool.js';
import type { EndpointTable } from './endpoint-table.js';
import type { CompiledFilter } from './search-filter.js';
import {
  LONG_DURATION,
  ROOT_BLOOM,
  ROOT_OPERATIONS,
  ROOT_SERVICES,
  ROOT_STATE,
  SPAN_CHUNK_BITS,
  SPAN_CHUNK_MASK,
  STATE_ERROR,
  STATE_MISSING_MASK,
  STATE_RECOMPUTE,
  SUMMARY_BLOOM,
  SUMMARY_DURATION_MASK,
  SUMMARY_ERROR,
  SUMMARY_PARTIAL,
  SUMMARY_RECOMPUTE,
  SUMMARY_ROOT_SERVICE_MASK,
  SUMMARY_ROOT_SERVICE_SHIFT,
} from './word-layout.js';

/** Past this many changed roots between scans, the whole summary is recomputed instead. */
const MAX_DIRTY_ROOTS = 4096;

/**
 * What a summary reads of its minute (span-bucket.ts implements it). Named here, not imported,
 * because the bucket owns its summary: each file would otherwise import the other.
 */
export interface SummarizedMinute {
  readonly pool: BlockPool;
  readonly roots: Uint32Array;
  readonly rootCount: number;
  readonly count: number;
  readonly chunks: ReadonlyArray<{ readonly parentId: Uint32Array; readonly duration: Uint32Array; readonly endpoint: Uint32Array }>;
  positionOfRoot(index: number, limit: number): number;
  durationMs(index: number): number;
}

export class SearchSummary {
  /**
   * Two words per sorted root position (see SUMMARY_*). Int32, so that words with bit 31 set
   * stay small integers to V8 rather than becoming doubles.
   */
  private rows: Int32Array = new Int32Array(0);
  /** Rows [0, valid) sit at the right positions (roots have not moved there since). */
  private valid = 0;
  /** bucket.count at the last refresh: roots with a smaller span index have a row. */
  private summarizedSpans = 0;
  /** Span indexes of roots with a row whose root words changed since the last refresh. */
  private readonly dirty: number[] = [];
  /** Matches per (filter, range), valid until the summary next changes. */
  private readonly countCache = new Map<string, number>();
  /**
   * Rows that a scan cannot decide from the summary alone (SUMMARY_RECOMPUTE, or a saturated
   * duration or root service); with none, a bucket is counted without branches.
   */
  private special = 0;

  constructor(private readonly bucket: SummarizedMinute) {}

  /** Rows the summary alone cannot decide, as of the last refresh. */
  get specialRows(): number {
    return this.special;
  }

  /** Sorted positions from `position` on hold other roots than before. */
  rootsMovedFrom(position: number): void {
    if (position < this.valid) this.valid = position;
  }

  /** The root words of the root at span `index` changed. */
  rootWordsChanged(index: number): void {
    if (index >= this.summarizedSpans) return; // no row yet: it will be computed as new
    if (this.dirty.length < MAX_DIRTY_ROOTS) this.dirty.push(index);
    else this.valid = 0;
  }

  /** The rows, brought up to date. */
  refresh(endpoints: EndpointTable): Int32Array {
    const bucket = this.bucket;
    const n = bucket.rootCount;
    const dirty = this.dirty;
    if (this.valid >= n && dirty.length === 0) return this.rows;
    if (this.rows.length < 2 * n) {
      const grown = bucket.pool.int32(2 * bucket.roots.length);
      grown.set(this.rows.subarray(0, 2 * this.valid));
      bucket.pool.free(this.rows);
      this.rows = grown;
    }
    const valid = this.valid;
    for (const index of dirty) {
      const k = bucket.positionOfRoot(index, valid);
      if (k >= 0) this.writeRow(k, endpoints);
    }
    for (let k = valid; k < n; k++) this.writeRow(k, endpoints);
    const summary = this.rows;
    let special = 0;
    for (let k = 0; k < n; k++) {
      const s1 = summary[2 * k + 1]!;
      if (
        (s1 & SUMMARY_RECOMPUTE) !== 0 ||
        (s1 & SUMMARY_DURATION_MASK) === SUMMARY_DURATION_MASK ||
        ((s1 >>> SUMMARY_ROOT_SERVICE_SHIFT) & SUMMARY_ROOT_SERVICE_MASK) === SUMMARY_ROOT_SERVICE_MASK
      ) {
        special++;
      }
    }
    this.special = special;
    this.valid = n;
    this.summarizedSpans = bucket.count;
    dirty.length = 0;
    this.countCache.clear();
    return summary;
  }

  /** Writes row k from the root words and columns of the root at sorted position k. */
  private writeRow(k: number, endpoints: EndpointTable): void {
    const bucket = this.bucket;
    const index = bucket.roots[k]!;
    const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
    const at = index & SPAN_CHUNK_MASK;
    const words = chunk.parentId;
    const o = at * 4;
    const state = words[o + ROOT_STATE]!;
    const duration = chunk.duration[at]!;
    const ms = duration !== LONG_DURATION ? Math.floor(duration / 1_000_000) : bucket.durationMs(index);
    const rootService = endpoints.serviceOf[chunk.endpoint[at]!]!;
    let packed = Math.min(ms, SUMMARY_DURATION_MASK) | (Math.min(rootService, SUMMARY_ROOT_SERVICE_MASK) << SUMMARY_ROOT_SERVICE_SHIFT);
    if ((state & STATE_ERROR) !== 0) packed |= SUMMARY_ERROR;
    if ((state & STATE_MISSING_MASK) !== 0) packed |= SUMMARY_PARTIAL;
    if ((state & STATE_RECOMPUTE) !== 0) packed |= SUMMARY_RECOMPUTE;
    if (words[o + ROOT_BLOOM] !== 0) packed |= SUMMARY_BLOOM;
    this.rows[2 * k] = (words[o + ROOT_SERVICES]! & 0xffff) | (words[o + ROOT_OPERATIONS]! << 16);
    this.rows[2 * k + 1] = packed;
  }

  /**
   * countSummaryMatches over the refreshed rows, remembered until the summary next changes
   * (repeated searches, pages) for ranges of at least `minRows` rows.
   */
  cachedCount(from: number, to: number, f: ScanFilter, minRows: number): number {
    if (to - from < minRows) return countSummaryMatches(this.rows, from, to, f);
    const key = `${f.key}|${from}|${to}`;
    let count = this.countCache.get(key);
    if (count === undefined) {
      count = countSummaryMatches(this.rows, from, to, f);
      if (this.countCache.size >= 64) this.countCache.clear();
      this.countCache.set(key, count);
    }
    return count;
  }

  /** Gives the rows back to the pool, with the bucket's other columns. */
  dispose(): void {
    this.bucket.pool.free(this.rows);
    this.rows = new Int32Array(0);
  }

  bytes(): number {
    return this.rows.byteLength;
  }
}

/** A compiled filter as the summary scan reads it: plain numbers, neutral when unused. */
export interface ScanFilter {
  /** Identifies the filter for the count cache. */
  key: string;
  stateMask: number;
  stateWant: number;
  names: number;
  rootServiceId: number;
  rootServiceMask: number;
  rootServiceWant: number;
  hasDuration: boolean;
  minMs: number;
  maxMs: number;
  needsRootWords: boolean;
  serviceBloom: number;
}

export function scanFilterOf(f: CompiledFilter | undefined): ScanFilter {
  let stateMask = SUMMARY_RECOMPUTE;
  let stateWant = 0;
  if (f !== undefined && f.status !== 0) {
    stateMask |= SUMMARY_ERROR;
    if (f.status === 2) stateWant |= SUMMARY_ERROR;
  }
  if (f !== undefined && f.partial !== 0) {
    stateMask |= SUMMARY_PARTIAL;
    if (f.partial === 2) stateWant |= SUMMARY_PARTIAL;
  }
  const rootServiceId = f?.rootServiceId ?? -1;
  const minMs = f?.minMs ?? 0;
  const maxMs = f?.hasDuration ? f.maxMs : SUMMARY_DURATION_MASK;
  return {
    key: `${stateMask}|${stateWant}|${f?.summaryNames ?? 0}|${rootServiceId}|${minMs}|${maxMs}`,
    stateMask,
    stateWant,
    names: f?.summaryNames ?? 0,
    rootServiceId,
    // A root service id past the summary's field is never stored there: such a filter matches
    // only saturated rows, which are special and take the branchy path.
    rootServiceMask: rootServiceId >= 0 ? SUMMARY_ROOT_SERVICE_MASK : 0,
    rootServiceWant: rootServiceId >= 0 ? Math.min(rootServiceId, SUMMARY_ROOT_SERVICE_MASK) : 0,
    hasDuration: f?.hasDuration ?? false,
    minMs,
    maxMs,
    needsRootWords: f?.needsRootWords ?? false,
    serviceBloom: f?.serviceBloom ?? 0,
  };
}

/**
 * Summary rows in [from, to) that match, for a bucket without special rows. Branch-free per
 * row: a filter matching half the rows would otherwise mispredict every other one.
 */
export function countSummaryMatches(summary: Int32Array, from: number, to: number, f: ScanFilter): number {
  const stateMask = f.stateMask | 0;
  const stateWant = f.stateWant | 0;
  const names = f.names | 0;
  let count = 0;
  if (f.rootServiceId < 0 && !f.hasDuration) {
    // Status, partial, services and operations only: the common searches.
    for (let k = from; k < to; k++) {
      const miss = ((summary[2 * k + 1]! & stateMask) ^ stateWant) | ((summary[2 * k]! & names) ^ names);
      count += ((miss | -miss) >>> 31) ^ 1;
    }
    return count;
  }
  const rootServiceMask = f.rootServiceMask;
  const rootServiceWant = f.rootServiceWant;
  const minMs = f.minMs;
  const maxMs = f.maxMs;
  for (let k = from; k < to; k++) {
    const s0 = summary[2 * k]!;
    const s1 = summary[2 * k + 1]!;
    const ms = s1 & SUMMARY_DURATION_MASK;
    const miss =
      ((s1 & stateMask) ^ stateWant) |
      ((s0 & names) ^ names) |
      (((s1 >>> SUMMARY_ROOT_SERVICE_SHIFT) & rootServiceMask) ^ rootServiceWant) |
      (+(ms < minMs) | +(ms > maxMs));
    count += ((miss | -miss) >>> 31) ^ 1;
  }
  return count;
}
