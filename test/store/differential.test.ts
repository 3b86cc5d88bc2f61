// The production store against the reference store: random sequences of ingest, clock moves,
// eviction and queries must give identical answers — listings under every combination of search
// filters, cursor pages, trace trees, latency statistics and dependency edges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSpanBatchFast } from '../../src/ingest/span-batch-fast.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import type { LatencyStats } from '../../src/store/sketch.js';
import type {
  DependencyReport,
  IngestSpan,
  LatencyReport,
  ListPosition,
  ListQuery,
  TraceFilter,
  TraceStore,
} from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { uuid } from '../support/spans.js';
import { applySpans, recordUnsampledSpans } from '../support/store.js';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 30, 250);
const WINDOW_MINUTES = 2;
const TRACE_PREFIX = 0xabc;

/**
 * Narrow: three services and eight operation names, all with exact mask bits. Wide: sixty
 * services and seventy names, so that names past the 32 exact bits take the bloom path and
 * share bloom bits with each other.
 */
type Names = 'narrow' | 'wide';

/**
 * Raw: span ids shared between traces, parents anywhere, any start and duration (malformed
 * input, which the stores must still agree on). Tidy: well-formed traces as SDKs send them,
 * so that most roots take the search's fast paths.
 */
type Shape = 'raw' | 'tidy';

type Command =
  | { kind: 'ingest'; spans: SpanSeed[] }
  | { kind: 'unsampled'; spans: SpanSeed[] }
  | { kind: 'advance'; ms: number }
  | { kind: 'evict' }
  | { kind: 'list'; limit: number; after?: number; before?: number; filter: FilterSeed; cursor: CursorSeed }
  | { kind: 'repeat' }
  | { kind: 'get'; trace: number }
  | { kind: 'latency'; after?: number; before?: number }
  | { kind: 'dependencies'; after?: number; before?: number };

