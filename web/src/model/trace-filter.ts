// Filters go to the server when it has the search extension; against a contract-only server the
// dashboard applies what a trace summary can answer in the browser (root service and operation,
// status, duration) and says plainly which filters it cannot apply (tags, partial traces).

import type { TraceSummary } from '../api/types.js';
import type { Filters } from './view-state.js';

export type QueryParams = Array<[string, string]>;

/** The search-extension parameters of GET /traces for these filters. */
export function serverFilterParams(f: Filters): QueryParams {
  const params: QueryParams = [];
  if (f.service !== '') params.push(['service', f.service]);
  if (f.operation !== '') params.push(['operation', f.operation]);
  if (f.status !== '') params.push(['status', f.status]);
  // duration_ms is a whole number, so a fractional bound means the next whole one inward.
  if (f.minMs !== undefined) params.push(['min_duration_ms', String(Math.ceil(f.minMs))]);
  if (f.maxMs !== undefined) params.push(['max_duration_ms', String(Math.floor(f.maxMs))]);
  for (const tag of f.tags) params.push(['tag', tag]);
  if (f.partialOnly) params.push(['partial', 'true']);
  return params;
}

/** Whether a summary passes the filters a browser can check from the summary alone. */
export function matchesInBrowser(t: TraceSummary, f: Filters): boolean {
  if (f.service !== '' && t.root_service !== f.service && !(t.services ?? []).includes(f.service)) return false;
  if (f.operation !== '' && t.root_operation !== f.operation) return false;
  if (f.status !== '' && t.status !== f.status) return false;
  if (f.minMs !== undefined && t.duration_ms < f.minMs) return false;
  if (f.maxMs !== undefined && t.duration_ms > f.maxMs) return false;
  if (f.partialOnly && t.partial === false) return false;
  return true;
}

/** Filters a contract-only server cannot apply and the browser cannot check either. */
export function unsupportedInBrowser(f: Filters): string[] {
  const out: string[] = [];
  if (f.tags.length > 0) out.push('tag');
  if (f.partialOnly) out.push('partial');
  return out;
}
