// The differential test's vocabulary, shared with the replay-equivalence test
// (test/ingest-log/replay-equivalence.test.ts): random commands (ingest, clock moves, eviction,
// queries), how a command's seeds become spans and queries, and the comparisons of two stores.
import fc from 'fast-check';
import { expect } from 'vitest';
import type { LatencyStats } from '../../src/store/sketch.js';
import type {
  DependencyReport,
  IngestSpan,
  LatencyReport,
  ListPosition,
  ListQuery,
  RangeQuery,
  TraceFilter,
  TraceStore,
} from '../../src/store/trace-store.js';
import { uuid } from '../support/spans.js';

export const T0 = Date.UTC(2026, 10, 21, 12, 0, 30, 250);
export const WINDOW_MINUTES = 2;
export const TRACE_PREFIX = 0xabc;

/**
 * Narrow: three services and eight operation names, all with exact mask bits. Wide: sixty
 * services and seventy names, so that names past the 32 exact bits take the bloom path and
 * share bloom bits with each other.
 */
export type Names = 'narrow' | 'wide';

/**
 * Raw: span ids shared between traces, parents anywhere, any start and duration (malformed
 * input, which the stores must still agree on). Tidy: well-formed traces as SDKs send them,
 * so that most roots take the search's fast paths.
 */
export type Shape = 'raw' | 'tidy';

export type Command =
  | { kind: 'ingest'; spans: SpanSeed[] }
  | { kind: 'unsampled'; spans: SpanSeed[] }
  | { kind: 'advance'; ms: number }
  | { kind: 'evict' }
  | { kind: 'list'; limit: number; after?: number; before?: number; filter: FilterSeed; cursor: CursorSeed }
  | { kind: 'repeat' }
  | { kind: 'get'; trace: number }
  | { kind: 'latency'; after?: number; before?: number }
  | { kind: 'dependencies'; after?: number; before?: number };

export interface SpanSeed {
  trace: number;
  span: number;
  parent: number | null;
  /** Start relative to the clock at ingest time, in ms, plus sub-ms nanoseconds. */
  offsetMs: number;
  subNs: number;
  durationNs: bigint;
  error: boolean;
  tags: Record<string, string> | undefined;
  service: number;
  operation: number;
}

export interface FilterSeed {
  service?: number;
  rootService?: number;
  operation?: number;
  status?: 'ok' | 'error';
  minDurationMs?: number;
  maxDurationMs?: number;
  tags?: Array<{ key: string; value: string }>;
  partial?: boolean;
}

/** none; continue the previous listing's last page; or an arbitrary position. */
export type CursorSeed = { kind: 'none' } | { kind: 'continue' } | { kind: 'at'; trace: number; offsetMs: number; subNs: number };

// Keys and values that stress the tag index: JSON escaping, prototype names, and a key whose
// serialized form contains another key's ("x\"k\\" holds "k\\").
export const TAG_KEYS = ['a', '__proto__', 'constructor', 'k', 'k\\', 'x"k\\'];
export const TAG_VALUES = ['', 'x', 'y', 'a"b', 'é', 'x,"k":"y'];
export const tagValue = fc.oneof(fc.constantFrom(...TAG_VALUES), fc.string({ maxLength: 3 }));

