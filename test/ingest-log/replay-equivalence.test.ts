// A store rebuilt from the ingest log answers as the store that took the live traffic: random
// sequences of ingest (through the log, as POST /spans does), clock moves and eviction, from the
// differential test's vocabulary; then a fresh store replays the log at the same clock, and the
// differential machinery compares it with the reference store that took the same traffic live
// (listings page by page under filters, trees, latency statistics, dependency edges).
//
// Replay applies each batch at the time it was logged (ReplayClock). Replayed at the restart's
// time instead, this test fails: a parent that aged out since no longer links its child (a lost
// dependency edge), and a span id whose first copy aged out is no longer a duplicate.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableWriter } from '../../src/ingest-log/durable-writer.js';
import { ReplayClock } from '../../src/ingest-log/replay-clock.js';
import { emptyProgress, replayLog } from '../../src/ingest-log/replay.js';
import { SegmentLog } from '../../src/ingest-log/segment-log.js';
import { parseSpanBatchFast } from '../../src/ingest/span-batch-fast.js';
import { SpanBatch } from '../../src/ingest/span-batch.js';
import { MinuteLogStore } from '../../src/logs/minute-log-store.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { asBody, command, pageThrough, plainDependencies, plainLatency, T0, toSpan, TRACE_PREFIX, WINDOW_MINUTES, type Command, type Shape } from '../store/differential-commands.js';
import { uuid } from '../support/spans.js';

async function run(commands: Command[], shape: Shape, workerFromBytes?: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'replay-equivalence-'));
  try {
    const clock = new ManualClock(T0);
    const live = new BucketStore({ clock, windowMinutes: WINDOW_MINUTES, releaseSliceSpans: 3 });
    const log = new SegmentLog({ dir, clock, windowMinutes: WINDOW_MINUTES });
    const durable = new DurableWriter(log, live, clock, WINDOW_MINUTES);
    const reference = new ReferenceStore(clock, WINDOW_MINUTES);
    let ingests = 0;
    for (const c of commands) {
      if (c.kind === 'ingest') {
        const spans = c.spans.map((s) => toSpan(s, clock.nowMs(), 'narrow', shape));
        if (spans.length === 0) continue;
        // Every other batch as POST /spans hands it over: parsed from a body, tag text left in it.
        const batch = ingests++ % 2 === 1 ? parseSpanBatchFast(Buffer.from(asBody(spans))) : undefined;
        expect(await durable.apply(batch ?? SpanBatch.fromSpans(spans))).toEqual(reference.apply(SpanBatch.fromSpans(spans)));
      } else if (c.kind === 'advance') {
        clock.advance(c.ms);
      } else if (c.kind === 'evict') {
        await live.evict();
        await reference.evict();
        await log.evict(clock.nowMs());
      }
    }
    await log.close();

    // The restart: a fresh store on a clock that replay sets to each record's append time.
    const replayClock = new ReplayClock(clock);
    const rebuilt = new BucketStore({ clock: replayClock, windowMinutes: WINDOW_MINUTES, releaseSliceSpans: 3 });
    const progress = emptyProgress();
    await replayLog({
      dir,
      clock,
      windowMinutes: WINDOW_MINUTES,
      writer: rebuilt,
      logStore: new MinuteLogStore({ clock: replayClock, windowMinutes: WINDOW_MINUTES }),
      progress,
      log: () => undefined,
      replayClock,
      workerFromBytes,
      evict: async () => {
        while ((await rebuilt.evict()).pending);
      },
    });
    expect(progress.corruptRecords + progress.tornTails + progress.skippedSegments + progress.failedRecords).toBe(0);
    for (let trace = 0; trace <= 5; trace++) expect(await rebuilt.getTrace(uuid(trace, TRACE_PREFIX))).toEqual(await live.getTrace(uuid(trace, TRACE_PREFIX)));
    await pageThrough(rebuilt, reference, {}, 2);
    await pageThrough(rebuilt, reference, { filter: { status: 'error' } }, 1);
    await pageThrough(rebuilt, reference, { filter: { partial: true, tags: [{ key: 'a', value: 'x' }] } }, 1);
    expect(plainLatency(await rebuilt.latency({}))).toEqual(plainLatency(await reference.latency({})));
    expect(plainDependencies(await rebuilt.dependencies({}))).toEqual(plainDependencies(await reference.dependencies({})));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = (n: number) => ({ numRuns: Number(process.env.FC_RUNS ?? n) });

describe('a store rebuilt from the ingest log', () => {
  it('answers as the reference store that took the traffic live, on well-formed traces', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c, 'tidy')), runs(60));
  });

  it('answers as the reference store that took the traffic live, on any spans (shared span ids, any times, parents anywhere)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c, 'raw')), runs(60));
  });

  // Logs this small are read on the main thread; a log of WORKER_FROM_BYTES or more is read and
  // decoded by the replay worker, whose chunks must rebuild the same store.
  it('answers the same when the replay worker reads and decodes the log', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (c) => run(c, 'raw', 0)), runs(8));
  });
});
