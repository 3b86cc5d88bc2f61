// The merged store over k stores (k = 1..4), each holding the traces whose ids hash onto it,
// against one reference store holding every trace: random sequences of ingest, clock moves,
// eviction and queries (the differential test's commands) must give identical answers, listings
// under every filter, cursor pages to the end, trace trees, latency, dependency edges, services
// and store counts. And a source that fails leaves a flagged answer from the others.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { MergedStore, type QuerySource } from '../../src/store/merged-store.js';
import { serviceRows } from '../../src/store/red.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import type { IngestResult, IngestSpan, TraceStore } from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { uuid } from '../support/spans.js';
import { applySpans, recordUnsampledSpans } from '../support/store.js';
import { command, listingAfter, listQueryOf, pageThrough, plainDependencies, plainLatency, rangeOf, T0, toSpan, TRACE_PREFIX, WINDOW_MINUTES, type Command, type Names, type PreviousListing, type Shape } from './differential-commands.js';

/** The partition of a trace id among k stores, as the cluster hashes ids (any fixed function does). */
function partitionOf(traceId: string, k: number): number {
  return Number.parseInt(traceId.slice(-6), 16) % k;
}

function byPartition(spans: IngestSpan[], k: number): IngestSpan[][] {
  const parts: IngestSpan[][] = Array.from({ length: k }, () => []);
  for (const s of spans) parts[partitionOf(s.traceId, k)]!.push(s);
  return parts;
}

function addResults(results: IngestResult[]): IngestResult {
  const sum: IngestResult = { accepted: 0, duplicates: 0, discardedStale: 0, discardedFuture: 0 };
  for (const r of results) {
    sum.accepted += r.accepted;
    sum.duplicates += r.duplicates;
    sum.discardedStale += r.discardedStale;
    sum.discardedFuture += r.discardedFuture;
  }
  return sum;
}

async function run(commands: Command[], k: number, names: Names, shape: Shape): Promise<void> {
  const clock = new ManualClock(T0);
  // Production stores as the partitions, the last one a reference store: the merge must not care.
  const parts: TraceStore[] = Array.from({ length: k }, (_, i) =>
    i === k - 1 && k > 1 ? new ReferenceStore(clock, WINDOW_MINUTES) : new BucketStore({ clock, windowMinutes: WINDOW_MINUTES, releaseSliceSpans: 3 }),
  );
  const merged = new MergedStore({ sources: parts.map((source, i) => ({ name: `p${i}`, source })), clock, windowMinutes: WINDOW_MINUTES });
  const reference = new ReferenceStore(clock, WINDOW_MINUTES);
  let previous: PreviousListing | undefined;
  for (const c of commands) {
    switch (c.kind) {
      case 'ingest': {
        const spans = c.spans.map((s) => toSpan(s, clock.nowMs(), names, shape));
        const results = await Promise.all(byPartition(spans, k).map((p, i) => applySpans(parts[i]!, p)));
        expect(addResults(results)).toEqual(applySpans(reference, spans));
        if (previous !== undefined) expect(await merged.listTraces(previous.query)).toEqual(reference.listTraces(previous.query));
        break;
      }
      case 'unsampled': {
        const spans = c.spans.map((s) => toSpan(s, clock.nowMs(), names, shape));
        await Promise.all(byPartition(spans, k).map((p, i) => recordUnsampledSpans(parts[i]!, p)));
        recordUnsampledSpans(reference, spans);
        break;
      }
      case 'advance':
        clock.advance(c.ms);
        break;
      case 'evict':
        for (const p of parts) await p.evict();
        reference.evict();
        break;
      case 'list': {
        const q = listQueryOf(c, clock.nowMs(), names, previous);
        const expected = reference.listTraces(q);
        expect(await merged.listTraces(q)).toEqual(expected);
        previous = listingAfter(q, expected.traces);
        break;
      }
      case 'repeat':
        if (previous !== undefined) expect(await merged.listTraces(previous.query)).toEqual(reference.listTraces(previous.query));
        break;
      case 'get': {
        const id = uuid(c.trace, TRACE_PREFIX);
        expect(await merged.getTrace(id)).toEqual(reference.getTrace(id));
        expect(await merged.lookupTrace(id)).toEqual({ detail: reference.getTrace(id) });
        break;
      }
      case 'latency':
      case 'dependencies': {
        const r = rangeOf(c, clock.nowMs());
        if (c.kind === 'latency') expect(plainLatency(await merged.latency(r))).toEqual(plainLatency(reference.latency(r)));
        else expect(plainDependencies(await merged.dependencies(r))).toEqual(plainDependencies(reference.dependencies(r)));
        break;
      }
    }
  }
  await pageThrough(merged as unknown as TraceStore, reference, {}, 2);
  await pageThrough(merged as unknown as TraceStore, reference, { filter: { status: 'error' } }, 1);
  await pageThrough(merged as unknown as TraceStore, reference, { filter: { partial: true, tags: [{ key: 'a', value: 'x' }] } }, 1);
  expect(plainLatency(await merged.latency({}))).toEqual(plainLatency(reference.latency({})));
  expect(plainDependencies(await merged.dependencies({}))).toEqual(plainDependencies(reference.dependencies({})));
  // GET /services is the latency report grouped by service: the same rows.
  expect(serviceRows(await merged.latency({}))).toEqual(serviceRows(reference.latency({})));
  // What stores hold until eviction differs by kind (counts are memory, not the window): the
  // merged counts are the parts' counts added up.
  const partCounts = await Promise.all(parts.map((p) => p.stats()));
  const counts = await merged.stats();
  expect([counts.spans, counts.traces, counts.buckets]).toEqual(
    ['spans', 'traces', 'buckets'].map((key) => partCounts.reduce((sum, c) => sum + c[key as 'spans'], 0)),
  );
}