interface SpanSeed {
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

interface FilterSeed {
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
type CursorSeed = { kind: 'none' } | { kind: 'continue' } | { kind: 'at'; trace: number; offsetMs: number; subNs: number };

// Keys and values that stress the tag index: JSON escaping, prototype names, and a key whose
// serialized form contains another key's ("x\"k\\" holds "k\\").
const TAG_KEYS = ['a', '__proto__', 'constructor', 'k', 'k\\', 'x"k\\'];
const TAG_VALUES = ['', 'x', 'y', 'a"b', 'é', 'x,"k":"y'];
const tagValue = fc.oneof(fc.constantFrom(...TAG_VALUES), fc.string({ maxLength: 3 }));

const spanSeed: fc.Arbitrary<SpanSeed> = fc.record({
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

const filterSeed: fc.Arbitrary<FilterSeed> = fc.record(
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
const plainFilterSeed: fc.Arbitrary<FilterSeed> = fc.record(
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

const cursorSeed: fc.Arbitrary<CursorSeed> = fc.oneof(
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

const range = fc.record(
  {
    after: fc.integer({ min: -WINDOW_MINUTES * 60_000 - 90_000, max: 6 * 60_000 }),
    before: fc.integer({ min: -WINDOW_MINUTES * 60_000, max: 7 * 60_000 }),
  },
  { requiredKeys: [] },
);

const command: fc.Arbitrary<Command> = fc.oneof(
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

function serviceName(names: Names, n: number): string {
  return names === 'narrow' ? ['checkout', 'payment', 'inventory', 'nobody'][Math.min(n % 4, 3)]! : `svc${n}`;
}

function operationName(names: Names, n: number): string {
  return names === 'narrow' ? `op${n % 9}` : `op${n}`;
}

function toSpan(seed: SpanSeed, nowMs: number, names: Names, shape: Shape = 'raw'): IngestSpan {
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

function toFilter(seed: FilterSeed, names: Names): TraceFilter {
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

function nsRelative(nowMs: number, offsetMs: number, extraNs = 123): string {
  return (BigInt(nowMs + offsetMs) * 1_000_000n + BigInt(extraNs)).toString();
}

/** Statistics with their sketches as bins, which equal sketches of equal values share. */
function plainStats(s: LatencyStats): unknown {
  return { spans: s.spans, errors: s.errors, maxNs: s.maxNs, count: s.sketch.count, zeros: s.sketch.zeros, bins: s.sketch.entries() };
}

function plainLatency(r: LatencyReport): unknown {
  const rows = r.endpoints.map((e) => JSON.stringify([e.service, e.operation, plainStats(e.stats)])).sort();
  return { after: r.after, before: r.before, elapsedSeconds: r.elapsedSeconds, rows };
}

function plainDependencies(r: DependencyReport): unknown {
  const rows = r.links.map((l) => JSON.stringify([l.parent, l.child, plainStats(l.stats)])).sort();
  return { after: r.after, before: r.before, elapsedSeconds: r.elapsedSeconds, rows };
}

/** Pages through a query with the given page size in both stores; the pages must agree, and join into the full listing. */
async function pageThrough(fast: TraceStore, reference: TraceStore, query: Omit<ListQuery, 'limit' | 'cursor'>, pageSize: number): Promise<void> {
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
function asBody(spans: IngestSpan[]): string {
  const members = spans.map((s) => {
    const parent = s.parentSpanId === undefined ? '' : `"parent_span_id":${JSON.stringify(s.parentSpanId)},`;
    const tags = s.tags === undefined ? '' : `,"tags":${JSON.stringify(s.tags)}`;
    return `{"trace_id":${JSON.stringify(s.traceId)},"span_id":${JSON.stringify(s.spanId)},${parent}"service":${JSON.stringify(s.service)},"operation":${JSON.stringify(s.operation)},"start_time":${s.startTime},"end_time":${s.endTime},"status":"${s.error ? 'error' : 'ok'}"${tags}}`;
  });
  return `{"spans":[${members.join(',')}]}`;
}

async function run(commands: Command[], names: Names, bigTraceSpans?: number, countCacheRows?: number, shape: Shape = 'raw'): Promise<void> {
  const clock = new ManualClock(T0);
  const fast: TraceStore = new BucketStore({ clock, windowMinutes: WINDOW_MINUTES, releaseSliceSpans: 3, bigTraceSpans, countCacheRows });
  const reference: TraceStore = new ReferenceStore(clock, WINDOW_MINUTES);
  let previous: { query: ListQuery; lastPage: ListPosition | undefined } | undefined;
  let ingests = 0;
  for (const c of commands) {
    switch (c.kind) {
      case 'ingest': {
        const spans = c.spans.map((s) => toSpan(s, clock.nowMs(), names, shape));
        // Every other batch as POST /spans hands it over: parsed from a body, tag text left in it.
        const batch = ingests++ % 2 === 1 ? parseSpanBatchFast(Buffer.from(asBody(spans))) : undefined;
        expect(await (batch !== undefined ? fast.apply(batch) : applySpans(fast, spans))).toEqual(await applySpans(reference, spans));
        // The last listing again: what the ingest changed must show at once.
        if (previous !== undefined) expect(await fast.listTraces(previous.query)).toEqual(await reference.listTraces(previous.query));
        break;
      }
      case 'unsampled': {
        const spans = c.spans.map((s) => toSpan(s, clock.nowMs(), names, shape));
        await recordUnsampledSpans(fast, spans);
        await recordUnsampledSpans(reference, spans);
        break;
      }
      case 'advance':
        clock.advance(c.ms);
        break;
      case 'evict':
        await fast.evict();
        await reference.evict();
        break;
      case 'list': {
        let q: ListQuery = {
          limit: c.limit,
          after: c.after === undefined ? undefined : nsRelative(clock.nowMs(), c.after),
          before: c.before === undefined ? undefined : nsRelative(clock.nowMs(), c.before),
          filter: toFilter(c.filter, names),
        };
        if (c.cursor.kind === 'continue' && previous?.lastPage !== undefined) {
          q = { ...previous.query, limit: c.limit, cursor: previous.lastPage };
        } else if (c.cursor.kind === 'at') {
          q.cursor = { startTime: nsRelative(clock.nowMs(), c.cursor.offsetMs, c.cursor.subNs), traceId: uuid(c.cursor.trace, TRACE_PREFIX) };
        }
        const expected = await reference.listTraces(q);
        expect(await fast.listTraces(q)).toEqual(expected);
        const last = expected.traces[expected.traces.length - 1];
        previous = { query: q, lastPage: last === undefined ? undefined : { startTime: last.start_time, traceId: last.trace_id } };
        break;
      }
      case 'repeat':
        if (previous !== undefined) expect(await fast.listTraces(previous.query)).toEqual(await reference.listTraces(previous.query));
        break;
      case 'get':
        expect(await fast.getTrace(uuid(c.trace, TRACE_PREFIX))).toEqual(await reference.getTrace(uuid(c.trace, TRACE_PREFIX)));
        break;
      case 'latency':
      case 'dependencies': {
        const r = {
          after: c.after === undefined ? undefined : nsRelative(clock.nowMs(), c.after),
          before: c.before === undefined ? undefined : nsRelative(clock.nowMs(), c.before),
        };
        if (c.kind === 'latency') expect(plainLatency(await fast.latency(r))).toEqual(plainLatency(await reference.latency(r)));
        else expect(plainDependencies(await fast.dependencies(r))).toEqual(plainDependencies(await reference.dependencies(r)));
        break;
      }
    }
  }
  // Whatever happened, both stores agree on everything, page by page.
  await pageThrough(fast, reference, {}, 2);
  await pageThrough(fast, reference, { filter: { status: 'error' } }, 1);
  await pageThrough(fast, reference, { filter: { partial: true, tags: [{ key: 'a', value: 'x' }] } }, 1);
  expect(plainLatency(await fast.latency({}))).toEqual(plainLatency(await reference.latency({})));
  expect(plainDependencies(await fast.dependencies({}))).toEqual(plainDependencies(await reference.dependencies({})));
  clock.advance(WINDOW_MINUTES * 60_000 + 6 * 60_000);
  while ((await fast.evict()).pending);
  expect((await fast.stats()).spans).toBe(0);
  expect((await fast.stats()).traces).toBe(0);
}

const runs = (n: number) => ({ numRuns: Number(process.env.FC_RUNS ?? n) });

describe('BucketStore matches ReferenceStore', () => {
  it('on random sequences of ingest, time moves, eviction, searches, cursors, trees and statistics', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c, 'narrow')), runs(400));
  });

  it('when traces are large enough to use a span-id index for duplicates', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c, 'narrow', 2)), runs(300));
  });

  it('when services and operations outnumber the exact mask bits', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 80 }), (c) => run(c, 'wide')), runs(300));
  });

  it('on well-formed traces, with every search count cached between scans', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 80 }), (c) => run(c, 'narrow', undefined, 0, 'tidy')), runs(400));
  });

  it('on well-formed traces with many names', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 80 }), (c) => run(c, 'wide', undefined, 0, 'tidy')), runs(200));
  });

  it('with many names and big traces together', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 80 }), (c) => run(c, 'wide', 3)), runs(150));
  });
});
