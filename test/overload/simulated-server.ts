// A single-threaded server simulated in virtual time, shaped like the collector's event loop:
// each turn reads every request that has arrived (a refusal costs `refuseMs`, an admitted
// request `readMs` to read and queue), then works the ingest queue for up to `turnBudgetMs`
// (`serviceMs` per request). The real ShedController decides at arrival; nothing here sleeps.

import { ShedController } from '../../src/http/admission/shed-controller.js';
import { exponential, seededRandom } from '../../tools/emit/random.js';

export interface SimulationOptions {
  targetDelayMs: number;
  /** CPU time of one accepted request after it is read. */
  serviceMs: number;
  readMs: number;
  refuseMs: number;
  /** A request refused at the head of the queue, read but never parsed. */
  dropMs?: number;
  turnBudgetMs?: number;
  durationMs: number;
  /** Open loop: arrivals per second as a function of virtual time. */
  ratePerSec?: (nowMs: number) => number;
  /** Closed loop: this many clients, each sending again `rttMs` after its answer. */
  clients?: number;
  rttMs?: number;
  seed?: number;
  /** A stall of `pauseMs` (a garbage collection, say) every `pauseEveryMs` of virtual time. */
  pauseEveryMs?: number;
  pauseMs?: number;
}

export interface SimulationWindow {
  fromMs: number;
  arrivals: number;
  accepted: number;
  refused: number;
  shedShare: number;
  maxSojournMs: number;
}

export interface SimulationResult {
  accepted: number;
  refused: number;
  /** Per 100 ms of virtual time. */
  windows: SimulationWindow[];
}

export function simulate(o: SimulationOptions): SimulationResult {
  const controller = new ShedController({ targetDelayMs: o.targetDelayMs });
  const random = seededRandom(o.seed ?? 1);
  const budget = o.turnBudgetMs ?? 2;
  const windows: SimulationWindow[] = [];
  const windowAt = (t: number): SimulationWindow => {
    const i = Math.floor(t / 100);
    while (windows.length <= i) windows.push({ fromMs: windows.length * 100, arrivals: 0, accepted: 0, refused: 0, shedShare: 0, maxSojournMs: 0 });
    return windows[i]!;
  };
  // Pending arrivals in time order (closed-loop clients re-enter as they are answered).
  const arrivals: number[] = [];
  const insertArrival = (at: number) => {
    let i = arrivals.length;
    while (i > 0 && arrivals[i - 1]! > at) i--;
    arrivals.splice(i, 0, at);
  };
  if (o.clients !== undefined) for (let c = 0; c < o.clients; c++) arrivals.push(c * 0.001);
  let nextOpenArrival = 0;
  const pullOpenArrivals = (until: number) => {
    if (o.ratePerSec === undefined) return;
    while (nextOpenArrival <= until) {
      arrivals.push(nextOpenArrival);
      const rate = o.ratePerSec(nextOpenArrival);
      nextOpenArrival += exponential(random, rate / 1000);
    }
  };
  const queue: number[] = [];
  /** When each queued request met its first turn; set for [.., firstTurnFrom). */
  const firstTurn: number[] = [];
  let firstTurnFrom = 0;
  let head = 0;
  let accepted = 0;
  let refused = 0;
  let t = 0;
  const answered = (at: number) => {
    if (o.clients !== undefined) insertArrival(at + (o.rttMs ?? 0.05));
  };
  let nextPauseAt = o.pauseEveryMs ?? Infinity;
  while (t < o.durationMs) {
    if (t >= nextPauseAt) {
      t += o.pauseMs ?? 0;
      nextPauseAt += o.pauseEveryMs!;
    }
    pullOpenArrivals(t);
    // Poll phase: the requests that had arrived when the turn began (later ones wait a turn).
    const polledAt = t;
    let read = 0;
    while (arrivals.length > 0 && arrivals[0]! <= polledAt) {
      arrivals.shift();
      read++;
      const w = windowAt(t);
      w.arrivals++;
      controller.update(t, head < queue.length ? t - queue[head]! : 0);
      if (controller.refuseNext()) {
        t += o.refuseMs;
        refused++;
        w.refused++;
        answered(t);
      } else {
        t += o.readMs;
        queue.push(t);
      }
      windowAt(t).shedShare = controller.shedShare;
    }
    // Check phase: the ingest queue, up to the turn budget. Requests that arrived since the last
    // turn meet their first turn now: what is overdue is the wait from then on (ingest-queue.ts).
    const turnStart = t;
    for (let k = Math.max(head, firstTurnFrom); k < queue.length; k++) firstTurn[k] = turnStart;
    firstTurnFrom = queue.length;
    let worked = 0;
    while (head < queue.length && t - turnStart < budget) {
      const sojourn = t - queue[head]!;
      const behind = t - firstTurn[head++]!;
      controller.observeSojourn(sojourn);
      const w = windowAt(t);
      if (controller.overdue(behind)) {
        t += o.dropMs ?? o.readMs;
        refused++;
        w.refused++;
        answered(t);
        continue;
      }
      w.maxSojournMs = Math.max(w.maxSojournMs, sojourn);
      t += o.serviceMs;
      accepted++;
      windowAt(t).accepted++;
      worked++;
      answered(t);
    }
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      firstTurn.splice(0, head);
      firstTurnFrom -= head;
      head = 0;
    }
    if (read === 0 && worked === 0) {
      // Idle until the next arrival.
      pullOpenArrivals(t + 1000);
      const next = arrivals[0] ?? o.durationMs;
      controller.update(t, 0);
      t = Math.max(t + 0.01, Math.min(next, t + 1));
    }
  }
  return { accepted, refused, windows };
}
