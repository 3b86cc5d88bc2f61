// Head and tail sampling in front of the production store, on a manual clock: tests move time,
// they never sleep.
import { describe, expect, it } from 'vitest';
import { keepThreshold, samplingHash } from '../../src/sampling/hash.js';
import { SamplingStore, type SamplingObserver, type TailReason, type TailSamplingOptions } from '../../src/sampling/sampling-store.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { redStats } from '../../src/store/red.js';
import type { IngestResult, IngestSpan } from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { nsAt, span, uuid } from '../support/spans.js';
import { applySpans } from '../support/store.js';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 30);

interface Recorded {
  sampledOut: Record<'head' | 'tail', number>;
  decisions: Array<{ keep: boolean; reason: TailReason | undefined; early: boolean }>;
  flushed: IngestResult[];
}

function recorder(): SamplingObserver & { seen: Recorded } {
  const seen: Recorded = { sampledOut: { head: 0, tail: 0 }, decisions: [], flushed: [] };
  return {
    seen,
    sampledOut: (mode, n) => (seen.sampledOut[mode] += n),
    decided: (keep, reason, early) => seen.decisions.push({ keep, reason, early }),
    flushed: (r) => seen.flushed.push(r),
  };
}

const traceId = (n: number): string => uuid(n, 0x7a11);

/** A root lasting `rootMs` and `children` children, started `agoMs` before the clock. */
function trace(clock: ManualClock, n: number, opts: { rootMs?: number; children?: number; error?: boolean; service?: string; agoMs?: number } = {}): IngestSpan[] {
  const start = BigInt(nsAt(clock.nowMs() - (opts.agoMs ?? 1000)));
  const spans = [
    span({
      traceId: traceId(n),
      spanId: uuid(n * 10, 0x5),
      startTime: start.toString(),
      endTime: (start + BigInt(opts.rootMs ?? 100) * 1_000_000n).toString(),
      service: opts.service ?? 'checkout',
    }),
  ];
  for (let k = 1; k <= (opts.children ?? 2); k++) {
    spans.push(
      span({
        traceId: traceId(n),
        spanId: uuid(n * 10 + k, 0x5),
        parentSpanId: uuid(n * 10, 0x5),
        startTime: (start + BigInt(k) * 1_000_000n).toString(),
        endTime: (start + BigInt(k + 5) * 1_000_000n).toString(),
        service: 'payment',
        error: opts.error === true && k === 1,
      }),
    );
  }
  return spans;
}

function setup(headRate: number, tail?: Partial<TailSamplingOptions>) {
  const clock = new ManualClock(T0);
  const inner = new BucketStore({ clock, windowMinutes: 30 });
  const observer = recorder();
  const store = new SamplingStore(inner, {
    clock,
    windowMinutes: 30,
    headRate,
    tail: tail === undefined ? undefined : { slowMs: undefined, keepRate: 0, decisionSeconds: 10, maxBufferedSpans: 1_000_000, maxBufferedBytes: 2 ** 40, ...tail },
    observer,
  });
  return { clock, inner, store, seen: observer.seen };
}

describe('head sampling', () => {
  it('keeps whole traces whose id hash is below SAMPLING_RATE × 2^32, and answers for the rest without storing them', async () => {
    const { clock, inner, store, seen } = setup(0.25);
    const spans: IngestSpan[] = [];
    for (let n = 0; n < 2000; n++) spans.push(...trace(clock, n));
    // Spans of a trace arrive in different batches: the decision is the same for each.
    const result = await applySpans(store, spans.filter((_, i) => i % 3 !== 1));
    const second = await applySpans(store, spans.filter((_, i) => i % 3 === 1));
    const kept = [...Array(2000).keys()].filter((n) => samplingHash(traceId(n), 'head') < keepThreshold(0.25));
    expect(Math.abs(kept.length / 2000 - 0.25)).toBeLessThan(0.03);
    const listed = await inner.listTraces({ limit: 1000 });
    expect(listed.total).toBe(kept.length);
    for (const t of listed.traces) expect(t.span_count).toBe(3);
    expect(result.accepted + second.accepted).toBe(kept.length * 3);
    expect(result.sampledOut! + second.sampledOut!).toBe((2000 - kept.length) * 3);
    expect(seen.sampledOut.head).toBe((2000 - kept.length) * 3);
    // Statistics still count every span.
    expect(redStats(await store.latency({})).request_count).toBe(6000);
  });

  it('decides the same on every instance', async () => {
    const a = setup(0.5);
    const b = setup(0.5);
    const spans: IngestSpan[] = [];
    for (let n = 0; n < 300; n++) spans.push(...trace(a.clock, n));
    await applySpans(a.store, spans.slice(0, 450));
    await applySpans(b.store, spans.slice(450));
    await applySpans(a.store, spans.slice(450));
    await applySpans(b.store, spans.slice(0, 450));
    const ids = async (s: SamplingStore) => (await s.listTraces({ limit: 1000 })).traces.map((t) => t.trace_id);
    expect(await ids(a.store)).toEqual(await ids(b.store));
  });

  it('counts spans outside the window as discarded, not sampled out', async () => {
    const { clock, store } = setup(0.000001);
    const r = await applySpans(store, trace(clock, 1, { agoMs: 31 * 60_000 }));
    expect(r).toMatchObject({ accepted: 0, discardedStale: 3, sampledOut: 0 });
  });
});

