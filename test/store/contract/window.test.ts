// The rolling window through every role of every store, moved by a ManualClock: exact edges in
// apply(), stale and future spans, aging out of listings and traces with no traffic, release by
// evict() as stats() shows it, minute-bucket boundaries.
import { describe, expect, it } from 'vitest';
import type { TraceStore } from '../../../src/store/trace-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { nsAt, span, uuid } from '../../support/spans.js';
import { applySpans } from '../../support/store.js';
import { contractStores, ingestResult } from './stores.js';

const W = 30;
const NOW = Date.UTC(2026, 10, 21, 10, 15, 42, 500);
const MIN = 60_000;

async function drain(store: TraceStore): Promise<number> {
  let evicted = 0;
  for (;;) {
    const r = await store.evict();
    evicted += r.evictedSpans;
    if (!r.pending) return evicted;
  }
}

describe.each(contractStores)('%s window', (_name, makeStore) => {
  it('keeps a span exactly at the edge and discards one a nanosecond older', async () => {
    const store = makeStore(new ManualClock(NOW));
    const edge = BigInt(NOW - W * MIN) * 1_000_000n;
    const r = await applySpans(store, [
      span({ traceId: uuid(1), spanId: uuid(1), startTime: edge.toString() }),
      span({ traceId: uuid(2), spanId: uuid(2), startTime: (edge - 1n).toString() }),
    ]);
    expect(r).toEqual(ingestResult(store, { accepted: 1, duplicates: 0, discardedStale: 1, discardedFuture: 0 }));
    expect((await store.listTraces({ limit: 10 })).traces.map((t) => t.trace_id)).toEqual([uuid(1)]);
  });

  it('accepts spans up to five minutes ahead and discards later ones', async () => {
    const store = makeStore(new ManualClock(NOW));
    const limit = BigInt(NOW + 5 * MIN) * 1_000_000n;
    const r = await applySpans(store, [
      span({ traceId: uuid(1), spanId: uuid(1), startTime: limit.toString() }),
      span({ traceId: uuid(2), spanId: uuid(2), startTime: (limit + 1n).toString() }),
      span({ traceId: uuid(3), spanId: uuid(3), startTime: '-5', endTime: '0' }),
    ]);
    expect(r).toEqual(ingestResult(store, { accepted: 1, duplicates: 0, discardedStale: 1, discardedFuture: 1 }));
  });

  it('ages a trace out by the clock alone, at the exact nanosecond, before and after eviction runs', async () => {
    const clock = new ManualClock(NOW);
    const store = makeStore(clock);
    const start = nsAt(NOW, 1n); // one nanosecond after the current millisecond
    await applySpans(store, [span({ traceId: uuid(1), spanId: uuid(1), startTime: start })]);
    clock.advance(W * MIN); // edge = NOW: the span (NOW + 1 ns) is still inside
    expect((await store.listTraces({ limit: 10 })).total).toBe(1);
    expect(await drain(store)).toBe(0);
    clock.advance(1); // edge = NOW + 1 ms > start
    expect((await store.listTraces({ limit: 10 })).total).toBe(0);
    expect(await store.getTrace(uuid(1))).toBeUndefined();
    // Memory is released by whole minutes: at the latest once the edge has left the span's minute.
    clock.advance(MIN);
    expect(await drain(store)).toBe(1);
    expect(await store.stats()).toMatchObject({ spans: 0, traces: 0 });
  });

  it('lowers span_count when a child older than its root ages out first', async () => {
    const clock = new ManualClock(NOW);
    const store = makeStore(clock);
    await applySpans(store, [
      span({ traceId: uuid(1), spanId: uuid(10), startTime: nsAt(NOW) }),
      // A child whose clock ran 10 s behind the root's.
      span({ traceId: uuid(1), spanId: uuid(11), parentSpanId: uuid(10), startTime: nsAt(NOW - 10_000), error: true }),
    ]);
    expect((await store.listTraces({ limit: 1 })).traces[0]).toMatchObject({ span_count: 2, status: 'error' });
    clock.advance(W * MIN - 5000);
    expect((await store.listTraces({ limit: 1 })).traces[0]).toMatchObject({ span_count: 1, status: 'ok' });
    await drain(store);
    expect((await store.listTraces({ limit: 1 })).traces[0]).toMatchObject({ span_count: 1, status: 'ok' });
    expect((await store.getTrace(uuid(1)))?.spans.map((s) => s.span_id)).toEqual([uuid(10)]);
  });

  it('orders and filters across minute boundaries to the nanosecond', async () => {
    const store = makeStore(new ManualClock(NOW));
    const minuteStart = BigInt(Math.floor(NOW / MIN) * MIN) * 1_000_000n;
    const times = [minuteStart - 1n, minuteStart, minuteStart + 1n, minuteStart - 60_000_000_000n, minuteStart + 59_999_999_999n];
    await applySpans(store, times.map((t, i) => span({ traceId: uuid(i), spanId: uuid(100 + i), startTime: t.toString() })));
    const all = await store.listTraces({ limit: 10 });
    expect(all.traces.map((t) => t.start_time)).toEqual([...times].sort((a, b) => (a > b ? -1 : 1)).map(String));
    const range = await store.listTraces({ limit: 10, after: minuteStart.toString(), before: (minuteStart + 1n).toString() });
    expect(range).toMatchObject({ total: 1, traces: [{ start_time: minuteStart.toString() }] });
    const older = await store.listTraces({ limit: 1, before: minuteStart.toString() });
    expect(older).toMatchObject({ total: 2, traces: [{ start_time: (minuteStart - 1n).toString() }] });
  });

  it('breaks start_time ties by trace_id ascending and counts total before limit', async () => {
    const store = makeStore(new ManualClock(NOW));
    const t = nsAt(NOW - 1000, 77n);
    await applySpans(store, [5, 3, 9, 1].map((n) => span({ traceId: uuid(n), spanId: uuid(n), startTime: t })));
    const page = await store.listTraces({ limit: 3 });
    expect(page.total).toBe(4);
    expect(page.traces.map((x) => x.trace_id)).toEqual([uuid(1), uuid(3), uuid(5)]);
  });

  it('releases a large minute in slices and ends with nothing held', async () => {
    const clock = new ManualClock(NOW);
    const store = makeStore(clock);
    const spans = Array.from({ length: 100 }, (_, i) =>
      span({ traceId: uuid(i % 10), spanId: uuid(i), parentSpanId: i < 10 ? undefined : uuid(i % 10), startTime: nsAt(NOW - 1000, BigInt(i)) }),
    );
    await applySpans(store, spans);
    expect((await store.listTraces({ limit: 0 })).total).toBe(10);
    clock.advance(W * MIN + MIN);
    expect(await drain(store)).toBe(100);
    expect(await store.stats()).toMatchObject({ spans: 0, traces: 0 });
  });
});
