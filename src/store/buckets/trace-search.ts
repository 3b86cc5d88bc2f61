// Search and listing (GET /traces): the roots of the minutes in range, newest first, tested
// against the filter.
//
// Search reads each bucket's summary (search-summary.ts), 8 bytes per root in sorted order,
// refreshed before a scan only where roots moved or their words changed. Buckets whose rows all
// decide from the summary are counted without branches. A row the summary cannot decide falls
// back on the root words, and a trace whose root words may overstate (STATE_EARLY, STATE_MULTI)
// is recomputed from its spans (trace-facts.ts). Tag filters start instead from the spans holding
// the tag (the bucket's tag index), so they cost what the tag matches.

import { durationMsBetween, secondsOf, subsecondNanosOf } from '../../time/nanos.js';
import type { ListQuery, TraceFilter, TraceList, TraceSummary } from '../trace-store.js';
import type { Instant } from '../window.js';
import type { EndpointTable } from './endpoint-table.js';
import { compareRoots, cursorAt, cursorCut, isAfterCursor, type CursorAt } from './listing-order.js';
import type { MinuteRing, SpanPosition } from './minute-ring.js';
import { compileFilter, hasConditions, type CompiledFilter } from './search-filter.js';
import { scanFilterOf, type ScanFilter } from './search-summary.js';
import type { ServiceNames } from './service-names.js';
import type { SpanBucket } from './span-bucket.js';
import type { StoreState } from './store-state.js';
import { tagHash } from '../../codec/tag-hash.js';
import { factsOf, type TraceFacts } from './trace-facts.js';
import { TraceTable } from './trace-table.js';
import { uuidFromWords } from '../../codec/uuid-words.js';
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
  SUMMARY_RECOMPUTE,
  SUMMARY_ROOT_SERVICE_MASK,
  SUMMARY_ROOT_SERVICE_SHIFT,
} from './word-layout.js';

/** Shorter root ranges are counted again rather than looked up. */
const COUNT_CACHE_ROWS = 4096;

export class TraceSearch {
  private readonly traces: TraceTable;
  private readonly endpoints: EndpointTable;
  private readonly minutes: MinuteRing;
  private readonly serviceNames: ServiceNames;
  private readonly countCacheRows: number;
  private readonly scanBudget: number;
  /**
   * Work of the current search beyond the summary: spans read from chains and tag text, rows
   * tested from their root words. Past scanBudget the search stops. A row that the summary
   * decides costs a few ns and is not counted, so a listing without filters is never cut.
   */
  private scanWork = 0;
  /** scanBudget for a search with filters, unbounded for the plain listing. */
  private searchBudget = Number.POSITIVE_INFINITY;
  /** Most scan work any one search has done (tests read it against the budget). */
  maxScanWork = 0;

  constructor(
    private readonly state: StoreState,
    /** Root ranges at least this long keep their search counts between scans (tests lower it). */
    countCacheRows: number | undefined,
    /** Spans and rows one search may examine outside the summary scan; unbounded when unset. */
    scanBudget: number | undefined,
  ) {
    this.traces = state.traces;
    this.endpoints = state.endpoints;
    this.minutes = state.minutes;
    this.serviceNames = state.serviceNames;
    this.countCacheRows = countCacheRows ?? COUNT_CACHE_ROWS;
    this.scanBudget = scanBudget ?? Number.POSITIVE_INFINITY;
  }

  listTraces(query: ListQuery): TraceList {
    this.scanWork = 0;
    // The contract's listing (no filters) is exact whatever it costs: its clients compare totals.
    this.searchBudget = query.filter !== undefined && hasConditions(query.filter) ? this.scanBudget : Number.POSITIVE_INFINITY;
    const list = this.search(query);
    if (this.scanWork > this.maxScanWork) this.maxScanWork = this.scanWork;
    if (this.overBudget) list.incomplete = true;
    return list;
  }

  /** Whether the current search has spent its budget (and must stop where it is). */
  private get overBudget(): boolean {
    return this.scanWork >= this.searchBudget;
  }

