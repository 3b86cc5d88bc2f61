// Everything that defines what the dashboard shows lives in the page's query string, so a view
// can be shared by copying the address: the view, the trace and span open, the filters, the time
// range (a rolling "last 15m" or a fixed after/before pair in nanoseconds), and chart options.
// Defaults are left out of the URL to keep shared links short.

export type ViewName = 'live' | 'trace' | 'services' | 'map';
export type StatusFilter = '' | 'ok' | 'error';
export type ColorBy = 'status' | 'service';

export interface Filters {
  service: string;
  operation: string;
  status: StatusFilter;
  /** Inclusive bounds on the trace's duration in ms; undefined when unset. */
  minMs: number | undefined;
  maxMs: number | undefined;
  /** `key:value` pairs; a trace must carry all of them. */
  tags: string[];
  /** Only traces with a span whose parent never arrived. */
  partialOnly: boolean;
}

export type TimeRange =
  | { kind: 'live'; lastMs: number }
  | { kind: 'fixed'; after: string; before: string };

export interface ViewState {
  view: ViewName;
  traceId: string | undefined;
  spanId: string | undefined;
  filters: Filters;
  range: TimeRange;
  colorBy: ColorBy;
  logY: boolean;
}

export const DEFAULT_LAST_MS = 15 * 60_000;

export const EMPTY_FILTERS: Filters = {
  service: '',
  operation: '',
  status: '',
  minMs: undefined,
  maxMs: undefined,
  tags: [],
  partialOnly: false,
};

export const DEFAULT_VIEW: ViewState = {
  view: 'live',
  traceId: undefined,
  spanId: undefined,
  filters: EMPTY_FILTERS,
  range: { kind: 'live', lastMs: DEFAULT_LAST_MS },
  colorBy: 'status',
  logY: false,
};

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "15m" → 900000; undefined for anything else. */
export function parseSpan(text: string): number | undefined {
  const m = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (m === null) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms > 0 ? ms : undefined;
}

/** 900000 → "15m": the largest unit that divides evenly. */
export function formatSpan(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  }
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

function optionalNumber(text: string | null): number | undefined {
  if (text === null || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

const NS = /^\d{1,19}$/;

export function parseViewState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const viewParam = q.get('view');
  const view: ViewName =
    viewParam === 'trace' || viewParam === 'services' || viewParam === 'map' ? viewParam : 'live';
  const status = q.get('status');
  const after = q.get('after');
  const before = q.get('before');
  let range: TimeRange = { kind: 'live', lastMs: parseSpan(q.get('last') ?? '') ?? DEFAULT_LAST_MS };
  if (after !== null && before !== null && NS.test(after) && NS.test(before) && BigInt(after) < BigInt(before)) {
    range = { kind: 'fixed', after, before };
  }
  const traceId = q.get('trace')?.trim().toLowerCase() || undefined;
  return {
    view: view === 'trace' && traceId === undefined ? 'live' : view,
    traceId,
    spanId: q.get('span')?.trim().toLowerCase() || undefined,
    filters: {
      service: q.get('service') ?? '',
      operation: q.get('operation') ?? '',
      status: status === 'ok' || status === 'error' ? status : '',
      minMs: optionalNumber(q.get('min_ms')),
      maxMs: optionalNumber(q.get('max_ms')),
      tags: q.getAll('tag').filter((t) => t.includes(':')),
      partialOnly: q.get('partial') === '1',
    },
    range,
    colorBy: q.get('color') === 'service' ? 'service' : 'status',
    logY: q.get('log') === '1',
  };
}

/** The query string for a state (without "?"), defaults omitted, in a stable order. */
export function formatViewState(state: ViewState): string {
  const q = new URLSearchParams();
  if (state.view !== 'live') q.set('view', state.view);
  if (state.view === 'trace' && state.traceId !== undefined) q.set('trace', state.traceId);
  if (state.view === 'trace' && state.spanId !== undefined) q.set('span', state.spanId);
  const f = state.filters;
  if (f.service !== '') q.set('service', f.service);
  if (f.operation !== '') q.set('operation', f.operation);
  if (f.status !== '') q.set('status', f.status);
  if (f.minMs !== undefined) q.set('min_ms', String(f.minMs));
  if (f.maxMs !== undefined) q.set('max_ms', String(f.maxMs));
  for (const tag of f.tags) q.append('tag', tag);
  if (f.partialOnly) q.set('partial', '1');
  if (state.range.kind === 'fixed') {
    q.set('after', state.range.after);
    q.set('before', state.range.before);
  } else if (state.range.lastMs !== DEFAULT_LAST_MS) {
    q.set('last', formatSpan(state.range.lastMs));
  }
  if (state.colorBy !== 'status') q.set('color', state.colorBy);
  if (state.logY) q.set('log', '1');
  return q.toString();
}

export function filtersActive(f: Filters): boolean {
  return (
    f.service !== '' ||
    f.operation !== '' ||
    f.status !== '' ||
    f.minMs !== undefined ||
    f.maxMs !== undefined ||
    f.tags.length > 0 ||
    f.partialOnly
  );
}
