// The wall clock may step back (NTP, a VM restored): the store must keep serving what the
// reference store serves, never throw, and keep its counters consistent, whatever the step.
import { describe, expect, it } from 'vitest';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import type { IngestSpan, TraceStore } from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { nsAt, span, uuid } from '../support/spans.js';
import { applySpans } from '../support/store.js';

const START = Date.UTC(2026, 10, 21, 10, 0, 0);
const MIN = 60_000;

async function drain(store: TraceStore): Promise<void> {
  for (let r = await store.evict(); r.pending; r = await store.evict());
}

async function same(bucket: TraceStore, reference: TraceStore, traces: string[]): Promise<void> {
  const [a, b] = [await bucket.listTraces({ limit: 1000 }), await reference.listTraces({ limit: 1000 })];
  expect(a.total).toBe(b.total);
  expect(a.traces.map((t) => [t.trace_id, t.span_count])).toEqual(b.traces.map((t) => [t.trace_id, t.span_count]));
  for (const id of traces) {
    const [x, y] = [await bucket.getTrace(id), await reference.getTrace(id)];
    expect(x?.spans.map((s) => s.span_id).sort()).toEqual(y?.spans.map((s) => s.span_id).sort());
  }
  expect((await bucket.dependencies({})).links.map((l) => `${l.parent}>${l.child}:${l.stats.spans}`).sort()).toEqual(
    (await reference.dependencies({})).links.map((l) => `${l.parent}>${l.child}:${l.stats.spans}`).sort(),
  );
}

describe('BucketStore under a clock that steps back', () => {
  for (const stepBackMinutes of [1, 5, 7.5, 20, 45]) {
    it(`matches the reference store when the clock steps back ${stepBackMinutes} minutes`, async () => {
      const clocks = [new ManualClock(START), new ManualClock(START)];
      const bucket = new BucketStore({ clock: clocks[0]!, windowMinutes: 2, releaseSliceSpans: 3 });
      const reference = new ReferenceStore(clocks[1]!, 2);
      const both = async (f: (s: TraceStore) => unknown) => {
        await f(bucket);
        await f(reference);
      };
      const advance = (ms: number) => clocks.forEach((c) => c.advance(ms));
      const ingest = (spans: IngestSpan[]) => both((s) => applySpans(s, spans));
      const traces: string[] = [];
      let n = 0;
      // Traces whose spans straddle the step: parents ahead of the clock, children after it.
      for (let round = 0; round < 6; round++) {
        advance(10 * MIN);
        const trace = uuid(++n, 0xc10c);
        traces.push(trace);
        const parent = uuid(++n);
        const now = clocks[0]!.nowMs();
        await ingest([span({ traceId: trace, spanId: parent, startTime: nsAt(now + 4.5 * MIN), service: 'gateway' })]);
        await ingest([span({ traceId: trace, spanId: uuid(++n), parentSpanId: parent, startTime: nsAt(now + 3 * MIN), service: 'payment' })]);
        advance(-stepBackMinutes * MIN);
        const after = clocks[0]!.nowMs();
        await ingest([
          span({ traceId: trace, spanId: uuid(++n), parentSpanId: parent, startTime: nsAt(after - 1 * MIN), service: 'inventory' }),
          span({ traceId: trace, spanId: uuid(++n), parentSpanId: uuid(999_999), startTime: nsAt(after + 30_000), service: 'payment' }),
          span({ traceId: uuid(++n, 0xc10c), spanId: uuid(++n), startTime: nsAt(after), service: 'gateway' }),
        ]);
        await both(drain);
        await same(bucket, reference, traces);
      }
      // Past everything held, however far back the steps went.
      advance(24 * 60 * MIN);
      await both(drain);
      await same(bucket, reference, traces);
      expect((await bucket.stats()).spans).toBe(0);
      expect((await bucket.stats()).traces).toBe(0);
    });
  }
});