  private search(query: ListQuery): TraceList {
    const edge = this.state.windowEdge();
    let lo: Instant = edge;
    if (query.after !== undefined) {
      const after = { sec: secondsOf(query.after), nsec: subsecondNanosOf(query.after) };
      if (instantBefore(lo, after)) lo = after;
    }
    const hi: Instant | undefined =
      query.before === undefined ? undefined : { sec: secondsOf(query.before), nsec: subsecondNanosOf(query.before) };
    const filter = query.filter === undefined || !hasConditions(query.filter) ? undefined : this.compile(query.filter, edge);
    if (filter?.impossible) return { total: 0, traces: [], more: false };
    const cursor = query.cursor === undefined ? undefined : cursorAt(query.cursor, this.minutes.baseMinute);
    if (filter?.tagRecords !== undefined) return this.listTagMatches(filter, filter.tagRecords, lo, hi, edge, cursor, query.limit);

    const loMinute = Math.floor(lo.sec / 60) - this.minutes.baseMinute;
    const hiMinute = hi === undefined ? Infinity : Math.floor(hi.sec / 60) - this.minutes.baseMinute;
    const buckets = this.minutes
      .live()
      .filter((b) => b.minute >= loMinute && b.minute <= hiMinute)
      .sort((a, b) => b.minute - a.minute);
    const traces: TraceSummary[] = [];
    const limit = query.limit;
    let total = 0;
    /** Matches after the cursor: the page is the first `limit` of them. */
    let afterCursor = 0;
    // Without filters, and with one root per trace, every root in range is listed: count by
    // arithmetic. Otherwise each root is tested against the bucket's search summary.
    const everyRoot = filter === undefined && this.state.multiRootTraces === 0;
    const scan = scanFilterOf(filter);
    for (const bucket of buckets) {
      bucket.sortRoots();
      const from = bucket.minute === loMinute ? bucket.lowerBound(bucket.offsetOf(lo)) : 0;
      const to = hi !== undefined && bucket.minute === hiMinute ? bucket.lowerBound(bucket.offsetOf(hi)) : bucket.rootCount;
      if (to <= from) continue;
      // Sorted positions [from, cut) come after the cursor in the listing order.
      const cut = cursor === undefined ? to : cursorCut(this.traces, bucket, cursor, from, to);
      const roots = bucket.roots;
      if (everyRoot) {
        total += to - from;
        afterCursor += cut - from;
        for (let k = cut - 1; k >= from && traces.length < limit; k--) traces.push(this.summaryOf(bucket, roots[k]!, edge));
        continue;
      }
      const summary = bucket.summary.refresh(this.endpoints);
      if (bucket.summary.specialRows === 0 && !scan.needsRootWords) {
        // The hot path: count without branches, then collect the page, if any, from the newest.
        const after = bucket.summary.cachedCount(from, cut, scan, this.countCacheRows);
        total += after + bucket.summary.cachedCount(cut, to, scan, this.countCacheRows);
        afterCursor += after;
        // The count says how many rows to find: stop there rather than at the bucket's end.
        let wanted = Math.min(after, limit - traces.length);
        for (let k = cut - 1; k >= from && wanted > 0 && !this.overBudget; k--) {
          if (!this.summaryRowMatches(summary, k, bucket, edge, filter, scan)) continue;
          traces.push(this.summaryOf(bucket, roots[k]!, edge));
          wanted--;
        }
        continue;
      }
      for (let k = to - 1; k >= from; k--) {
        if (this.overBudget) break;
        if (!this.summaryRowMatches(summary, k, bucket, edge, filter, scan)) continue;
        total++;
        if (k >= cut) continue;
        afterCursor++;
        if (traces.length < limit) traces.push(this.summaryOf(bucket, roots[k]!, edge));
      }
    }
    return { total, traces, more: limit > 0 && afterCursor > traces.length };
  }

  /** Whether summary row k matches, falling back to the root words or the spans when it cannot tell. */
  private summaryRowMatches(summary: Int32Array, k: number, bucket: SpanBucket, edge: Instant, filter: CompiledFilter | undefined, scan: ScanFilter): boolean {
    const s1 = summary[2 * k + 1]!;
    // One masked compare for status, partial and "recompute"; rows to recompute never pass it
    // (the wanted value lacks that bit).
    if ((s1 & scan.stateMask) !== scan.stateWant) {
      return (s1 & SUMMARY_RECOMPUTE) !== 0 && this.factsMatch(bucket, bucket.roots[k]!, edge, filter);
    }
    if (filter === undefined) return true;
    if ((summary[2 * k]! & scan.names) !== scan.names) return false;
    if (scan.rootServiceId >= 0) {
      const rootService = (s1 >>> SUMMARY_ROOT_SERVICE_SHIFT) & SUMMARY_ROOT_SERVICE_MASK;
      if (rootService !== SUMMARY_ROOT_SERVICE_MASK ? rootService !== scan.rootServiceId : !this.rowMatches(bucket, bucket.roots[k]!, edge, filter)) return false;
    }
    if (scan.hasDuration) {
      const ms = s1 & SUMMARY_DURATION_MASK;
      if (ms !== SUMMARY_DURATION_MASK ? ms < scan.minMs || ms > scan.maxMs : !this.rowMatches(bucket, bucket.roots[k]!, edge, filter)) return false;
    }
    if (scan.needsRootWords) {
      if (scan.serviceBloom !== 0 && (s1 & SUMMARY_BLOOM) === 0) return false;
      if (!this.rowMatches(bucket, bucket.roots[k]!, edge, filter)) return false;
    }
    return true;
  }

