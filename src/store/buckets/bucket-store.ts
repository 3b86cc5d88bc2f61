// The production store: spans in minute buckets of typed-array columns (span-bucket.ts), traces
// in a hash-indexed record table (trace-table.ts). This class is a façade: each role of the
// storage boundary is done by a part that takes the shared state (store-state.ts) explicitly:
//
// - span-writer.ts: apply(), the ingest hot path (chains, root words, tag index, big traces);
// - trace-search.ts: listTraces(), with its filters (search-filter.ts), summaries
//   (search-summary.ts) and cursors (listing-order.ts);
// - trace-reader.ts: getTrace();
// - minute-statistics.ts: latency() and dependencies();
// - evictor.ts: evict();
// - minute-ring.ts: the live buckets by minute, which all of them read.

import type { SpanBatch } from '../../ingest/span-batch.js';
import type { Clock } from '../../time/clock.js';
import type {
  DependencyReport,
  EvictionResult,
  IngestResult,
  LatencyReport,
  ListQuery,
  RangeQuery,
  StoreStats,
  TraceDetail,
  TraceList,
  TraceStore,
} from '../trace-store.js';
import { Evictor } from './evictor.js';
import { DEFAULT_STATS_SLICE_MERGES, dependencies, latency } from './minute-statistics.js';
import { SpanWriter } from './span-writer.js';
import { StoreState } from './store-state.js';
import { getTrace } from './trace-reader.js';
import { TraceSearch } from './trace-search.js';

export interface BucketStoreOptions {
  clock: Clock;
  windowMinutes: number;
  /** Spans whose counters one evict() call releases at most; bounds the pause. */
  releaseSliceSpans?: number;
  /** Spans past which a trace gets a span-id index for duplicate checks (tests lower it). */
  bigTraceSpans?: number;
  /** Root ranges at least this long keep their search counts between scans (tests lower it). */
  countCacheRows?: number;
  /** Distinct (service, operation) pairs held at most (endpoint-table.ts); unbounded when unset. */
  maxEndpoints?: number;
  /**
   * Spans and rows one search may examine outside the summary scan before it stops with an
   * incomplete answer (QUERY_SCAN_BUDGET); unbounded when unset.
   */
  scanBudget?: number;
  /**
   * Sketch merges a statistics query does before it yields to the event loop (the default keeps
   * a slice near 10 ms; tests lower it).
   */
  statsSliceMerges?: number;
}

export class BucketStore implements TraceStore {
  private readonly state: StoreState;
  private readonly writer: SpanWriter;
  private readonly search: TraceSearch;
  private readonly evictor: Evictor;
  private readonly statsSliceMerges: number;

  constructor(options: BucketStoreOptions) {
    this.state = new StoreState(options.clock, options.windowMinutes, options.maxEndpoints);
    this.statsSliceMerges = options.statsSliceMerges ?? DEFAULT_STATS_SLICE_MERGES;
    this.writer = new SpanWriter(this.state, options.bigTraceSpans);
    this.search = new TraceSearch(this.state, options.countCacheRows, options.scanBudget);
    this.evictor = new Evictor(this.state, options.releaseSliceSpans);
  }

  apply(batch: SpanBatch): IngestResult {
    return this.writer.apply(batch);
  }

  recordUnsampled(batch: SpanBatch): void {
    this.writer.recordUnsampled(batch);
  }

  listTraces(query: ListQuery): TraceList {
    return this.search.listTraces(query);
  }

  /** Most scan work any one search has done (tests read it against the budget, and reset it). */
  get maxScanWork(): number {
    return this.search.maxScanWork;
  }

  set maxScanWork(work: number) {
    this.search.maxScanWork = work;
  }

  getTrace(traceId: string): TraceDetail | undefined {
    return getTrace(this.state, traceId);
  }

  latency(range: RangeQuery): Promise<LatencyReport> {
    return latency(this.state, range, this.statsSliceMerges);
  }

  dependencies(range: RangeQuery): Promise<DependencyReport> {
    return dependencies(this.state, range, this.statsSliceMerges);
  }

  stats(): StoreStats {
    const { minutes, endpoints } = this.state;
    return {
      spans: this.state.heldSpans,
      traces: this.state.traces.size,
      buckets: minutes.releasing.length + minutes.liveCount(),
      bytes: this.state.pool.inUseBytes,
      endpoints: endpoints.held,
      overflowedSpans: endpoints.overflowed,
    };
  }

  /**
   * The pool that columns are carved from (block-pool.ts): bytes reserved in slabs, and bytes of
   * the blocks in use (the rest waits for reuse).
   */
  poolBytes(): { reserved: number; inUse: number } {
    return { reserved: this.state.pool.reservedBytes, inUse: this.state.pool.inUseBytes };
  }

  /** Bytes held by typed arrays (columns, trace records, hash index); excludes tag strings. */
  columnBytes(): number {
    let bytes = this.state.traces.bytes();
    for (const b of this.state.minutes.live()) bytes += b.bytes();
    for (const b of this.state.minutes.releasing) bytes += b.bytes();
    return bytes;
  }

  evict(): EvictionResult {
    return this.evictor.evict();
  }
}
