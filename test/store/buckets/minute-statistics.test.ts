// Statistics reports of the bucket store (minute-statistics.ts): they merge a sketch per
// endpoint per minute, and yield to the event loop every statsSliceMerges merges so that a report
// at the endpoint budget does not hold it; ids that eviction numbers again meanwhile are reported
// under their own names.
import { describe, expect, it } from 'vitest';
import { BucketStore } from '../../../src/store/buckets/bucket-store.js';
import { serviceRows } from '../../../src/store/red.js';
import { ReferenceStore } from '../../../src/store/reference-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { span, uuid } from '../../support/spans.js';
import { applySpans } from '../../support/store.js';

const START = Date.UTC(2026, 10, 21, 10, 0, 30);
const ns = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();

function oneSpan(n: number, service: string, operation: string, atMs: number, durationMs = 5) {
  return span({ traceId: uuid(n, 0xc0), spanId: uuid(n, 0xc1), service, operation, startTime: ns(atMs), endTime: ns(atMs + durationMs) });
}

describe('BucketStore statistics', () => {
  it('yield to the event loop every statsSliceMerges merges, and answer as the reference store does', async () => {
    const clock = new ManualClock(START);
    const store = new BucketStore({ clock, windowMinutes: 5, statsSliceMerges: 7 });
    const reference = new ReferenceStore(clock, 5);
    let n = 0;
    for (let minute = 0; minute < 3; minute++) {
      for (let e = 0; e < 100; e++) {
        const s = oneSpan(n++, `service-${e % 10}`, `operation-${e}`, clock.nowMs() - 1000, 1 + ((n * 7) % 50));
        applySpans(store, [s]);
        applySpans(reference, [s]);
      }
      clock.advance(60_000);
    }
    let turns = 0;
    let done = false;
    const tick = (): void => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const report = await store.latency({});
    done = true;
    // 300 merges at 7 a slice: 42 yields, each letting the ticking callback run once.
    expect(turns).toBeGreaterThanOrEqual(42);
    expect(serviceRows(report)).toEqual(serviceRows(reference.latency({})));
  });

  it('report a pair under its own names when eviction gives its id to another pair between slices', async () => {
    const clock = new ManualClock(START);
    const store = new BucketStore({ clock, windowMinutes: 2, statsSliceMerges: 1 });
    // 10:00:20 in the first minute; then 10:01:50 and (later) 10:01:55 in the second.
    applySpans(store, [oneSpan(1, 'first', 'a', START - 10_000)]);
    clock.set(START + 88_000);
    applySpans(store, [oneSpan(2, 'second', 'b', START + 80_000)]);
    // The report merges the first minute, then yields; meanwhile that minute leaves the window
    // (at 10:03:10 the edge is 10:01:10), its pair's id is freed, and a new pair takes it in the
    // second minute's bucket.
    const pending = store.latency({});
    clock.set(START + 160_000);
    while ((await store.evict()).pending);
    expect(store.stats()).toMatchObject({ spans: 1, endpoints: 1 });
    applySpans(store, [oneSpan(3, 'third', 'c', START + 85_000)]);
    const report = await pending;
    const pairs = report.endpoints.map((e) => [e.service, e.operation, e.stats.spans]).sort();
    expect(pairs).toEqual([
      ['first', 'a', 1],
      ['second', 'b', 1],
      ['third', 'c', 1],
    ]);
  });
});