  /**
   * Whether the root at `index` is its trace's listed root and the trace passes the filter
   * (tags aside: listTagMatches handles them). Reads the root words only, unless the trace must
   * be recomputed or a name past the exact mask bits needs confirming.
   */
  private rowMatches(bucket: SpanBucket, index: number, edge: Instant, f: CompiledFilter | undefined): boolean {
    this.scanWork++;
    const chunk = bucket.chunks[index >>> SPAN_CHUNK_BITS]!;
    const at = index & SPAN_CHUNK_MASK;
    const words = chunk.parentId;
    const o = at * 4;
    const state = words[o + ROOT_STATE]!;
    if ((state & STATE_RECOMPUTE) !== 0) return this.factsMatch(bucket, index, edge, f);
    if (f === undefined) return true;
    if (f.status !== 0 && ((state & STATE_ERROR) !== 0) !== (f.status === 2)) return false;
    if (f.partial !== 0 && ((state & STATE_MISSING_MASK) !== 0) !== (f.partial === 2)) return false;
    if (f.rootServiceId >= 0 && this.endpoints.serviceOf[chunk.endpoint[at]!] !== f.rootServiceId) return false;
    if (f.hasDuration) {
      const d = chunk.duration[at]!;
      if (d !== LONG_DURATION) {
        if (d < f.minNs || d >= f.maxNsExclusive) return false;
      } else {
        const ms = bucket.durationMs(index);
        if (ms < f.minMs || ms > f.maxMs) return false;
      }
    }
    if (f.serviceBit !== 0) {
      if ((words[o + ROOT_SERVICES]! & f.serviceBit) === 0) return false;
    } else if (f.serviceBloom !== 0) {
      if ((words[o + ROOT_BLOOM]! & f.serviceBloom) === 0) return false;
      if (!this.facts(chunk.trace[at]!, edge).services.has(f.serviceId)) return false;
    }
    if (f.operationBit !== 0) {
      if ((words[o + ROOT_OPERATIONS]! & f.operationBit) === 0) return false;
    } else if (f.operationBloom !== 0) {
      if ((words[o + ROOT_BLOOM]! & f.operationBloom) === 0) return false;
      if (!this.facts(chunk.trace[at]!, edge).operations.has(f.operationId)) return false;
    }
    return true;
  }

  /** rowMatches for a trace recomputed from its spans. */
  private factsMatch(bucket: SpanBucket, index: number, edge: Instant, f: CompiledFilter | undefined): boolean {
    const facts = this.facts(bucket.chunk(index).trace[index & SPAN_CHUNK_MASK]!, edge);
    const root = facts.root;
    if (root === undefined || root.bucket !== bucket || root.index !== index) return false;
    if (f === undefined) return true;
    if (f.status !== 0 && facts.errors > 0 !== (f.status === 2)) return false;
    if (f.partial !== 0 && facts.partial !== (f.partial === 2)) return false;
    if (f.rootServiceId >= 0 && this.endpoints.serviceOf[root.bucket.chunk(root.index).endpoint[root.index & SPAN_CHUNK_MASK]!] !== f.rootServiceId) return false;
    if (f.hasDuration) {
      const ms = bucket.durationMs(index);
      if (ms < f.minMs || ms > f.maxMs) return false;
    }
    if (f.serviceId >= 0 && !facts.services.has(f.serviceId)) return false;
    if (f.operationId >= 0 && !facts.operations.has(f.operationId)) return false;
    return true;
  }

  /** factsOf (trace-facts.ts), counted against the search budget. */
  private facts(rec: number, edge: Instant): TraceFacts {
    const facts = factsOf(this.state, rec, edge);
    this.scanWork += facts.spans.length;
    return facts;
  }

  /** The filter compiled, with the records holding every tag pair when tags are asked for. */
  private compile(filter: TraceFilter, edge: Instant): CompiledFilter {
    const f = compileFilter(filter, this.endpoints);
    if (f.impossible) return f;
    for (const { key, value } of filter.tags ?? []) {
      const records = this.recordsWithTag(key, value, edge);
      if (f.tagRecords !== undefined) for (const rec of f.tagRecords) if (!records.has(rec)) f.tagRecords.delete(rec);
      f.tagRecords ??= records;
      if (f.tagRecords.size === 0) {
        f.impossible = true;
        break;
      }
    }
    return f;
  }

