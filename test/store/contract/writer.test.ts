// TraceWriter.apply (src/store/writer.ts), read back: whatever order the spans of a trace arrive
// in, and however they are split across requests, the stored trace is the same.
import { describe, expect, it } from 'vitest';
import type { IngestSpan } from '../../../src/store/trace-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { CHECKOUT_TRACE, checkoutTrace } from '../../support/checkout-trace.js';
import { uuid } from '../../support/spans.js';
import { applySpans } from '../../support/store.js';
import { contractStores, ingestResult } from './stores.js';

const NOW = Date.UTC(2026, 10, 21, 10, 15, 0);
const TRACE = CHECKOUT_TRACE;
const trace = (): IngestSpan[] => checkoutTrace(NOW);

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

describe.each(contractStores)('%s assembles out-of-order traces', (_name, makeStore) => {
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
    expect(await applySpans(store, [...spans, spans[1]!])).toEqual(ingestResult(store, { accepted: 5, duplicates: 1, discardedStale: 0, discardedFuture: 0 }));
    expect(await applySpans(store, spans)).toEqual(ingestResult(store, { accepted: 4, duplicates: 4, discardedStale: 0, discardedFuture: 0 }));
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