export const spanSeed: fc.Arbitrary<SpanSeed> = fc.record({
  trace: fc.integer({ min: 0, max: 5 }),
  span: fc.integer({ min: 0, max: 7 }),
  parent: fc.option(fc.integer({ min: 0, max: 7 }), { freq: 3 }),
  // From beyond the window edge to beyond the future limit, clustered near the edges.
  offsetMs: fc.oneof(
    fc.integer({ min: -WINDOW_MINUTES * 60_000 - 2000, max: 6 * 60_000 }),
    fc.constantFrom(-WINDOW_MINUTES * 60_000, -WINDOW_MINUTES * 60_000 - 1, 0, 5 * 60_000, 5 * 60_000 + 1),
  ),
  subNs: fc.integer({ min: 0, max: 999_999 }),
  durationNs: fc.oneof(
    fc.bigInt({ min: 0n, max: 2_000_000_000n }),
    fc.constantFrom(0n, 999_999n, 1_000_000n, 4_294_967_295n, 4_294_967_296n),
    fc.bigInt({ min: 0n, max: 9_000_000_000_000_000n }),
  ),
  error: fc.boolean(),
  tags: fc.option(fc.dictionary(fc.constantFrom(...TAG_KEYS), tagValue), { nil: undefined }),
  service: fc.integer({ min: 0, max: 59 }),
  operation: fc.integer({ min: 0, max: 69 }),
});

export const filterSeed: fc.Arbitrary<FilterSeed> = fc.record(
  {
    service: fc.integer({ min: 0, max: 60 }),
    rootService: fc.integer({ min: 0, max: 60 }),
    operation: fc.integer({ min: 0, max: 70 }),
    status: fc.constantFrom('ok' as const, 'error' as const),
    minDurationMs: fc.oneof(fc.integer({ min: 0, max: 2100 }), fc.constantFrom(0, 1, 4294, 4295, 1e12)),
    maxDurationMs: fc.oneof(fc.integer({ min: 0, max: 2100 }), fc.constantFrom(0, 1, 4294, 4295, 1e12)),
    tags: fc.array(fc.record({ key: fc.constantFrom(...TAG_KEYS), value: fc.constantFrom(...TAG_VALUES) }), { minLength: 1, maxLength: 2 }),
    partial: fc.boolean(),
  },
  { requiredKeys: [] },
);

/** Filters the summary decides: known names, no tags. */
export const plainFilterSeed: fc.Arbitrary<FilterSeed> = fc.record(
  {
    service: fc.integer({ min: 0, max: 2 }),
    rootService: fc.integer({ min: 0, max: 2 }),
    operation: fc.integer({ min: 0, max: 7 }),
    status: fc.constantFrom('ok' as const, 'error' as const),
    minDurationMs: fc.integer({ min: 0, max: 2100 }),
    maxDurationMs: fc.integer({ min: 0, max: 30_000 }),
    partial: fc.boolean(),
  },
  { requiredKeys: [] },
);

export const cursorSeed: fc.Arbitrary<CursorSeed> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'continue' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('at' as const),
      trace: fc.integer({ min: 0, max: 6 }),
      offsetMs: fc.integer({ min: -WINDOW_MINUTES * 60_000 - 1000, max: 6 * 60_000 }),
      subNs: fc.constantFrom(0, 123),
    }),
  },
);

export const range = fc.record(
  {
    after: fc.integer({ min: -WINDOW_MINUTES * 60_000 - 90_000, max: 6 * 60_000 }),
    before: fc.integer({ min: -WINDOW_MINUTES * 60_000, max: 7 * 60_000 }),
  },
  { requiredKeys: [] },
);

