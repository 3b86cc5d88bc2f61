// TraceStats (src/store/stats.ts) of every store: latency statistics and dependency edges over
// whole-minute ranges inside the window, per-minute aging, exact counts, and when an edge
// between two services is counted.
import { describe, expect, it } from 'vitest';
import { dependencyEdges, redStats, serviceRows } from '../../../src/store/red.js';
import type { IngestSpan } from '../../../src/store/trace-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { span, uuid } from '../../support/spans.js';
import { applySpans, recordUnsampledSpans } from '../../support/store.js';
import { contractStores } from './stores.js';

/** 12:00:30 — the window edge sits in the middle of a minute. */
const NOW = Date.UTC(2026, 10, 21, 12, 0, 30);
const MINUTE_NS = 60_000_000_000n;
const nowNs = BigInt(NOW) * 1_000_000n;
const ns = (msFromNow: number): string => (nowNs + BigInt(msFromNow) * 1_000_000n).toString();
const minuteNs = (unixMinute: number): string => (BigInt(unixMinute) * MINUTE_NS).toString();
const NOW_MINUTE = Math.floor(NOW / 60_000);

function call(n: number, k: number, parent: number | undefined, service: string, startMs: number, durationMs: number, error = false): IngestSpan {
  const start = ns(startMs);
  return span({
    traceId: uuid(n, 0xd0),
    spanId: uuid(n * 10 + k, 0xd1),
    parentSpanId: parent === undefined ? undefined : uuid(n * 10 + parent, 0xd1),
    service,
    operation: `${service}.op`,
    startTime: start,
    endTime: (BigInt(start) + BigInt(durationMs) * 1_000_000n).toString(),
    error,
  });
}

describe.each(contractStores)('%s statistics', (_name, makeStore) => {
  it('count every span of a service in whole minutes of the window, with exact counts', async () => {
    const clock = new ManualClock(NOW);
    const store = makeStore(clock);
    const spans: IngestSpan[] = [];
    for (let n = 0; n < 300; n++) {
      spans.push(call(n, 0, undefined, 'checkout', -n * 1000, 10 + (n % 50), n % 10 === 0));
      spans.push(call(n, 1, 0, 'payment', -n * 1000 + 1, 100 + n, n % 7 === 0));
    }
    await applySpans(store, spans);
    const report = await store.latency({});
    expect(report.after).toBe(minuteNs(NOW_MINUTE - 29));
    expect(serviceRows(report).map((r) => [r.service, r.span_count, r.error_count])).toEqual([
      ['checkout', 300, 30],
      ['payment', 300, 43],
    ]);
    const payment = redStats(report, 'payment');
    expect(payment.max_ms).toBe(399);
    expect(Math.abs(payment.p50_ms - 249) / 249).toBeLessThanOrEqual(0.01); // rank 150 of 100..399 ms
    expect(payment.request_rate_per_sec).toBeCloseTo(300 / (29 * 60 + 30), 9);
    // A range: the last two minutes (12:59..13:00 and 12:00..12:00:30), aligned outward.
    const recent = redStats(await store.latency({ after: ns(-90_000), before: ns(0) }), 'checkout');
    expect(recent.request_count).toBe(91); // spans 0..90 s ago, starting at or after 11:59:00
  });

  it('leave the window a whole minute at a time, with their bucket', async () => {
    const clock = new ManualClock(NOW);
    const store = makeStore(clock, 2);
    // 11:59:10 and 12:00:10: the first minute is whole inside the 2-minute window (edge 11:58:30).
    await applySpans(store, [call(1, 0, undefined, 'a', -80_000, 5), call(2, 0, undefined, 'a', -20_000, 5)]);
    expect(redStats(await store.latency({})).request_count).toBe(2);
    clock.advance(60_000); // edge 11:59:30: minute 11:59 is no longer whole inside the window
    await store.evict();
    expect(redStats(await store.latency({})).request_count).toBe(1);
  });

  it('count a dependency edge once both spans are held, whichever arrives last', async () => {
    const clock = new ManualClock(NOW);
    const store = makeStore(clock);
    // Trace 1: child before parent, in two requests. Trace 2: parent first. Trace 3: same service.
    await applySpans(store, [call(1, 1, 0, 'payment', -1000, 30, true)]);
    expect(dependencyEdges(await store.dependencies({}))).toEqual([]);
    await applySpans(store, [call(1, 0, undefined, 'checkout', -1001, 100)]);
    await applySpans(store, [call(2, 0, undefined, 'checkout', -2000, 100), call(3, 0, undefined, 'payment', -3000, 10), call(3, 1, 0, 'payment', -2999, 5)]);
    await applySpans(store, [call(2, 1, 0, 'payment', -1999, 50), call(2, 2, 1, 'ledger', -1998, 20)]);
    // Re-sent spans change nothing.
    await applySpans(store, [call(1, 0, undefined, 'checkout', -1001, 100), call(2, 1, 0, 'payment', -1999, 50)]);
    const edges = dependencyEdges(await store.dependencies({}));
    expect(edges.map((e) => [e.parent, e.child, e.call_count, e.error_count])).toEqual([
      ['checkout', 'payment', 2, 1],
      ['payment', 'ledger', 1, 0],
    ]);
    expect(Math.abs(edges[0]!.p95_ms - 50) / 50).toBeLessThanOrEqual(0.01);
  });

  it('keep an edge counted when the parent leaves the window before the child', async () => {
    const clock = new ManualClock(NOW);
    const store = makeStore(clock, 2);
    // Parent at 11:59:59.9, child at 12:00:00.1 (a later minute).
    await applySpans(store, [call(1, 0, undefined, 'checkout', -30_100, 500), call(1, 1, 0, 'payment', -29_900, 100)]);
    clock.advance(2 * 60_000 - 30_000); // edge 11:59:59.99…: the parent has aged out, the child not
    await store.evict();
    const edges = dependencyEdges(await store.dependencies({}));
    expect(edges.map((e) => [e.parent, e.child, e.call_count])).toEqual([['checkout', 'payment', 1]]);
    // A late child of the aged-out parent finds no parent: no edge.
    await applySpans(store, [call(1, 2, 0, 'ledger', 5000, 1)]);
    expect(dependencyEdges(await store.dependencies({})).map((e) => e.child)).toEqual(['payment']);
  });

  it('count unsampled spans in latency only', async () => {
    const clock = new ManualClock(NOW);
    const store = makeStore(clock);
    await recordUnsampledSpans(store, [call(1, 0, undefined, 'checkout', -1000, 10), call(1, 1, 0, 'payment', -999, 5, true)]);
    expect(serviceRows(await store.latency({})).map((r) => [r.service, r.span_count, r.error_count])).toEqual([
      ['checkout', 1, 0],
      ['payment', 1, 1],
    ]);
    expect((await store.listTraces({ limit: 10 })).total).toBe(0);
    expect(await store.getTrace(uuid(1, 0xd0))).toBeUndefined();
    expect(dependencyEdges(await store.dependencies({}))).toEqual([]);
  });
});
