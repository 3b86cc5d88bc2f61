// Out-of-order assembly: whatever order the spans of a trace arrive in, and however they are
// split across requests, the stored trace is the same.
import { describe, expect, it } from 'vitest';
import { BucketStore } from '../../src/store/compact/bucket-store.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import type { IngestSpan, TraceStore } from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { nsAt, span, uuid } from '../support/spans.js';
import { applySpans } from '../support/store.js';

const NOW = Date.UTC(2026, 10, 21, 10, 15, 0);
const TRACE = uuid(1, 0x7ace);

function trace(): IngestSpan[] {
  const t0 = nsAt(NOW - 5000, 123_456_789n);
  const at = (ms: number): string => (BigInt(t0) + BigInt(ms) * 1_000_000n).toString();
  return [
    span({ traceId: TRACE, spanId: uuid(10), startTime: t0, endTime: at(480), service: 'checkout', operation: 'place_order' }),
    span({ traceId: TRACE, spanId: uuid(11), parentSpanId: uuid(10), startTime: at(20), endTime: at(100), service: 'inventory', operation: 'reserve_stock' }),
    span({ traceId: TRACE, spanId: uuid(12), parentSpanId: uuid(10), startTime: at(110), endTime: at(400), service: 'payment', operation: 'charge_card', error: true, tags: { 'http.status': '502' } }),
    span({ traceId: TRACE, spanId: uuid(13), parentSpanId: uuid(12), startTime: at(120), endTime: at(390), service: 'payment', operation: 'call_gateway', tags: {} }),
  ];
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** Every way to cut a sequence into consecutive non-empty requests. */
function splits<T>(items: T[]): T[][][] {
  if (items.length === 0) return [[]];
  const out: T[][][] = [];
  for (let cut = 1; cut <= items.length; cut++) {
    for (const rest of splits(items.slice(cut))) out.push([items.slice(0, cut), ...rest]);
  }
  return out;
}

const stores: Array<[string, (clock: ManualClock) => TraceStore]> = [
  ['BucketStore', (clock) => new BucketStore({ clock, windowMinutes: 30 })],
  ['ReferenceStore', (clock) => new ReferenceStore(clock, 30)],
];

describe.each(stores)('%s assembles out-of-order traces', (_name, makeStore) => {
  it('gives the same summary and detail for every arrival order and every split into requests', async () => {
    const spans = trace();
    const expectedSummary = {
      trace_id: TRACE,
      root_service: 'checkout',
      root_operation: 'place_order',
      span_count: 4,
      duration_ms: 480,
      start_time: spans[0]!.startTime,
      status: 'error',
      services: ['checkout', 'inventory', 'payment'],
      error_count: 1,
      partial: false,
    };
    let cases = 0;
    for (const order of permutations(spans)) {
      for (const requests of splits(order)) {
        const store = makeStore(new ManualClock(NOW));
        const visible: number[] = [];
        for (const batch of requests) {
          await applySpans(store, batch);
          visible.push((await store.listTraces({ limit: 10 })).total);
        }
        // Listed from the moment the root is stored, never before.
        const rootRequest = requests.findIndex((batch) => batch.some((s) => s.parentSpanId === undefined));
        expect(visible).toEqual(visible.map((_, i) => (i >= rootRequest ? 1 : 0)));
        expect(await store.listTraces({ limit: 10 })).toEqual({ total: 1, traces: [expectedSummary], more: false });
        const detail = await store.getTrace(TRACE);
        expect(detail?.spans.map((s) => s.span_id)).toEqual([uuid(10), uuid(11), uuid(12), uuid(13)]);
        expect(detail?.root_span_id).toBe(uuid(10));
        expect(detail?.partial).toBe(false);
        expect(detail?.spans.map((s) => [s.depth, s.children])).toEqual([[0, [uuid(11), uuid(12)]], [1, []], [1, [uuid(13)]], [2, []]]);
        expect(detail?.spans[3]).toEqual({
          trace_id: TRACE,
          span_id: uuid(13),
          parent_span_id: uuid(12),
          service: 'payment',
          operation: 'call_gateway',
          start_time: spans[3]!.startTime,
          end_time: spans[3]!.endTime,
          status: 'ok',
          tags: {},
          depth: 2,
          children: [],
        });
        cases++;
      }
    }
    expect(cases).toBe(24 * 8);
  });

  it('counts children that arrived before the root from the moment the root arrives', async () => {
    const store = makeStore(new ManualClock(NOW));
    const [root, ...children] = trace();
    await applySpans(store, children);
    expect((await store.listTraces({ limit: 10 })).total).toBe(0);
    // The children are already retrievable as a partial trace.
    expect((await store.getTrace(TRACE))?.spans).toHaveLength(3);
    await applySpans(store, [root!]);
    expect((await store.listTraces({ limit: 10 })).traces[0]?.span_count).toBe(4);
  });

  it('ignores re-sent spans, also inside one batch', async () => {
    const store = makeStore(new ManualClock(NOW));
    const spans = trace();
    expect(await applySpans(store, [...spans, spans[1]!])).toEqual({ accepted: 5, duplicates: 1, discardedStale: 0, discardedFuture: 0 });
    expect(await applySpans(store, spans)).toEqual({ accepted: 4, duplicates: 4, discardedStale: 0, discardedFuture: 0 });
    expect((await store.listTraces({ limit: 10 })).traces[0]?.span_count).toBe(4);
    expect((await store.stats()).spans).toBe(4);
  });

  it('marks a trace as error when only a late child failed', async () => {
    const store = makeStore(new ManualClock(NOW));
    const spans = trace().map((s) => ({ ...s, error: false }));
    await applySpans(store, spans.slice(0, 3));
    expect((await store.listTraces({ limit: 1 })).traces[0]?.status).toBe('ok');
    await applySpans(store, [{ ...spans[3]!, spanId: uuid(99), error: true }]);
    expect((await store.listTraces({ limit: 1 })).traces[0]).toMatchObject({ status: 'error', span_count: 4 });
  });
});

describe('search summary of a big trace', () => {
  it('is not partial when the root arrives last into a trace big enough for a span-id index', async () => {
    // Found by the differential test: the root's own id was not yet indexed when its children
    // looked for their parent.
    for (const makeStore of [(clock: ManualClock) => new BucketStore({ clock, windowMinutes: 30, bigTraceSpans: 2 }), (clock: ManualClock) => new ReferenceStore(clock, 30)]) {
      const store = makeStore(new ManualClock(NOW));
      const [root, ...children] = trace();
      await applySpans(store, children);
      await applySpans(store, [root!]);
      expect((await store.listTraces({ limit: 1 })).traces[0]).toMatchObject({ partial: false, span_count: 4 });
      expect((await store.listTraces({ limit: 1, filter: { partial: false } })).total).toBe(1);
    }
  });
});

describe('search counts', () => {
  it('follow a change to a trace that adds no root to its minute', async () => {
    const clock = new ManualClock(NOW);
    // Every count cached: a stale one would show here.
    const store = new BucketStore({ clock, windowMinutes: 30, countCacheRows: 0 });
    const [root, ...children] = trace().map((s) => ({ ...s, error: false }));
    await applySpans(store, [root!, children[0]!]);
    expect((await store.listTraces({ limit: 0, filter: { status: 'error' } })).total).toBe(0);
    expect((await store.listTraces({ limit: 0, filter: { service: 'payment' } })).total).toBe(0);
    await applySpans(store, [{ ...children[1]!, error: true }]);
    expect((await store.listTraces({ limit: 0, filter: { status: 'error' } })).total).toBe(1);
    expect((await store.listTraces({ limit: 0, filter: { service: 'payment' } })).total).toBe(1);
  });
});
