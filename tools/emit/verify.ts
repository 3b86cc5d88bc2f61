/**
 * Strict post-run verification against the Traced contract.
 *
 * Upstream only compares `total` and spot-checks 10% of span counts; here
 * every trace is checked: presence, exact span-id set, every span field,
 * and its list summary (times to the digit).
 */
import type { GetResult } from './client.js';
import { asBigInt, asSafeInt, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { verdictOf, type TraceRecord } from './ledger.js';
import type { Span } from './traffic.js';

export interface TraceApi {
  get(pathAndQuery: string, signal?: AbortSignal): Promise<GetResult>;
}

export interface VerifyOptions {
  /** Unix ns now, read before and after every request to time-stamp it. */
  clock: () => bigint;
  windowMinutes: number;
  concurrency: number;
  signal?: AbortSignal;
  /** How far the server's clock may run ahead of ours. */
  clockSkewNs?: bigint;
  /** How late the server may evict a trace that left the window (plus skew the other way). */
  evictionLagNs?: bigint;
  pageSize?: number;
  /** Stop collecting example problems after this many. */
  maxExamples?: number;
}

export interface VerifyReport {
  /**
   * Traces `total` must count: root stored and surely inside the window while
   * `total` was read (only those starting at or after totalFilteredAfter, if set).
   */
  expected: number;
  /** `total` as reported by the server. */
  found: number | undefined;
  /** Number of distinct traces obtained by paging GET /traces. */
  listed: number;
  missing: number;
  spanMismatches: number;
  summaryMismatches: number;
  /** Span fields other than the id (times, parent, status, tags) or order differ. */
  detailMismatches: number;
  /** Listed traces we never sent, whose root was refused, or that should have been evicted. */
  unexpected: number;
  /** The listing broke the contract: ordering, duplicates, paging, total vs listed. */
  listErrors: number;
  /** Traces we could not check (transport errors, deadline). */
  unchecked: number;
  /** Traces whose root delivery is unknown (5xx / broken connection): tolerated either way. */
  uncertain: number;
  /** Traces that were neither surely inside nor surely outside the window when checked. */
  edgeSkipped: number;
  /** `total` was read with after=… because some traces sat at the window edge. */
  totalFilteredAfter: bigint | undefined;
  totalOk: boolean;
  examples: string[];
  passed: boolean;
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
export const DEFAULT_EVICTION_LAG_NS = 10n * NS_PER_S;
export const DEFAULT_CLOCK_SKEW_NS = 2n * NS_PER_S;
/** Head room when a count has to be restricted to traces that cannot age out meanwhile. */
const FILTER_HEADROOM_NS = 10n * NS_PER_S;
export const DEFAULT_PAGE_SIZE = 1000;

export function formatReport(r: VerifyReport): string {
  return [
    `expected=${r.expected}`,
    `found=${r.found ?? 'n/a'}`,
    `missing=${r.missing}`,
    `span_mismatches=${r.spanMismatches}`,
    `summary_mismatches=${r.summaryMismatches}`,
    `detail_mismatches=${r.detailMismatches}`,
    `unexpected=${r.unexpected}`,
    `listed=${r.listed}`,
    `list_errors=${r.listErrors}`,
    `unchecked=${r.unchecked}`,
    `uncertain=${r.uncertain}`,
    `edge_skipped=${r.edgeSkipped}`,
  ].join(' ');
}

interface Listed {
  summary: JsonObject;
  start: bigint;
}

class Problems {
  readonly examples: string[] = [];
  constructor(private readonly max: number) {}
  add(message: string): void {
    if (this.examples.length < this.max) this.examples.push(message);
  }
}

function query(params: Record<string, string | number | bigint | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) if (v !== undefined) parts.push(`${k}=${v.toString()}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

class ListingError extends Error {}

async function listPage(api: TraceApi, params: { limit: number; after?: bigint; before?: bigint }, signal?: AbortSignal): Promise<Listed[]> {
  const path = `/traces${query(params)}`;
  const res = await api.get(path, signal);
  if (res.status !== 200) throw new ListingError(`GET ${path} answered ${res.status}: ${res.text.slice(0, 200)}`);
  if (!isJsonObject(res.body) || !Array.isArray(res.body.traces)) throw new ListingError(`GET ${path}: body has no traces array`);
  const out: Listed[] = [];
  for (const item of res.body.traces) {
    const start = isJsonObject(item) ? asBigInt(item.start_time) : undefined;
    if (!isJsonObject(item) || typeof item.trace_id !== 'string' || start === undefined) {
      throw new ListingError(`GET ${path}: malformed summary ${JSON.stringify(item, bigintReplacer).slice(0, 200)}`);
    }
    out.push({ summary: item, start });
  }
  return out;
}

/**
 * Every trace the listing holds, by paging on `before` (exclusive). Several
 * traces can share one start_time; if such a group straddles a page
 * boundary, `before=S` would skip the part not yet seen, so at each
 * boundary the whole group is fetched with after=S&before=S+1.
 */
async function listAll(
  api: TraceApi,
  pageSize: number,
  problems: Problems,
  counters: { listErrors: number },
  signal?: AbortSignal,
): Promise<Map<string, Listed>> {
  const seen = new Map<string, Listed>();
  let before: bigint | undefined;
  let previous: bigint | undefined;
  for (let pages = 0; ; pages += 1) {
    if (pages > 100_000) throw new ListingError('paging does not terminate');
    const page = await listPage(api, { limit: pageSize, before }, signal);
    for (const item of page) {
      const id = item.summary.trace_id as string;
      if (previous !== undefined && item.start > previous) {
        counters.listErrors += 1;
        problems.add(`GET /traces is not ordered by start_time desc: ${item.start} after ${previous}`);
      }
      previous = item.start;
      if (seen.has(id)) {
        counters.listErrors += 1;
        problems.add(`GET /traces lists ${id} twice`);
      }
      seen.set(id, item);
    }
    if (page.length < pageSize) return seen;
    const boundary = page[page.length - 1]!.start;
    if (before !== undefined && boundary >= before) throw new ListingError(`GET /traces ignored before=${before} (got start_time ${boundary})`);
    const group = await listPage(api, { limit: pageSize, after: boundary, before: boundary + 1n }, signal);
    for (const item of group) {
      if (item.start !== boundary) {
        counters.listErrors += 1;
        problems.add(`GET /traces?after=${boundary}&before=${boundary + 1n} returned start_time ${item.start}`);
        continue;
      }
      const id = item.summary.trace_id as string;
      if (!seen.has(id)) seen.set(id, item);
    }
    if (group.length >= pageSize) throw new ListingError(`${pageSize}+ traces share start_time ${boundary}; cannot page past them`);
    before = boundary;
  }
}

async function fetchTotal(api: TraceApi, after: bigint | undefined, signal?: AbortSignal): Promise<number> {
  let path = `/traces${query({ limit: 0, after })}`;
  let res = await api.get(path, signal);
  if (res.status === 400) {
    // The contract's minimum is 1; limit=0 is our server's cheap count.
    path = `/traces${query({ limit: 1, after })}`;
    res = await api.get(path, signal);
  }
  const total = isJsonObject(res.body) ? asSafeInt(res.body.total) : undefined;
  if (res.status !== 200 || total === undefined || total < 0) throw new ListingError(`GET ${path} answered ${res.status} without a usable total: ${res.text.slice(0, 200)}`);
  return total;
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function show(v: JsonValue | undefined): string {
  if (v === undefined) return 'absent';
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v, bigintReplacer);
}

/** First difference between the list entry and what we sent, or undefined. */
export function summaryDifference(rec: TraceRecord, got: JsonObject, rootOnly: boolean): string | undefined {
  const want = rec.summary;
  if (got.root_service !== want.root_service) return `root_service ${show(got.root_service)} != ${want.root_service}`;
  if (got.root_operation !== want.root_operation) return `root_operation ${show(got.root_operation)} != ${want.root_operation}`;
  if (asBigInt(got.start_time) !== want.start_time) return `start_time ${show(got.start_time)} != ${want.start_time}`;
  if (asSafeInt(got.duration_ms) !== want.duration_ms) return `duration_ms ${show(got.duration_ms)} != ${want.duration_ms}`;
  if (rootOnly) return undefined;
  if (asSafeInt(got.span_count) !== want.span_count) return `span_count ${show(got.span_count)} != ${want.span_count}`;
  if (got.status !== want.status) return `status ${show(got.status)} != ${want.status}`;
  return undefined;
}

function tagsEqual(want: Record<string, string>, got: JsonValue | undefined): boolean {
  if (!isJsonObject(got)) return false;
  const keys = Object.keys(want);
  if (Object.keys(got).length !== keys.length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(got, k) && got[k] === want[k]);
}

/** First field of a returned span that differs from the sent one, or undefined. */
export function spanDifference(want: Span, got: JsonObject): string | undefined {
  const id = want.span_id;
  if (got.trace_id !== want.trace_id) return `span ${id}: trace_id ${show(got.trace_id)}`;
  if (want.parent_span_id === undefined) {
    if (Object.prototype.hasOwnProperty.call(got, 'parent_span_id')) return `span ${id}: root carries parent_span_id ${show(got.parent_span_id)} (must be absent)`;
  } else if (got.parent_span_id !== want.parent_span_id) {
    return `span ${id}: parent_span_id ${show(got.parent_span_id)} != ${want.parent_span_id}`;
  }
  if (got.service !== want.service) return `span ${id}: service ${show(got.service)} != ${want.service}`;
  if (got.operation !== want.operation) return `span ${id}: operation ${show(got.operation)} != ${want.operation}`;
  if (asBigInt(got.start_time) !== want.start_time) return `span ${id}: start_time ${show(got.start_time)} != ${want.start_time}`;
  if (asBigInt(got.end_time) !== want.end_time) return `span ${id}: end_time ${show(got.end_time)} != ${want.end_time}`;
  if (got.status !== want.status) return `span ${id}: status ${show(got.status)} != ${want.status}`;
  if (!tagsEqual(want.tags, got.tags)) return `span ${id}: tags ${show(got.tags)} != ${JSON.stringify(want.tags)}`;
  return undefined;
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * What the server must say about a trace, judged against the interval
 * [ta, tb] during which one request was in flight:
 * - present: inside the window for the whole interval, whatever the
 *   server's clock skew;
 * - absent: out of the window (plus eviction lag) already at ta;
 * - either: it may have aged out meanwhile — no verdict.
 * Judging each request by its own timestamps, rather than one "now" with a
 * fixed safety margin, keeps short-window runs fully checked.
 */
type Zone = 'present' | 'absent' | 'either';

export async function verify(api: TraceApi, records: Iterable<TraceRecord>, opts: VerifyOptions): Promise<VerifyReport> {
  const windowNs = BigInt(Math.round(opts.windowMinutes * 60_000)) * NS_PER_MS;
  const skew = opts.clockSkewNs ?? DEFAULT_CLOCK_SKEW_NS;
  const lag = opts.evictionLagNs ?? DEFAULT_EVICTION_LAG_NS;
  const zone = (start: bigint, ta: bigint, tb: bigint): Zone =>
    start >= tb - windowNs + skew ? 'present' : start < ta - windowNs - lag ? 'absent' : 'either';
  const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ta: bigint; tb: bigint }> => {
    const ta = opts.clock();
    const value = await fn();
    return { value, ta, tb: opts.clock() };
  };

  const problems = new Problems(opts.maxExamples ?? 20);
  const counters = { listErrors: 0 };
  const report: VerifyReport = {
    expected: 0,
    found: undefined,
    listed: 0,
    missing: 0,
    spanMismatches: 0,
    summaryMismatches: 0,
    detailMismatches: 0,
    unexpected: 0,
    listErrors: 0,
    unchecked: 0,
    uncertain: 0,
    edgeSkipped: 0,
    totalFilteredAfter: undefined,
    totalOk: false,
    examples: problems.examples,
    passed: false,
  };

  const all = [...records];
  const byId = new Map(all.map((r) => [r.trace.trace_id, r]));
  // Traces the server must hold (root delivered) and those it may hold (root fate unknown).
  const mustList = all.filter((r) => ['complete', 'partial'].includes(verdictOf(r)));
  const mayList = all.filter((r) => verdictOf(r) === 'unknown');
  const edgeSkipped = new Set<string>();
  // Counted per trace, although the listing and the detail may both show it.
  const unexpected = new Set<string>();
  const startOf = (r: TraceRecord): bigint => r.summary.start_time;

  /** Bounds for a count over traces with start >= after, taken during [ta, tb]. */
  const countBounds = (after: bigint | undefined, ta: bigint, tb: bigint) => {
    const inRange = (r: TraceRecord): boolean => after === undefined || startOf(r) >= after;
    const must = mustList.filter((r) => inRange(r) && zone(startOf(r), ta, tb) === 'present');
    const unsure = mustList.filter((r) => inRange(r) && zone(startOf(r), ta, tb) === 'either');
    const maybe = mayList.filter((r) => inRange(r) && zone(startOf(r), ta, tb) !== 'absent');
    return { min: must.length, max: must.length + unsure.length + maybe.length, unsure, maybe: maybe.length };
  };

  let totalAfter: bigint | undefined;
  let totalWindow: { ta: bigint; tb: bigint } | undefined;
  let listing: Map<string, Listed> | undefined;
  let listWindow: { ta: bigint; tb: bigint } | undefined;
  try {
    // Unfiltered first; if traces sit at the window edge the count depends on
    // exactly when the server evicts, so count again from a point that
    // cannot age out during the request.
    let t = await timed(() => fetchTotal(api, undefined, opts.signal));
    let bounds = countBounds(undefined, t.ta, t.tb);
    if (bounds.unsure.length > 0) {
      totalAfter = opts.clock() - windowNs + skew + FILTER_HEADROOM_NS;
      const after = totalAfter;
      t = await timed(() => fetchTotal(api, after, opts.signal));
      bounds = countBounds(after, t.ta, t.tb);
      report.totalFilteredAfter = after;
    }
    for (const r of bounds.unsure) edgeSkipped.add(r.trace.trace_id);
    totalWindow = { ta: t.ta, tb: t.tb };
    report.found = t.value;
    report.expected = bounds.min;
    report.uncertain = bounds.maybe;
    report.totalOk = t.value >= bounds.min && t.value <= bounds.max;
    if (!report.totalOk) {
      const slack = bounds.max - bounds.min;
      problems.add(`total ${t.value} but ${bounds.min} traces expected${slack > 0 ? ` (up to ${bounds.max} allowed: uncertain or at the window edge)` : ''}`);
    }

    const l = await timed(() => listAll(api, opts.pageSize ?? DEFAULT_PAGE_SIZE, problems, counters, opts.signal));
    listing = l.value;
    listWindow = { ta: l.ta, tb: l.tb };
    report.listed = listing.size;
  } catch (err) {
    counters.listErrors += 1;
    problems.add(err instanceof Error ? err.message : String(err));
  }

  const missingIds = new Set<string>();
  if (listing !== undefined && listWindow !== undefined && totalWindow !== undefined) {
    const { ta, tb } = listWindow;
    for (const [id, item] of listing) {
      const rec = byId.get(id);
      const verdict = rec === undefined ? undefined : verdictOf(rec);
      if (rec === undefined || verdict === 'absent') {
        unexpected.add(id);
        problems.add(rec === undefined ? `listed trace ${id} was never sent (is the server fresh?)` : `listed trace ${id} whose root was refused`);
      } else if (zone(startOf(rec), ta, tb) === 'absent') {
        unexpected.add(id);
        problems.add(`listed trace ${id} started ${item.start}, more than the window + ${lag / NS_PER_S}s ago`);
      }
    }
    for (const rec of mustList) {
      const id = rec.trace.trace_id;
      const item = listing.get(id);
      if (item === undefined) {
        const z = zone(startOf(rec), ta, tb);
        if (z === 'present') {
          missingIds.add(id);
          problems.add(`trace ${id} (start ${startOf(rec)}) is not listed`);
        } else if (z === 'either') {
          edgeSkipped.add(id);
        }
        continue;
      }
      const diff = summaryDifference(rec, item.summary, verdictOf(rec) === 'partial');
      if (diff !== undefined) {
        report.summaryMismatches += 1;
        problems.add(`summary of ${id}: ${diff}`);
      }
    }
    // The listing must hold what `total` counted — checkable when nothing
    // could age out between the two.
    const span = { ta: totalWindow.ta, tb };
    const stable = [...mustList, ...mayList].every((r) => (totalAfter !== undefined && startOf(r) < totalAfter) || zone(startOf(r), span.ta, span.tb) !== 'either');
    if (stable && report.found !== undefined) {
      const counted = [...listing.values()].filter((i) => totalAfter === undefined || i.start >= totalAfter).length;
      if (counted !== report.found) {
        counters.listErrors += 1;
        problems.add(`paging GET /traces yields ${counted} traces but total says ${report.found}`);
      }
    }
  }

  await forEachLimit(mustList, opts.concurrency, async (rec) => {
    const id = rec.trace.trace_id;
    if (opts.signal?.aborted === true) {
      report.unchecked += 1;
      return;
    }
    let t: { value: GetResult; ta: bigint; tb: bigint };
    try {
      t = await timed(() => api.get(`/traces/${id}`, opts.signal));
    } catch (err) {
      report.unchecked += 1;
      problems.add(`GET /traces/${id}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const z = zone(startOf(rec), t.ta, t.tb);
    const res = t.value;
    if (res.status === 404) {
      if (z === 'present') {
        if (!missingIds.has(id)) problems.add(`GET /traces/${id} answered 404`);
        missingIds.add(id);
      } else if (z === 'either') {
        edgeSkipped.add(id);
      }
      return;
    }
    if (z === 'absent') {
      unexpected.add(id);
      problems.add(`GET /traces/${id} still answers ${res.status} for a trace that left the window`);
      return;
    }
    const body = res.body;
    if (res.status !== 200 || !isJsonObject(body) || !Array.isArray(body.spans)) {
      report.spanMismatches += 1;
      problems.add(`GET /traces/${id} answered ${res.status}: ${res.text.slice(0, 200)}`);
      return;
    }
    // At the window edge a server that evicts span by span may already have
    // dropped the root but not the (later-starting) children: a subset is
    // then acceptable, though every span it does return must still be exact.
    if (checkDetail(rec, body, body.spans, z === 'either', report, problems) === 'edge-subset') edgeSkipped.add(id);
  });

  for (const id of missingIds) edgeSkipped.delete(id);
  report.missing = missingIds.size;
  report.unexpected = unexpected.size;
  report.edgeSkipped = edgeSkipped.size;
  report.listErrors = counters.listErrors;
  report.passed =
    report.totalOk &&
    report.missing === 0 &&
    report.spanMismatches === 0 &&
    report.summaryMismatches === 0 &&
    report.detailMismatches === 0 &&
    report.unexpected === 0 &&
    report.listErrors === 0 &&
    report.unchecked === 0;
  return report;
}