  /** Trace records with a span in the window whose tags hold key = value exactly. */
  private recordsWithTag(key: string, value: string, edge: Instant): Set<number> {
    const records = new Set<number>();
    const hash = tagHash(key, value);
    // `"key":"value"` as JSON.stringify writes it inside the stored tag text.
    const member = Buffer.from(JSON.stringify(key) + ':' + JSON.stringify(value), 'utf8');
    for (const bucket of this.minutes.live()) {
      if (bucket.tagIndex === undefined) continue;
      const edgeOffset = bucket.offsetOf(edge);
      for (const index of bucket.tagIndex.spansWith(hash)) {
        if (this.scanWork++ >= this.searchBudget) return records;
        const chunk = bucket.chunk(index);
        const at = index & SPAN_CHUNK_MASK;
        if (chunk.startOffset[at]! < edgeOffset) continue;
        if (bucket.tagsHaveMember(index, member)) records.add(chunk.trace[at]!);
      }
    }
    return records;
  }

  /** Search with tag filters: from the traces holding the tags rather than from every root. */
  private listTagMatches(
    f: CompiledFilter,
    records: Set<number>,
    lo: Instant,
    hi: Instant | undefined,
    edge: Instant,
    cursor: CursorAt | undefined,
    limit: number,
  ): TraceList {
    const hits: SpanPosition[] = [];
    for (const rec of records) {
      if (this.overBudget) break;
      const root = this.facts(rec, edge).root;
      if (root === undefined) continue;
      const start = root.bucket.startInstant(root.index);
      if (instantBefore(start, lo) || (hi !== undefined && !instantBefore(start, hi))) continue;
      if (this.rowMatches(root.bucket, root.index, edge, f)) hits.push(root);
    }
    // Listing order: start descending, trace id ascending.
    hits.sort((a, b) => -compareRoots(a.bucket, a.index, b.bucket, b.index));
    let first = 0;
    if (cursor !== undefined) {
      while (first < hits.length && !isAfterCursor(this.traces, hits[first]!.bucket, hits[first]!.index, cursor)) first++;
    }
    const page = hits.slice(first, first + limit);
    return {
      total: hits.length,
      traces: page.map((p) => this.summaryOf(p.bucket, p.index, edge)),
      more: limit > 0 && hits.length - first > limit,
    };
  }

  private summaryOf(bucket: SpanBucket, index: number, edge: Instant): TraceSummary {
    const chunk = bucket.chunk(index);
    const at = index & SPAN_CHUNK_MASK;
    const rec = chunk.trace[at]!;
    const traceChunk = this.traces.chunkOf(rec);
    const off = TraceTable.offset(rec);
    const words = chunk.parentId;
    const o = at * 4;
    let spanCount: number;
    let errors: number;
    let partial: boolean;
    let services: string[];
    if ((words[o + ROOT_STATE]! & STATE_RECOMPUTE) === 0) {
      spanCount = traceChunk.spanCount[off]!;
      errors = traceChunk.errorCount[off]!;
      partial = (words[o + ROOT_STATE]! & STATE_MISSING_MASK) !== 0;
      services =
        (words[o + ROOT_BLOOM]! & 0xffff) === 0 ? this.serviceNames.ofMask(words[o + ROOT_SERVICES]!) : this.serviceNames.of(this.facts(rec, edge).services);
    } else {
      // Some spans may sit below the window edge or in released buckets: count exactly.
      const facts = this.facts(rec, edge);
      spanCount = facts.spans.length;
      errors = facts.errors;
      partial = facts.partial;
      services = this.serviceNames.of(facts.services);
    }
    const endpoint = chunk.endpoint[at]!;
    const start = bucket.startText(index);
    const duration = chunk.duration[at]!;
    return {
      trace_id: uuidFromWords(traceChunk.idWords, off * 4),
      root_service: this.endpoints.services[endpoint]!,
      root_operation: this.endpoints.operations[endpoint]!,
      span_count: spanCount,
      duration_ms:
        duration === LONG_DURATION ? durationMsBetween(start, bucket.longEnds.get(index)!) : Math.floor(duration / 1_000_000),
      start_time: start,
      status: errors > 0 ? 'error' : 'ok',
      services,
      error_count: errors,
      partial,
    };
  }
}

function instantBefore(a: Instant, b: Instant): boolean {
  return a.sec < b.sec || (a.sec === b.sec && a.nsec < b.nsec);
}
