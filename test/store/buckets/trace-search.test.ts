// The bucket store's search (src/store/buckets/trace-search.ts): summaries and cached counts kept
// up to date as traces change, checked against the reference store where both apply.
import { describe, expect, it } from 'vitest';
import { BucketStore } from '../../../src/store/buckets/bucket-store.js';
import { ReferenceStore } from '../../../src/store/reference-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { checkoutTrace } from '../../support/checkout-trace.js';
import { applySpans } from '../../support/store.js';

const NOW = Date.UTC(2026, 10, 21, 10, 15, 0);
const trace = () => checkoutTrace(NOW);

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