function checkDetail(
  rec: TraceRecord,
  body: JsonObject,
  spans: JsonValue[],
  atEdge: boolean,
  report: VerifyReport,
  problems: Problems,
): 'checked' | 'edge-subset' {
  const id = rec.trace.trace_id;
  const sent = new Map(rec.trace.spans.map((s) => [s.span_id, s]));
  const gotIds: string[] = [];
  for (const s of spans) if (isJsonObject(s) && typeof s.span_id === 'string') gotIds.push(s.span_id);
  const complete = verdictOf(rec) === 'complete';

  const unique = new Set(gotIds);
  const malformed = gotIds.length !== spans.length || unique.size !== gotIds.length;
  const foreign = gotIds.filter((s) => !sent.has(s));
  const lacking = complete ? [...sent.keys()].filter((s) => !unique.has(s)) : [];
  const edgeSubset = atEdge && lacking.length > 0;
  if (malformed || foreign.length > 0 || (lacking.length > 0 && !edgeSubset)) {
    const root = rec.trace.spans[0]!.span_id;
    report.spanMismatches += 1;
    problems.add(
      `spans of ${id}: ${malformed ? 'duplicate or malformed entries; ' : ''}` +
        `${foreign.length} unknown, ${lacking.length} lacking (got ${gotIds.length}, sent ${sent.size}, root ${unique.has(root) ? 'returned' : 'not returned'})`,
    );
    return 'checked';
  }

  let diff: string | undefined = body.trace_id === id ? undefined : `trace_id ${show(body.trace_id)}`;
  let previous: bigint | undefined;
  for (const s of spans as JsonObject[]) {
    if (diff !== undefined) break;
    diff = spanDifference(sent.get(s.span_id as string)!, s);
    const start = asBigInt(s.start_time);
    if (diff === undefined && previous !== undefined && start !== undefined && start < previous) diff = 'spans not ordered by start_time ascending';
    previous = start;
  }
  if (diff !== undefined) {
    report.detailMismatches += 1;
    problems.add(`detail of ${id}: ${diff}`);
  }
  return edgeSubset ? 'edge-subset' : 'checked';
}