describe('tail sampling', () => {
  it('holds spans until the trace has been quiet for TAIL_DECISION_SECONDS', async () => {
    const { clock, store, seen } = setup(1, { keepRate: 1 });
    const [root, ...children] = trace(clock, 1);
    expect(await applySpans(store, [root!])).toMatchObject({ accepted: 1 });
    expect((await store.listTraces({ limit: 10 })).total).toBe(0);
    expect(store.state()).toMatchObject({ bufferedSpans: 1, bufferedTraces: 1 });
    clock.advance(9_000);
    await applySpans(store, [children[0]!]); // activity: the quiet period starts again
    clock.advance(9_999);
    expect(await store.sweep()).toBe(0);
    clock.advance(1);
    expect(await store.sweep()).toBe(1);
    expect((await store.listTraces({ limit: 10 })).traces[0]?.span_count).toBe(2);
    expect(seen.decisions).toEqual([{ keep: true, reason: 'rate', early: false }]);
    // A later span joins the kept trace at once.
    await applySpans(store, [children[1]!]);
    expect((await store.listTraces({ limit: 10 })).traces[0]?.span_count).toBe(3);
    expect(store.state().bufferedSpans).toBe(0);
  });

  it('keeps every trace with an error, and drops the healthy ones at TAIL_KEEP_RATE 0, later spans included', async () => {
    const { clock, store, seen } = setup(1, { keepRate: 0 });
    const failing = trace(clock, 1, { error: true });
    const healthy = trace(clock, 2);
    await applySpans(store, [...failing.slice(0, 2), ...healthy.slice(0, 2)]);
    clock.advance(10_000);
    await store.sweep();
    expect((await store.listTraces({ limit: 10 })).traces.map((t) => t.trace_id)).toEqual([traceId(1)]);
    expect(seen.decisions.map((d) => [d.keep, d.reason])).toEqual([
      [true, 'error'],
      [false, undefined],
    ]);
    const late = await applySpans(store, [failing[2]!, healthy[2]!]);
    expect(late).toMatchObject({ accepted: 1, sampledOut: 1 });
    expect(seen.sampledOut.tail).toBe(3);
    expect((await store.getTrace(traceId(1)))?.spans).toHaveLength(3);
    expect(await store.getTrace(traceId(2))).toBeUndefined();
    // Dropped spans still count in the statistics.
    expect(redStats(await store.latency({})).request_count).toBe(6);
  });

  it('keeps traces whose root lasted at least TAIL_SLOW_MS', async () => {
    const { clock, store } = setup(1, { keepRate: 0, slowMs: 500 });
    await applySpans(store, [...trace(clock, 1, { rootMs: 499 }), ...trace(clock, 2, { rootMs: 500 }), ...trace(clock, 3, { rootMs: 30_000 })]);
    clock.advance(10_000);
    await store.sweep();
    expect((await store.listTraces({ limit: 10 })).traces.map((t) => t.trace_id).sort()).toEqual([traceId(2), traceId(3)]);
  });

  it('keeps traces at or above their root service\'s current p99, once it has one', async () => {
    const { clock, store, seen } = setup(1, { keepRate: 0 });
    // 200 checkout traces of 1..200 ms: p99 (nearest rank) is 198 ms, within 1%.
    const warm: IngestSpan[] = [];
    for (let n = 0; n < 200; n++) warm.push(...trace(clock, n, { rootMs: n + 1 }));
    await applySpans(store, warm);
    clock.advance(10_000);
    await store.sweep();
    // In the very first round no service had a p99 yet: nothing was slow.
    expect(seen.decisions.filter((d) => d.keep)).toHaveLength(0);
    await applySpans(store, [
      ...trace(clock, 1000, { rootMs: 150 }),
      ...trace(clock, 1001, { rootMs: 210 }),
      // Another service has no p99 yet: a long root is not slow for it.
      ...trace(clock, 1002, { rootMs: 5000, service: 'search' }),
    ]);
    clock.advance(10_000);
    await store.sweep();
    expect((await store.listTraces({ limit: 10 })).traces.map((t) => t.trace_id)).toEqual([traceId(1001)]);
    expect(seen.decisions.slice(-3).map((d) => d.reason)).toEqual([undefined, 'slow', undefined]);
  });

  it('keeps TAIL_KEEP_RATE of the healthy traces, by trace id hash', async () => {
    const { clock, store } = setup(1, { keepRate: 0.2 });
    const spans: IngestSpan[] = [];
    for (let n = 0; n < 3000; n++) spans.push(...trace(clock, n, { rootMs: 10 }));
    await applySpans(store, spans);
    clock.advance(10_000);
    await store.sweep();
    const expected = [...Array(3000).keys()].filter((n) => samplingHash(traceId(n), 'tail') < keepThreshold(0.2)).map(traceId).sort();
    const kept = (await store.listTraces({ limit: 1000 })).traces.map((t) => t.trace_id);
    expect((await store.listTraces({ limit: 0 })).total).toBe(expected.length);
    expect(Math.abs(expected.length / 3000 - 0.2)).toBeLessThan(0.025);
    for (const id of kept) expect(expected).toContain(id);
  });

  it('decides the longest-quiet traces early when the buffer is full', async () => {
    const { clock, store, seen } = setup(1, { keepRate: 1, maxBufferedSpans: 10 });
    for (let n = 0; n < 6; n++) {
      await applySpans(store, trace(clock, n));
      clock.advance(100);
    }
    // 18 spans arrived, at most 10 wait: the three oldest traces were decided early.
    expect(store.state().bufferedSpans).toBeLessThanOrEqual(10);
    expect(seen.decisions.filter((d) => d.early)).toHaveLength(3);
    expect((await store.listTraces({ limit: 10 })).traces.map((t) => t.trace_id).sort()).toEqual([0, 1, 2].map(traceId).sort());
  });

  it('decides early by bytes too, when waiting spans are heavy with tags', async () => {
    // Each span holds ~20 KB of tag text; 200 KB of buffer fits about 3 traces of 3 spans.
    const { clock, store, seen } = setup(1, { keepRate: 1, maxBufferedBytes: 200_000 });
    const tags = { payload: 'p'.repeat(10_000) };
    for (let n = 0; n < 6; n++) {
      await applySpans(store, trace(clock, n).map((s) => ({ ...s, tags })));
      clock.advance(100);
    }
    expect(seen.decisions.filter((d) => d.early).length).toBeGreaterThanOrEqual(2);
    expect(store.state().bufferedSpans).toBeLessThanOrEqual(9);
    expect(seen.decisions.filter((d) => d.early).length + store.state().bufferedTraces).toBe(6);
  });

  it('applies after head sampling, and remembers decisions for the window only', async () => {
    const { clock, store, seen } = setup(0.5, { keepRate: 0 });
    const ids = [...Array(400).keys()];
    const spans = ids.flatMap((n) => trace(clock, n, { error: true }));
    await applySpans(store, spans);
    clock.advance(10_000);
    await store.sweep();
    const headKept = ids.filter((n) => samplingHash(traceId(n), 'head') < keepThreshold(0.5));
    expect((await store.listTraces({ limit: 0 })).total).toBe(headKept.length);
    expect(seen.decisions).toHaveLength(headKept.length);
    // 40 minutes later the decisions are forgotten: a span of an old trace is decided anew.
    clock.advance(40 * 60_000);
    await store.evict();
    expect(store.state().rememberedDecisions).toBe(0);
  });
});
