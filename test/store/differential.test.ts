// The production store against the reference store: random sequences of ingest, clock moves,
// eviction and queries must give identical answers — listings under every combination of search
// filters, cursor pages, trace trees, latency statistics and dependency edges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSpanBatchFast } from '../../src/ingest/span-batch-fast.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { uuid } from '../support/spans.js';
import { applySpans, recordUnsampledSpans } from '../support/store.js';
import { asBody, command, listingAfter, listQueryOf, pageThrough, plainDependencies, plainLatency, rangeOf, T0, toSpan, TRACE_PREFIX, WINDOW_MINUTES, type Command, type Names, type PreviousListing, type Shape } from './differential-commands.js';

async function run(commands: Command[], names: Names, bigTraceSpans?: number, countCacheRows?: number, shape: Shape = 'raw'): Promise<void> {
  const clock = new ManualClock(T0);
  const fast: TraceStore = new BucketStore({ clock, windowMinutes: WINDOW_MINUTES, releaseSliceSpans: 3, bigTraceSpans, countCacheRows });
  const reference: TraceStore = new ReferenceStore(clock, WINDOW_MINUTES);
  let previous: PreviousListing | undefined;
  let ingests = 0;
  for (const c of commands) {
    switch (c.kind) {
      case 'ingest': {
        const spans = c.spans.map((s) => toSpan(s, clock.nowMs(), names, shape));
        // Every other batch as POST /spans hands it over: parsed from a body, tag text left in it.
        const batch = ingests++ % 2 === 1 ? parseSpanBatchFast(Buffer.from(asBody(spans))) : undefined;
        expect(await (batch !== undefined ? fast.apply(batch) : applySpans(fast, spans))).toEqual(await applySpans(reference, spans));
        // The last listing again: what the ingest changed must show at once.
        if (previous !== undefined) expect(await fast.listTraces(previous.query)).toEqual(await reference.listTraces(previous.query));
        break;
      }
      case 'unsampled': {
        const spans = c.spans.map((s) => toSpan(s, clock.nowMs(), names, shape));
        await recordUnsampledSpans(fast, spans);
        await recordUnsampledSpans(reference, spans);
        break;
      }
      case 'advance':
        clock.advance(c.ms);
        break;
      case 'evict':
        await fast.evict();
        await reference.evict();
        break;
      case 'list': {
        const q = listQueryOf(c, clock.nowMs(), names, previous);
        const expected = await reference.listTraces(q);
        expect(await fast.listTraces(q)).toEqual(expected);
        previous = listingAfter(q, expected.traces);
        break;
      }
      case 'repeat':
        if (previous !== undefined) expect(await fast.listTraces(previous.query)).toEqual(await reference.listTraces(previous.query));
        break;
      case 'get':
        expect(await fast.getTrace(uuid(c.trace, TRACE_PREFIX))).toEqual(await reference.getTrace(uuid(c.trace, TRACE_PREFIX)));
        break;
      case 'latency':
      case 'dependencies': {
        const r = rangeOf(c, clock.nowMs());
        if (c.kind === 'latency') expect(plainLatency(await fast.latency(r))).toEqual(plainLatency(await reference.latency(r)));
        else expect(plainDependencies(await fast.dependencies(r))).toEqual(plainDependencies(await reference.dependencies(r)));
        break;
      }
    }
  }
  // Whatever happened, both stores agree on everything, page by page.
  await pageThrough(fast, reference, {}, 2);
  await pageThrough(fast, reference, { filter: { status: 'error' } }, 1);
  await pageThrough(fast, reference, { filter: { partial: true, tags: [{ key: 'a', value: 'x' }] } }, 1);
  expect(plainLatency(await fast.latency({}))).toEqual(plainLatency(await reference.latency({})));
  expect(plainDependencies(await fast.dependencies({}))).toEqual(plainDependencies(await reference.dependencies({})));
  clock.advance(WINDOW_MINUTES * 60_000 + 6 * 60_000);
  while ((await fast.evict()).pending);
  expect((await fast.stats()).spans).toBe(0);
  expect((await fast.stats()).traces).toBe(0);
}

const runs = (n: number) => ({ numRuns: Number(process.env.FC_RUNS ?? n) });

describe('BucketStore matches ReferenceStore', () => {
  it('on random sequences of ingest, time moves, eviction, searches, cursors, trees and statistics', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c, 'narrow')), runs(400));
  });

  it('when traces are large enough to use a span-id index for duplicates', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c, 'narrow', 2)), runs(300));
  });

  it('when services and operations outnumber the exact mask bits', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 80 }), (c) => run(c, 'wide')), runs(300));
  });

  it('on well-formed traces, with every search count cached between scans', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 80 }), (c) => run(c, 'narrow', undefined, 0, 'tidy')), runs(400));
  });

  it('on well-formed traces with many names', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 80 }), (c) => run(c, 'wide', undefined, 0, 'tidy')), runs(200));
  });

  it('with many names and big traces together', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 80 }), (c) => run(c, 'wide', 3)), runs(150));
  });
});
