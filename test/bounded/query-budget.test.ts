// No search holds the event loop for long, whatever it asks: repeated tag filters count once,
// distinct ones are capped, and a search with filters stops at its scan budget with an answer
// that says so. The listing without filters stays exact at any size. The budget is counted in
// units of work (spans and rows examined), never timed here: wall-clock figures belong to the
// benchmark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import type { IngestSpan } from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { startCollector, type Api } from '../support/http.js';
import { span, uuid } from '../support/spans.js';
import { applySpans } from '../support/store.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 30);
const SPANS_PER_TRACE = 6;

/** `traces` traces of SPANS_PER_TRACE spans, every span tagged env=prod, across 40 services. */
function fill(store: BucketStore, clock: ManualClock, traces: number): void {
  const now = BigInt(clock.nowMs()) * 1_000_000n;
  const spans: IngestSpan[] = [];
  for (let t = 0; t < traces; t++) {
    for (let i = 0; i < SPANS_PER_TRACE; i++) {
      spans.push(
        span({
          traceId: uuid(t, 0xe0),
          spanId: uuid(t * 16 + i, 0xe1),
          parentSpanId: i === 0 ? undefined : uuid(t * 16, 0xe1),
          service: `svc-${(t + i) % 40}`,
          startTime: (now - BigInt(traces - t) * 1_000_000n + BigInt(i)).toString(),
          tags: { env: 'prod', slot: String(i) },
        }),
      );
    }
  }
  for (let from = 0; from < spans.length; from += 500) applySpans(store, spans.slice(from, from + 500));
}

describe('BucketStore scan budget', () => {
  const budget = 2000;
  const clock = new ManualClock(NOW);
  const store = new BucketStore({ clock, windowMinutes: 30, scanBudget: budget });
  const unbounded = new BucketStore({ clock, windowMinutes: 30 });
  fill(store, clock, 3000);
  fill(unbounded, clock, 3000);

  it.each([
    ['a tag every trace holds', { tags: [{ key: 'env', value: 'prod' }] }],
    ['a service past the exact mask bits', { service: 'svc-35' }],
    ['both', { service: 'svc-35', tags: [{ key: 'slot', value: '2' }] }],
  ])('stops %s at the budget, saying the answer is incomplete', (_name, filter) => {
    store.maxScanWork = 0;
    const cut = store.listTraces({ limit: 20, filter });
    expect(cut.incomplete).toBe(true);
    // A trace's spans are counted together, so the overshoot is at most one trace and one row.
    expect(store.maxScanWork).toBeLessThanOrEqual(budget + SPANS_PER_TRACE + 1);
    const exact = unbounded.listTraces({ limit: 20, filter });
    expect(exact.incomplete).toBeUndefined();
    expect(cut.total).toBeLessThan(exact.total);
    // What it did find is right: every listed trace is one the exact search lists too.
    const exactIds = new Set(unbounded.listTraces({ limit: 1000, filter }).traces.map((t) => t.trace_id));
    for (const t of cut.traces) expect(exactIds.has(t.trace_id)).toBe(true);
  });

  it('answers exactly when the search fits its budget', () => {
    const list = store.listTraces({ limit: 20, filter: { service: 'svc-3' } });
    expect(list.incomplete).toBeUndefined();
    expect(list.total).toBe(unbounded.listTraces({ limit: 20, filter: { service: 'svc-3' } }).total);
  });

  it('never cuts the listing without filters', () => {
    const list = store.listTraces({ limit: 1000 });
    expect(list.incomplete).toBeUndefined();
    expect(list.total).toBe(3000);
    expect(list).toEqual(unbounded.listTraces({ limit: 1000 }));
  });
});

describe('GET /traces filters', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startCollector({ nowMs: NOW, env: { QUERY_SCAN_BUDGET: '2000' } });
    const now = BigInt(NOW) * 1_000_000n;
    const spans = [];
    for (let t = 0; t < 400; t++) {
      spans.push({ trace_id: uuid(t, 0xf0), span_id: uuid(t, 0xf1), start_time: (now - BigInt(t) * 1_000_000n).toString(), tags: { env: 'prod' } });
    }
    for (let from = 0; from < spans.length; from += 200) expect((await api.postSpans(spans.slice(from, from + 200))).status).toBe(202);
  });
  afterAll(() => api.close());

  it('counts a repeated tag filter once', async () => {
    const once = await api.listTraces('limit=5&tag=env:prod');
    const repeated = await api.listTraces(`limit=5&${Array.from({ length: 1000 }, () => 'tag=env:prod').join('&')}`);
    expect(repeated).toEqual(once);
    expect(once.total).toBe(400);
  });

  it('refuses more than 8 distinct tag filters with a 400 naming the parameter', async () => {
    const res = await api.get(`/traces?${Array.from({ length: 9 }, (_, i) => `tag=k${i}:v`).join('&')}`);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/tag: at most 8 distinct/);
  });

  it('says `incomplete` when a search stopped at QUERY_SCAN_BUDGET, and the plain listing stays exact', async () => {
    const search = (await api.get('/traces?limit=5&tag=env:prod&status=ok')).json as { total: number; incomplete?: boolean };
    expect(search.incomplete).toBeUndefined();
    // 400 one-span traces (about 3 units each) fit a budget of 2000; 2400 do not.
    const now = BigInt(NOW) * 1_000_000n;
    for (let from = 400; from < 2400; from += 200) {
      const spans = [];
      for (let t = from; t < from + 200; t++) spans.push({ trace_id: uuid(t, 0xf0), span_id: uuid(t, 0xf1), start_time: (now - BigInt(t) * 1_000_000n).toString(), tags: { env: 'prod' } });
      expect((await api.postSpans(spans)).status).toBe(202);
    }
    const cut = (await api.get('/traces?limit=5&tag=env:prod')).json as { total: number; incomplete?: boolean };
    expect(cut.incomplete).toBe(true);
    expect(cut.total).toBeLessThan(2400);
    const plain = (await api.get('/traces?limit=5')).json as { total: number; incomplete?: boolean };
    expect(plain).toMatchObject({ total: 2400 });
    expect(plain.incomplete).toBeUndefined();
  });
});