const runs = (n: number) => ({ numRuns: Number(process.env.FC_RUNS ?? n) });
const stores = fc.integer({ min: 1, max: 4 });

describe('MergedStore over k partitions matches one ReferenceStore holding every trace', () => {
  it('on random sequences of ingest, time moves, eviction, searches, cursors, trees and statistics', async () => {
    await fc.assert(fc.asyncProperty(stores, fc.array(command, { minLength: 1, maxLength: 60 }), (k, c) => run(c, k, 'narrow', 'raw')), runs(250));
  });

  it('on well-formed traces', async () => {
    await fc.assert(fc.asyncProperty(stores, fc.array(command, { minLength: 1, maxLength: 80 }), (k, c) => run(c, k, 'narrow', 'tidy')), runs(200));
  });

  it('with many services and operations', async () => {
    await fc.assert(fc.asyncProperty(stores, fc.array(command, { minLength: 20, maxLength: 80 }), (k, c) => run(c, k, 'wide', 'raw')), runs(120));
  });
});

describe('MergedStore listing order', () => {
  it('breaks ties of root start across sources by trace id, as one store does, page by page', async () => {
    const clock = new ManualClock(T0);
    const k = 3;
    const parts = Array.from({ length: k }, () => new BucketStore({ clock, windowMinutes: WINDOW_MINUTES }));
    const merged = new MergedStore({ sources: parts.map((source, i) => ({ name: `p${i}`, source })), clock, windowMinutes: WINDOW_MINUTES });
    const reference = new ReferenceStore(clock, WINDOW_MINUTES);
    // Twelve traces over three starts: every start is shared by traces of several partitions.
    const spans = Array.from({ length: 12 }, (_, trace) =>
      toSpan({ trace, span: 0, parent: null, offsetMs: -(Math.floor(trace / 3) % 3) * 1000, subNs: 5, durationNs: 1000n, error: false, tags: undefined, service: 0, operation: 0 }, clock.nowMs(), 'narrow'),
    );
    byPartition(spans, k).forEach((p, i) => applySpans(parts[i]!, p));
    applySpans(reference, spans);
    expect(new Set(byPartition(spans, k).map((p) => p.length > 0)).size).toBe(1);
    for (const pageSize of [1, 2, 5]) await pageThrough(merged as unknown as TraceStore, reference, {}, pageSize);
  });
});

