/**
 * GET /traces: that `total` counts what it must, that paging yields every
 * trace once and in start_time order, and that each listed summary matches
 * what was sent.
 */
import { asBigInt, asSafeInt, isJsonObject, type JsonObject } from './json.js';
import { verdictOf, type TraceRecord } from './ledger.js';
import { bigintReplacer, show } from './verify-report.js';
import { DEFAULT_PAGE_SIZE, NS_PER_S, startOf, type TraceApi, type VerifyRun } from './verify-run.js';

/** Head room when a count has to be restricted to traces that cannot age out meanwhile. */
const FILTER_HEADROOM_NS = 10n * NS_PER_S;

interface Listed {
  summary: JsonObject;
  start: bigint;
}

/** The listing and `total`, with the request intervals they were read in. */
export interface ListingRead {
  listing: Map<string, Listed>;
  listWindow: { ta: bigint; tb: bigint };
  totalWindow: { ta: bigint; tb: bigint };
  /** Set when `total` had to be read with after=… (traces sat at the window edge). */
  totalAfter: bigint | undefined;
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
async function listAll(run: VerifyRun): Promise<Map<string, Listed>> {
  const { api, problems, report } = run;
  const pageSize = run.opts.pageSize ?? DEFAULT_PAGE_SIZE;
  const signal = run.opts.signal;
  const seen = new Map<string, Listed>();
  let before: bigint | undefined;
  let previous: bigint | undefined;
  for (let pages = 0; ; pages += 1) {
    if (pages > 100_000) throw new ListingError('paging does not terminate');
    const page = await listPage(api, { limit: pageSize, before }, signal);
    for (const item of page) {
      const id = item.summary.trace_id as string;
      if (previous !== undefined && item.start > previous) {
        report.listErrors += 1;
        problems.add(`GET /traces is not ordered by start_time desc: ${item.start} after ${previous}`);
      }
      previous = item.start;
      if (seen.has(id)) {
        report.listErrors += 1;
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
        report.listErrors += 1;
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

/** Bounds for a count over traces with start >= after, taken during [ta, tb]. */
function countBounds(run: VerifyRun, after: bigint | undefined, ta: bigint, tb: bigint) {
  const inRange = (r: TraceRecord): boolean => after === undefined || startOf(r) >= after;
  const must = run.mustList.filter((r) => inRange(r) && run.zone(startOf(r), ta, tb) === 'present');
  const unsure = run.mustList.filter((r) => inRange(r) && run.zone(startOf(r), ta, tb) === 'either');
  const maybe = run.mayList.filter((r) => inRange(r) && run.zone(startOf(r), ta, tb) !== 'absent');
  return { min: must.length, max: must.length + unsure.length + maybe.length, unsure, maybe: maybe.length };
}

/**
 * Reads and checks `total`, then pages through the whole listing. A listing
 * that cannot be read is a list error, and leaves nothing to compare.
 */
export async function readTotalAndListing(run: VerifyRun): Promise<ListingRead | undefined> {
  const { api, opts, report, problems } = run;
  try {
    // Unfiltered first; if traces sit at the window edge the count depends on
    // exactly when the server evicts, so count again from a point that
    // cannot age out during the request.
    let totalAfter: bigint | undefined;
    let t = await run.timed(() => fetchTotal(api, undefined, opts.signal));
    let bounds = countBounds(run, undefined, t.ta, t.tb);
    if (bounds.unsure.length > 0) {
      totalAfter = opts.clock() - run.windowNs + run.skewNs + FILTER_HEADROOM_NS;
      const after = totalAfter;
      t = await run.timed(() => fetchTotal(api, after, opts.signal));
      bounds = countBounds(run, after, t.ta, t.tb);
      report.totalFilteredAfter = after;
    }
    for (const r of bounds.unsure) run.edgeSkipped.add(r.trace.trace_id);
    const totalWindow = { ta: t.ta, tb: t.tb };
    report.found = t.value;
    report.expected = bounds.min;
    report.uncertain = bounds.maybe;
    report.totalOk = t.value >= bounds.min && t.value <= bounds.max;
    if (!report.totalOk) {
      const slack = bounds.max - bounds.min;
      problems.add(`total ${t.value} but ${bounds.min} traces expected${slack > 0 ? ` (up to ${bounds.max} allowed: uncertain or at the window edge)` : ''}`);
    }

    const l = await run.timed(() => listAll(run));
    report.listed = l.value.size;
    return { listing: l.value, listWindow: { ta: l.ta, tb: l.tb }, totalWindow, totalAfter };
  } catch (err) {
    report.listErrors += 1;
    problems.add(err instanceof Error ? err.message : String(err));
    return undefined;
  }
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

/**
 * The listing against what was sent: nothing listed that should not be,
 * nothing missing that must be there, every summary exact, and as many
 * traces as `total` said.
 */
export function checkListing(run: VerifyRun, read: ListingRead): void {
  const { report, problems, zone } = run;
  const { listing, totalAfter } = read;
  const { ta, tb } = read.listWindow;
  for (const [id, item] of listing) {
    const rec = run.byId.get(id);
    const verdict = rec === undefined ? undefined : verdictOf(rec);
    if (rec === undefined || verdict === 'absent') {
      run.unexpected.add(id);
      problems.add(rec === undefined ? `listed trace ${id} was never sent (is the server fresh?)` : `listed trace ${id} whose root was refused`);
    } else if (zone(startOf(rec), ta, tb) === 'absent') {
      run.unexpected.add(id);
      problems.add(`listed trace ${id} started ${item.start}, more than the window + ${run.lagNs / NS_PER_S}s ago`);
    }
  }
  for (const rec of run.mustList) {
    const id = rec.trace.trace_id;
    const item = listing.get(id);
    if (item === undefined) {
      const z = zone(startOf(rec), ta, tb);
      if (z === 'present') {
        run.missingIds.add(id);
        problems.add(`trace ${id} (start ${startOf(rec)}) is not listed`);
      } else if (z === 'either') {
        run.edgeSkipped.add(id);
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
  const span = { ta: read.totalWindow.ta, tb };
  const stable = [...run.mustList, ...run.mayList].every(
    (r) => (totalAfter !== undefined && startOf(r) < totalAfter) || zone(startOf(r), span.ta, span.tb) !== 'either',
  );
  if (stable && report.found !== undefined) {
    const counted = [...listing.values()].filter((i) => totalAfter === undefined || i.start >= totalAfter).length;
    if (counted !== report.found) {
      report.listErrors += 1;
      problems.add(`paging GET /traces yields ${counted} traces but total says ${report.found}`);
    }
  }
}
