// The ingest queue: first in, first out; the wait of each request is what the controller sees;
// and it yields the loop (timers, sockets, queries) once a turn's budget of ingest work is spent.
import { describe, expect, it } from 'vitest';
import { IngestQueue } from '../../src/http/admission/ingest-queue.js';
import { OVERDUE_TARGETS, ShedController } from '../../src/http/admission/shed-controller.js';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('IngestQueue', () => {
  it('releases in arrival order, reports each wait to the controller, and counts only the wait behind other ingest as overdue', async () => {
    let now = 0;
    const controller = new ShedController({ targetDelayMs: 10 });
    // Shedding, as only then is a request ever overdue: a queue whose head waited 100 ms for a second.
    for (let t = 0; t <= 1000; t += 10) controller.update(t, 100);
    expect(controller.shedShare).toBeGreaterThan(0);
    now = 1000;
    // A 40 ms budget a turn, and each request takes 15 ms of work: three fit in the first turn.
    const queue = new IngestQueue(controller, () => now, 40);
    const order: number[] = [];
    const overdue: boolean[] = [];
    const done = new Promise<void>((resolve) => {
      for (let i = 0; i < 5; i++) {
        queue.enqueue((late) => {
          order.push(i);
          overdue.push(late);
          now += 15;
          if (i === 4) resolve();
        });
        now += 20; // arrivals 20 ms apart, as in a long poll phase
      }
    });
    // The first turn begins 100 ms after the first arrival (the poll phase ran that long).
    now = 1100;
    expect(queue.length).toBe(5);
    expect(queue.oldestWaitingMs(now)).toBe(100);
    await done;
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // Behind other ingest from the first turn on (at 1100): 0, 15, 30 ms in it, then 45 and 60
    // ms into the second. The 100 ms before the first turn do not count; past 2 × 10 ms is overdue.
    expect(overdue).toEqual([0, 15, 30, 45, 60].map((wait) => wait > OVERDUE_TARGETS * 10));
    expect(overdue).toEqual([false, false, true, true, true]);
    expect(queue.length).toBe(0);
    // The controller acts on the shortest whole wait of the last 100 ms, the poll phase included:
    // arrivals at 1000, 1020, …, 1080, released at 1100, 1115, …, 1160, waited 80 ms at least.
    controller.update(1200, 0);
    expect(controller.delayMs).toBeCloseTo(80, 0);
  });

  it('lets a timer run once a turn has spent its budget, instead of working the whole queue first', async () => {
    const queue = new IngestQueue(new ShedController({ targetDelayMs: 0 }), () => performance.now(), 2);
    const events: string[] = [];
    const all = new Promise<void>((resolve) => {
      for (let i = 0; i < 30; i++) {
        queue.enqueue(() => {
          busy(1);
          events.push('work');
          if (i === 29) resolve();
        });
      }
    });
    setTimeout(() => events.push('timer'), 0);
    await all;
    expect(events.filter((e) => e === 'work')).toHaveLength(30);
    // A 2 ms budget of 1 ms batches: the timer gets in after a few, not after all thirty.
    expect(events.indexOf('timer')).toBeLessThan(8);
  });

  it('keeps working the queue when a release throws', async () => {
    const queue = new IngestQueue(new ShedController({ targetDelayMs: 0 }));
    const reached = new Promise<void>((resolve) => {
      queue.enqueue(() => {
        throw new Error('boom');
      });
      queue.enqueue(() => resolve());
    });
    const onError = (e: Error) => expect(e.message).toBe('boom');
    process.once('uncaughtException', onError);
    await reached;
    process.removeListener('uncaughtException', onError);
  });
});
