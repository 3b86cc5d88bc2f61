// Names leave with the last minute that holds them, their ids are numbered again without
// changing any answer, and the endpoint budget bounds what a flood of distinct names can hold.
import { describe, expect, it } from 'vitest';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { OVERFLOW_NAME } from '../../src/store/buckets/endpoint-table.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import { dependencyEdges, serviceRows } from '../../src/store/red.js';
import type { IngestSpan, TraceFilter, TraceStore } from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { span, uuid } from '../support/spans.js';
import { applySpans } from '../support/store.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 30);
const WINDOW = 5;
const nowNs = (clock: ManualClock): bigint => BigInt(clock.nowMs()) * 1_000_000n;

/** A root of service `service` and, when given, one child of `childService`, at the clock's now. */
function trace(clock: ManualClock, n: number, service: string, operation: string, childService?: string): IngestSpan[] {
  const start = nowNs(clock) - 1_000_000n;
  const root = span({ traceId: uuid(n, 0xa0), spanId: uuid(n * 2, 0xa1), service, operation, startTime: start.toString(), endTime: (start + 5_000_000n).toString() });
  if (childService === undefined) return [root];
  const child = span({
    traceId: uuid(n, 0xa0),
    spanId: uuid(n * 2 + 1, 0xa1),
    parentSpanId: uuid(n * 2, 0xa1),
    service: childService,
    operation: `${childService}.call`,
    startTime: (start + 1_000_000n).toString(),
    endTime: (start + 2_000_000n).toString(),
  });
  return [root, child];
}

function drain(store: BucketStore): void {
  while (store.evict().pending);
}

async function totals(store: TraceStore, filters: TraceFilter[]): Promise<number[]> {
  return Promise.all(filters.map(async (filter) => (await store.listTraces({ limit: 0, filter })).total));
}

describe('BucketStore names', () => {
  it('forgets every name once its spans have left the window', () => {
    const clock = new ManualClock(NOW);
    const store = new BucketStore({ clock, windowMinutes: WINDOW });
    for (let n = 0; n < 2000; n++) applySpans(store, trace(clock, n, `service-${n}`, `operation-${n}`, `callee-${n}`));
    expect(store.stats().endpoints).toBe(4000);
    clock.advance((WINDOW + 1) * 60_000);
    drain(store);
    expect(store.stats()).toMatchObject({ spans: 0, endpoints: 0 });
  });

  it('numbers names again without changing any answer (compared with the reference store)', async () => {
    const clock = new ManualClock(NOW);
    const bucket = new BucketStore({ clock, windowMinutes: WINDOW });
    const reference = new ReferenceStore(clock, WINDOW);
    const ingest = (spans: IngestSpan[]) => {
      applySpans(bucket, spans);
      applySpans(reference, spans);
    };
    // 40 services (past the 32 with exact mask bits), then a minute later 40 others, which get
    // the freed ids once the first minute has gone.
    for (let n = 0; n < 40; n++) ingest(trace(clock, n, `old-${n}`, 'op', `old-child-${n}`));
    // Listing now caches the service names of these masks; the same masks will name others.
    expect((await bucket.listTraces({ limit: 100 })).traces).toHaveLength(40);
    clock.advance(60_000);
    for (let n = 40; n < 80; n++) ingest(trace(clock, n, `kept-${n}`, 'op', `kept-child-${n}`));
    clock.advance(WINDOW * 60_000 - 30_000);
    drain(bucket);
    reference.evict();
    for (let n = 80; n < 120; n++) ingest(trace(clock, n, `new-${n}`, 'op', `new-child-${n}`));
    const filters: TraceFilter[] = [
      ...[0, 5, 31, 39].map((n) => ({ service: `old-${n}` })),
      ...[40, 45, 71, 79].map((n) => ({ service: `kept-child-${n}` })),
      ...[80, 85, 111, 119].map((n) => ({ service: `new-child-${n}` })),
      { rootService: 'new-100' },
      { operation: 'op' },
    ];
    const expected = await totals(reference, filters);
    expect(expected.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(expected.slice(4)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 80]);
    expect(await totals(bucket, filters)).toEqual(expected);
    const listed = await bucket.listTraces({ limit: 100 });
    expect(listed).toEqual(await reference.listTraces({ limit: 100 }));
    expect(serviceRows(await bucket.latency({})).map((r) => r.service)).toEqual(serviceRows(reference.latency({})).map((r) => r.service));
    expect(bucket.stats().endpoints).toBe(160);
  });

  it('keeps a dependency edge naming its parent service after the parent has left', async () => {
    const clock = new ManualClock(NOW);
    const store = new BucketStore({ clock, windowMinutes: WINDOW });
    const start = nowNs(clock) - 1_000_000n;
    // The parent in the oldest minute, its child a minute later: the edge lives in the child's minute.
    applySpans(store, [span({ traceId: uuid(1, 0xb0), spanId: uuid(1, 0xb1), service: 'gateway', operation: 'GET', startTime: start.toString(), endTime: (start + 90_000_000_000n).toString() })]);
    clock.advance(60_000);
    const childStart = start + 60_000_000_000n;
    applySpans(store, [
      span({ traceId: uuid(1, 0xb0), spanId: uuid(2, 0xb1), parentSpanId: uuid(1, 0xb1), service: 'billing', operation: 'charge', startTime: childStart.toString(), endTime: (childStart + 1_000_000n).toString() }),
    ]);
    clock.advance(WINDOW * 60_000 - 30_000);
    drain(store);
    // gateway's span has gone; a newcomer must not take the id the edge still names.
    const now = nowNs(clock);
    applySpans(store, [span({ traceId: uuid(2, 0xb0), spanId: uuid(3, 0xb1), service: 'newcomer', operation: 'x', startTime: now.toString(), endTime: (now + 1n).toString() })]);
    expect(dependencyEdges(await store.dependencies({})).map((e) => [e.parent, e.child])).toEqual([['gateway', 'billing']]);
  });
});

describe('BucketStore endpoint budget', () => {
  it('stores spans of pairs past the budget under the overflow name, keeping the service when it is held', async () => {
    const clock = new ManualClock(NOW);
    const store = new BucketStore({ clock, windowMinutes: WINDOW, maxEndpoints: 10 });
    for (let n = 0; n < 10; n++) applySpans(store, trace(clock, n, 'checkout', `GET /cart/${n}`));
    for (let n = 10; n < 100; n++) applySpans(store, trace(clock, n, 'checkout', `GET /cart/${n}`));
    for (let n = 100; n < 200; n++) applySpans(store, trace(clock, n, `svc-${n}`, 'op'));
    const stats = store.stats();
    expect(stats.spans).toBe(200);
    expect(stats.overflowedSpans).toBe(190);
    // The ten real pairs, checkout's overflow pair and the shared one.
    expect(stats.endpoints).toBe(12);
    const services = serviceRows(await store.latency({}));
    expect(services.map((r) => [r.service, r.span_count])).toEqual([
      ['checkout', 100],
      [OVERFLOW_NAME, 100],
    ]);
    expect((await store.listTraces({ limit: 0, filter: { operation: OVERFLOW_NAME } })).total).toBe(190);
    // Once the window has passed the budget is free again.
    clock.advance((WINDOW + 1) * 60_000);
    drain(store);
    applySpans(store, trace(clock, 500, 'fresh', 'op'));
    expect(serviceRows(await store.latency({})).map((r) => r.service)).toEqual(['fresh']);
  });
});