export const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('ingest' as const), spans: fc.array(spanSeed, { minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unsampled' as const), spans: fc.array(spanSeed, { minLength: 1, maxLength: 4 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 1, max: 90_000 }), fc.constantFrom(1, 59_999, 60_000)),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'evict' as const }) },
  {
    weight: 5,
    arbitrary: fc.record(
      {
        kind: fc.constant('list' as const),
        limit: fc.integer({ min: 0, max: 12 }),
        after: fc.integer({ min: -WINDOW_MINUTES * 60_000 - 1000, max: 6 * 60_000 }),
        before: fc.integer({ min: -WINDOW_MINUTES * 60_000, max: 7 * 60_000 }),
        filter: fc.oneof({ weight: 1, arbitrary: fc.constant({}) }, { weight: 3, arbitrary: plainFilterSeed }, { weight: 2, arbitrary: filterSeed }),
        cursor: cursorSeed,
      },
      { requiredKeys: ['kind', 'limit', 'filter', 'cursor'] },
    ),
  },
  // The previous listing again, verbatim: after other commands changed what it covers.
  { weight: 2, arbitrary: fc.constant({ kind: 'repeat' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), trace: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: range.map((r) => ({ kind: 'latency' as const, ...r })) },
  { weight: 1, arbitrary: range.map((r) => ({ kind: 'dependencies' as const, ...r })) },
);

export function serviceName(names: Names, n: number): string {
  return names === 'narrow' ? ['checkout', 'payment', 'inventory', 'nobody'][Math.min(n % 4, 3)]! : `svc${n}`;
}

export function operationName(names: Names, n: number): string {
  return names === 'narrow' ? `op${n % 9}` : `op${n}`;
}

export function toSpan(seed: SpanSeed, nowMs: number, names: Names, shape: Shape = 'raw'): IngestSpan {
  if (shape === 'tidy') {
    // Span 0 is the root; span k > 0 a child of a lower span, starting k ms after the root,
    // whose start is fixed per trace and minute of the clock; durations below a minute.
    const rootMs = Math.floor(nowMs / 60_000) * 60_000 + seed.trace * 7_000;
    const start = BigInt(rootMs + seed.span) * 1_000_000n;
    return {
      traceId: uuid(seed.trace, TRACE_PREFIX),
      spanId: uuid(seed.trace * 8 + seed.span, 0x71d),
      parentSpanId: seed.span === 0 ? undefined : uuid(seed.trace * 8 + ((seed.parent ?? 0) % seed.span), 0x71d),
      service: serviceName(names, names === 'narrow' ? seed.service % 3 : seed.service),
      operation: operationName(names, names === 'narrow' ? seed.span : seed.operation),
      startTime: start.toString(),
      endTime: (start + (seed.durationNs % 30_000_000_000n)).toString(),
      error: seed.error,
      tags: seed.tags,
    };
  }
  const start = BigInt(nowMs + seed.offsetMs) * 1_000_000n + BigInt(seed.subNs);
  return {
    traceId: uuid(seed.trace, TRACE_PREFIX),
    spanId: uuid(seed.span),
    parentSpanId: seed.parent === null ? undefined : uuid(seed.parent),
    service: serviceName(names, names === 'narrow' ? seed.service % 3 : seed.service),
    operation: operationName(names, names === 'narrow' ? seed.span : seed.operation),
    startTime: start.toString(),
    endTime: (start + seed.durationNs).toString(),
    error: seed.error,
    tags: seed.tags,
  };
}

export function toFilter(seed: FilterSeed, names: Names): TraceFilter {
  const f: TraceFilter = {};
  if (seed.service !== undefined) f.service = serviceName(names, seed.service);
  if (seed.rootService !== undefined) f.rootService = serviceName(names, seed.rootService);
  if (seed.operation !== undefined) f.operation = operationName(names, seed.operation);
  if (seed.status !== undefined) f.status = seed.status;
  if (seed.minDurationMs !== undefined) f.minDurationMs = seed.minDurationMs;
  if (seed.maxDurationMs !== undefined) f.maxDurationMs = seed.maxDurationMs;
  if (seed.tags !== undefined) f.tags = seed.tags;
  if (seed.partial !== undefined) f.partial = seed.partial;
  return f;
}

export function nsRelative(nowMs: number, offsetMs: number, extraNs = 123): string {
  return (BigInt(nowMs + offsetMs) * 1_000_000n + BigInt(extraNs)).toString();
}

/** The last listing a run asked for and where its page ended, which a 'continue' cursor resumes. */
export interface PreviousListing {
  query: ListQuery;
  lastPage: ListPosition | undefined;
}

/** The query of a 'list' command at `nowMs`: its own range and filter, or the previous one continued. */
export function listQueryOf(c: Extract<Command, { kind: 'list' }>, nowMs: number, names: Names, previous: PreviousListing | undefined): ListQuery {
  if (c.cursor.kind === 'continue' && previous?.lastPage !== undefined) return { ...previous.query, limit: c.limit, cursor: previous.lastPage };
  const q: ListQuery = {
    limit: c.limit,
    after: c.after === undefined ? undefined : nsRelative(nowMs, c.after),
    before: c.before === undefined ? undefined : nsRelative(nowMs, c.before),
    filter: toFilter(c.filter, names),
  };
  if (c.cursor.kind === 'at') q.cursor = { startTime: nsRelative(nowMs, c.cursor.offsetMs, c.cursor.subNs), traceId: uuid(c.cursor.trace, TRACE_PREFIX) };
  return q;
}

/** The listing to remember after `query` was answered with `traces`. */
export function listingAfter(query: ListQuery, traces: ReadonlyArray<{ start_time: string; trace_id: string }>): PreviousListing {
  const last = traces[traces.length - 1];
  return { query, lastPage: last === undefined ? undefined : { startTime: last.start_time, traceId: last.trace_id } };
}

/** The range of a 'latency' or 'dependencies' command at `nowMs`. */
export function rangeOf(c: { after?: number; before?: number }, nowMs: number): RangeQuery {
  return {
    after: c.after === undefined ? undefined : nsRelative(nowMs, c.after),
    before: c.before === undefined ? undefined : nsRelative(nowMs, c.before),
  };
}

/** Statistics with their sketches as bins, which equal sketches of equal values share. */
export function plainStats(s: LatencyStats): unknown {
  return { spans: s.spans, errors: s.errors, maxNs: s.maxNs, count: s.sketch.count, zeros: s.sketch.zeros, bins: s.sketch.entries() };
}

export function plainLatency(r: LatencyReport): unknown {
  const rows = r.endpoints.map((e) => JSON.stringify([e.service, e.operation, plainStats(e.stats)])).sort();
  return { after: r.after, before: r.before, elapsedSeconds: r.elapsedSeconds, rows };
}

export function plainDependencies(r: DependencyReport): unknown {
  const rows = r.links.map((l) => JSON.stringify([l.parent, l.child, plainStats(l.stats)])).sort();
  return { after: r.after, before: r.before, elapsedSeconds: r.elapsedSeconds, rows };
}

/** Pages through a query with the given page size in both stores; the pages must agree, and join into the full listing. */
export async function pageThrough(fast: TraceStore, reference: TraceStore, query: Omit<ListQuery, 'limit' | 'cursor'>, pageSize: number): Promise<void> {
  const full = await reference.listTraces({ ...query, limit: 10_000 });
  const seen: string[] = [];
  let cursor: ListPosition | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const q: ListQuery = { ...query, limit: pageSize, cursor };
    const page = await reference.listTraces(q);
    expect(await fast.listTraces(q)).toEqual(page);
    expect(page.total).toBe(full.total);
    seen.push(...page.traces.map((t) => t.trace_id));
    if (!page.more) break;
    const last = page.traces[page.traces.length - 1]!;
    cursor = { startTime: last.start_time, traceId: last.trace_id };
  }
  expect(seen).toEqual(full.traces.map((t) => t.trace_id));
}

/** The spans as a POST /spans body, times as int64 literals. */
export function asBody(spans: IngestSpan[]): string {
  const members = spans.map((s) => {
    const parent = s.parentSpanId === undefined ? '' : `"parent_span_id":${JSON.stringify(s.parentSpanId)},`;
    const tags = s.tags === undefined ? '' : `,"tags":${JSON.stringify(s.tags)}`;
    return `{"trace_id":${JSON.stringify(s.traceId)},"span_id":${JSON.stringify(s.spanId)},${parent}"service":${JSON.stringify(s.service)},"operation":${JSON.stringify(s.operation)},"start_time":${s.startTime},"end_time":${s.endTime},"status":"${s.error ? 'error' : 'ok'}"${tags}}`;
  });
  return `{"spans":[${members.join(',')}]}`;
}