describe('MergedStore with a source that fails', () => {
  const failing: QuerySource = {
    listTraces: () => Promise.reject(new Error('peer timed out')),
    getTrace: () => Promise.reject(new Error('peer timed out')),
    latency: () => Promise.reject(new Error('peer timed out')),
    dependencies: () => Promise.reject(new Error('peer timed out')),
    stats: () => Promise.reject(new Error('peer timed out')),
  };

  it('answers from the others and names it in every answer', async () => {
    const clock = new ManualClock(T0);
    const held = new ReferenceStore(clock, WINDOW_MINUTES);
    const spans = [0, 1, 2].map((trace) =>
      toSpan({ trace, span: 0, parent: null, offsetMs: -trace * 1000, subNs: 7, durationNs: 5_000_000n, error: false, tags: undefined, service: 0, operation: 0 }, clock.nowMs(), 'narrow'),
    );
    applySpans(held, spans);
    const errors: string[] = [];
    const merged = new MergedStore({
      sources: [
        { name: 'local', source: held },
        { name: 'http://peer-b', source: failing },
      ],
      clock,
      windowMinutes: WINDOW_MINUTES,
      onSourceError: (name) => errors.push(name),
    });

    const list = await merged.listTraces({ limit: 2 });
    expect(list).toEqual({ ...held.listTraces({ limit: 2 }), incomplete: true, unavailable: ['http://peer-b'] });
    expect((await merged.latency({})).unavailable).toEqual(['http://peer-b']);
    expect(plainLatency(await merged.latency({}))).toEqual(plainLatency(held.latency({})));
    expect((await merged.dependencies({})).unavailable).toEqual(['http://peer-b']);
    // A trace the answering source holds is whole; one it does not hold may be the missing peer's.
    expect(await merged.lookupTrace(spans[0]!.traceId)).toEqual({ detail: held.getTrace(spans[0]!.traceId) });
    expect(await merged.lookupTrace(uuid(9, TRACE_PREFIX))).toEqual({ detail: undefined, unavailable: ['http://peer-b'] });
    expect(await merged.getTrace(uuid(9, TRACE_PREFIX))).toBeUndefined();
    expect((await merged.stats()).unavailable).toEqual(['http://peer-b']);
    // Every question asked it: list, latency twice, dependencies, three lookups, stats.
    expect(errors).toEqual(new Array(8).fill('http://peer-b'));
  });

  it('asks the sources of the moment when given a function, and answers empty with none', async () => {
    const clock = new ManualClock(T0);
    const held = new ReferenceStore(clock, WINDOW_MINUTES);
    applySpans(held, [toSpan({ trace: 1, span: 0, parent: null, offsetMs: 0, subNs: 0, durationNs: 1n, error: false, tags: undefined, service: 0, operation: 0 }, clock.nowMs(), 'narrow')]);
    let sources: Array<{ name: string; source: QuerySource }> = [];
    const merged = new MergedStore({ sources: () => sources, clock, windowMinutes: WINDOW_MINUTES });
    expect(await merged.listTraces({ limit: 5 })).toEqual({ total: 0, traces: [], more: false });
    sources = [{ name: 'p0', source: held }];
    expect(await merged.listTraces({ limit: 5 })).toEqual(held.listTraces({ limit: 5 }));
  });

  it('asks only the owner when a router names it', async () => {
    const clock = new ManualClock(T0);
    const held = new ReferenceStore(clock, WINDOW_MINUTES);
    const span = toSpan({ trace: 1, span: 0, parent: null, offsetMs: 0, subNs: 0, durationNs: 1n, error: false, tags: undefined, service: 0, operation: 0 }, clock.nowMs(), 'narrow');
    applySpans(held, [span]);
    const merged = new MergedStore({
      sources: [
        { name: 'p0', source: held },
        { name: 'p1', source: failing },
      ],
      clock,
      windowMinutes: WINDOW_MINUTES,
      traceOwner: (id) => (id === span.traceId ? 0 : 1),
    });
    expect(await merged.lookupTrace(span.traceId)).toEqual({ detail: held.getTrace(span.traceId) });
    expect(await merged.lookupTrace(uuid(2, TRACE_PREFIX))).toEqual({ detail: undefined, unavailable: ['p1'] });
  });
});
