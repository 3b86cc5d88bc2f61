// Loads the traces of a time range for the scatter plot, up to a point budget, newest first.
// GET /traces returns at most 1000 per request, so larger budgets page: with the extension's
// next_cursor when the server gives one, else by moving `before` down to the oldest start time
// seen (inclusive, so traces sharing that nanosecond are not lost; duplicates are dropped).

import type { TracedApi, Params } from './client.js';
import type { Capabilities, TraceSummary } from './types.js';
import { msToNs } from '../model/ns.js';
import { matchesInBrowser, serverFilterParams } from '../model/trace-filter.js';
import type { Filters, TimeRange } from '../model/view-state.js';

export const PAGE_LIMIT = 1000;

export interface TraceWindow {
  traces: TraceSummary[];
  /** Traces in the range (matching the filters when the server applies them). */
  total: number;
  /** Fewer traces were loaded than the range holds. */
  truncated: boolean;
  /** Filters were applied by the browser to the loaded traces (contract-only server). */
  filteredInBrowser: boolean;
  afterNs: string;
  beforeNs: string | undefined;
}

export function rangeBounds(range: TimeRange, nowMs: number): { after: string; before: string | undefined } {
  if (range.kind === 'fixed') return { after: range.after, before: range.before };
  return { after: msToNs(Math.max(0, nowMs - range.lastMs)), before: undefined };
}

/** `after` and, for a fixed range, `before`: the query parameters of the extension endpoints. */
export function rangeParams(range: TimeRange, nowMs: number): Params {
  const { after, before } = rangeBounds(range, nowMs);
  const params: Params = [['after', after]];
  if (before !== undefined) params.push(['before', before]);
  return params;
}

export async function loadTraceWindow(
  api: TracedApi,
  caps: Capabilities,
  range: TimeRange,
  filters: Filters,
  maxPoints: number,
  signal?: AbortSignal,
): Promise<TraceWindow> {
  const { after, before } = rangeBounds(range, Date.now());
  const limit = Math.min(PAGE_LIMIT, maxPoints);
  const base: Params = [
    ['limit', String(limit)],
    ['after', after],
  ];
  const filterParams = caps.search ? serverFilterParams(filters) : [];
  const seen = new Set<string>();
  const traces: TraceSummary[] = [];
  let total = 0;
  let pageBefore = before;
  let cursor: string | undefined;
  for (let page = 0; traces.length < maxPoints; page++) {
    const params: Params = [...base, ...filterParams];
    if (cursor !== undefined) params.push(['cursor', cursor]);
    if (pageBefore !== undefined) params.push(['before', pageBefore]);
    const list = await api.listTraces(params, signal);
    if (page === 0) total = list.total;
    let added = 0;
    for (const t of list.traces) {
      if (seen.has(t.trace_id)) continue;
      seen.add(t.trace_id);
      traces.push(t);
      added++;
    }
    if (list.traces.length < limit || added === 0) break;
    if (list.next_cursor !== undefined) {
      cursor = list.next_cursor;
    } else {
      cursor = undefined;
      const oldest = BigInt(list.traces[list.traces.length - 1]!.start_time);
      const next = (oldest + 1n).toString();
      // No progress possible: more than a page of traces share one nanosecond.
      if (pageBefore !== undefined && BigInt(next) >= BigInt(pageBefore)) break;
      pageBefore = next;
    }
  }
  const loaded = traces.length > maxPoints ? traces.slice(0, maxPoints) : traces;
  const filteredInBrowser = !caps.search;
  const shown = filteredInBrowser ? loaded.filter((t) => matchesInBrowser(t, filters)) : loaded;
  return {
    traces: shown,
    total,
    truncated: loaded.length < total,
    filteredInBrowser,
    afterNs: after,
    beforeNs: before,
  };
}
