// The production store against the reference store: random sequences of ingest, clock moves,
// eviction and queries must give identical answers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketStore } from '../../src/store/compact/bucket-store.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import type { IngestSpan, TraceStore } from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { uuid } from '../support/spans.js';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 30, 250);
const WINDOW_MINUTES = 2;

type Command =
  | { kind: 'ingest'; spans: SpanSeed[] }
  | { kind: 'advance'; ms: number }
  | { kind: 'evict' }
  | { kind: 'list'; limit: number; after?: number; before?: number }
  | { kind: 'get'; trace: number };

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
}

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
  durationNs: fc.oneof(fc.bigInt({ min: 0n, max: 2_000_000_000n }), fc.bigInt({ min: 0n, max: 9_000_000_000_000_000n })),
  error: fc.boolean(),
  tags: fc.option(fc.dictionary(fc.constantFrom('a', '__proto__', 'constructor', 'k'), fc.string({ maxLength: 3 })), {
    nil: undefined,
  }),
  service: fc.integer({ min: 0, max: 2 }),
});

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('ingest' as const), spans: fc.array(spanSeed, { minLength: 1, maxLength: 8 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 1, max: 90_000 }), fc.constantFrom(1, 59_999, 60_000)),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'evict' as const }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        kind: fc.constant('list' as const),
        limit: fc.integer({ min: 0, max: 12 }),
        after: fc.integer({ min: -WINDOW_MINUTES * 60_000 - 1000, max: 6 * 60_000 }),
        before: fc.integer({ min: -WINDOW_MINUTES * 60_000, max: 7 * 60_000 }),
      },
      { requiredKeys: ['kind', 'limit'] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), trace: fc.integer({ min: 0, max: 6 }) }) },
);

const SERVICES = ['checkout', 'payment', 'inventory'];

function toSpan(seed: SpanSeed, nowMs: number): IngestSpan {
  const start = BigInt(nowMs + seed.offsetMs) * 1_000_000n + BigInt(seed.subNs);
  return {
    traceId: uuid(seed.trace, 0xabc),
    spanId: uuid(seed.span),
    parentSpanId: seed.parent === null ? undefined : uuid(seed.parent),
    service: SERVICES[seed.service]!,
    operation: 'op' + seed.span,
    startTime: start.toString(),
    endTime: (start + seed.durationNs).toString(),
    error: seed.error,
    tags: seed.tags,
  };
}

function nsRelative(nowMs: number, offsetMs: number): string {
  return (BigInt(nowMs + offsetMs) * 1_000_000n + 123n).toString();
}

async function run(commands: Command[], bigTraceSpans?: number): Promise<void> {
  const clock = new ManualClock(T0);
  const fast: TraceStore = new BucketStore({ clock, windowMinutes: WINDOW_MINUTES, releaseSliceSpans: 3, bigTraceSpans });
  const reference: TraceStore = new ReferenceStore(clock, WINDOW_MINUTES);
  for (const c of commands) {
    switch (c.kind) {
      case 'ingest': {
        const spans = c.spans.map((s) => toSpan(s, clock.nowMs()));
        expect(await fast.ingest(spans)).toEqual(await reference.ingest(spans));
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
        const q = {
          limit: c.limit,
          after: c.after === undefined ? undefined : nsRelative(clock.nowMs(), c.after),
          before: c.before === undefined ? undefined : nsRelative(clock.nowMs(), c.before),
        };
        expect(await fast.listTraces(q)).toEqual(await reference.listTraces(q));
        break;
      }
      case 'get':
        expect(await fast.getTrace(uuid(c.trace, 0xabc))).toEqual(await reference.getTrace(uuid(c.trace, 0xabc)));
        break;
    }
  }
  // Whatever happened, a full drain leaves both stores agreeing on everything.
  const everything = { limit: 1000 };
  expect(await fast.listTraces(everything)).toEqual(await reference.listTraces(everything));
  clock.advance(WINDOW_MINUTES * 60_000 + 6 * 60_000);
  while ((await fast.evict()).pending);
  expect((await fast.stats()).spans).toBe(0);
  expect((await fast.stats()).traces).toBe(0);
}

describe('BucketStore matches ReferenceStore', () => {
  it('on random sequences of ingest, time moves, eviction and queries', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c)), { numRuns: Number(process.env.FC_RUNS ?? 400) });
  });

  it('when traces are large enough to use a span-id index for duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c, 2)),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });
});
