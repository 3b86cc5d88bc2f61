// How much ingest to refuse: a proportional-integral controller on queueing delay, after PIE
// (RFC 8033), fed CoDel's measure of that delay. Every UPDATE_MS it compares the delay ingest
// requests spent waiting in the ingest queue (ingest-queue.ts) with a target and moves the
// refused share `p`:
//
//   p += ALPHA · (delay − target) / target + BETA · (delay − previous delay) / target
//
// The delay is the shortest wait of the last 100 ms, not the mean (CoDel's insight: a queue
// that empties now and then is absorbing bursts, a good queue; one whose shortest wait stays
// above the target is a standing queue, a bad one). Closed loops of clients come in waves here
// (a sync group's answers go out together, and its clients come back together), so their mean
// wait can sit above the target while the queue still empties every few milliseconds; acting on
// the mean refused up to a third of a 64-client loop of 108-span batches, clients that only come
// straight back. Arrivals beyond capacity leave no gap, and their shortest wait climbs.
//
// Why this and not the alternatives:
// - Utilization (the old signal) is ~100% at capacity whether or not anything waits, so it shed
//   at a fixed ceiling and threw away four fifths of the throughput.
// - Concurrency limits (AIMD, gradient) need requests that overlap inside the process; here a
//   batch's CPU work runs to completion in one go, so in-flight counts say nothing.
// - CoDel alone drops at dequeue, after the request has been read and queued; PIE decides at
//   arrival, which is where a refusal is cheapest (before the body is parsed, or even routed).
// The integral term settles `p` where the queue neither grows nor empties: the collector stays
// busy with exactly what it can take, and the excess alone is refused. When the queue drains,
// `p` falls by at least ALPHA per update (a full share in a second), so a burst's shedding ends
// soon after it.

export interface ShedControllerOptions {
  /** Queueing delay to hold ingest to, in ms; 0 never sheds. */
  targetDelayMs: number;
}

/** Controller period: short next to the target, long enough to average a few dequeues. */
export const UPDATE_MS = 10;
/** Periods whose shortest wait is the delay acted on (CoDel's interval, 100 ms). */
const INTERVAL_PERIODS = 10;
// Gains per update, with the error and the trend in units of the target and clamped to ±1 (so
// one long stall cannot swing the share from end to end), and the step itself capped: the share
// can cross its whole range in half a second, which a sudden 10× burst needs.
const ALPHA = 0.01;
const BETA = 0.1;
const MAX_STEP = 0.02;
/** Share of the target from which a growing delay may raise the refused share. */
const ANTICIPATE_FROM = 0.75;
/** Weight of the newest period in the smoothed delay. */
const SMOOTHING = 0.5;
/**
 * Past this many targets behind other ingest a request is refused, not worked (see overdue()).
 * This is what bounds an accepted batch's wait when arrivals outrun the share: at five targets,
 * an open loop at twice capacity saw accepted answers at 250–500 ms, at two, 50–60 ms inside
 * the collector (bench:overload, 2026-12-07).
 */
export const OVERDUE_TARGETS = 2;
/** Some batches always get in, so the delay keeps being measured. */
export const MAX_SHED = 0.98;
/** Below this the share is zero: no refusal every few thousand batches for nothing. */
const MIN_SHED = 0.002;

export class ShedController {
  private share = 0;
  private previousDelayMs = 0;
  private smoothedDelayMs = 0;
  private lastUpdateAt: number | undefined;
  /** The shortest sojourn seen since the last update; Infinity when none was. */
  private sojournMinMs = Infinity;
  /** The shortest wait of each of the last INTERVAL_PERIODS periods, as a ring. */
  private readonly periodMinimaMs = new Float64Array(INTERVAL_PERIODS);
  private periodIndex = 0;
  /** Running sum that spreads refusals evenly instead of drawing random numbers. */
  private debt = 0;
  /** The delay the latest update acted on, for the gauge. */
  private lastDelayMs = 0;

  constructor(private readonly options: ShedControllerOptions) {}

  get enabled(): boolean {
    return this.options.targetDelayMs > 0;
  }

  /** Share of ingest batches refused now (0..MAX_SHED). */
  get shedShare(): number {
    return this.share;
  }

  /** Queueing delay the controller last acted on, in ms. */
  get delayMs(): number {
    return this.lastDelayMs;
  }

  /** One ingest request left the queue after waiting `sojournMs`. */
  observeSojourn(sojournMs: number): void {
    if (sojournMs < this.sojournMinMs) this.sojournMinMs = sojournMs;
  }

  /**
   * Runs the updates that are due at `nowMs`. `oldestWaitingMs` is how long the request at the
   * head of the queue has waited so far (0 when the queue is empty): a queue that stalls, with
   * nothing leaving it, must still read as delay.
   */
  update(nowMs: number, oldestWaitingMs: number): void {
    if (this.lastUpdateAt === undefined) {
      this.lastUpdateAt = nowMs;
      return;
    }
    const elapsed = nowMs - this.lastUpdateAt;
    if (elapsed < UPDATE_MS) return;
    const periods = Math.min(100, Math.floor(elapsed / UPDATE_MS));
    this.lastUpdateAt += periods * UPDATE_MS;
    if (periods === 100) this.lastUpdateAt = nowMs;
    // A period in which nothing left the queue waited as long as its head has.
    const periodMin = this.sojournMinMs !== Infinity ? this.sojournMinMs : oldestWaitingMs;
    this.sojournMinMs = Infinity;
    const ring = this.periodMinimaMs;
    for (let i = 0; i < Math.min(periods, INTERVAL_PERIODS); i++) {
      ring[this.periodIndex] = periodMin;
      this.periodIndex = (this.periodIndex + 1) % INTERVAL_PERIODS;
    }
    let measured = Infinity;
    for (let i = 0; i < INTERVAL_PERIODS; i++) if (ring[i]! < measured) measured = ring[i]!;
    // Smoothed over a few periods, so that one garbage collection or one slow batch (a few ms
    // of delay for everything queued behind it) is not taken for a standing queue.
    const weight = 1 - (1 - SMOOTHING) ** periods;
    const delay = this.smoothedDelayMs + (measured - this.smoothedDelayMs) * weight;
    this.smoothedDelayMs = delay;
    this.lastDelayMs = delay;
    const target = this.options.targetDelayMs;
    if (target <= 0) return;
    // Periods with no traffic at all (a quiet spell, or a long stall between requests) each count
    // as one update at the same delay: an idle collector forgets its shedding at the same pace.
    const error = Math.max(-1, Math.min(1, (delay - target) / target));
    const trend = Math.max(-1, Math.min(1, (delay - this.previousDelayMs) / target));
    let step = ALPHA * error * periods + BETA * trend;
    step = Math.max(-MAX_STEP * periods, Math.min(MAX_STEP, step));
    // The trend may start shedding before the target is reached (a queue growing fast at 5×
    // overshoots it otherwise), but not in its lower part: a closed loop of clients filling up
    // to its standing depth grows just as fast, once, and must not be refused.
    if (step > 0 && delay <= target * ANTICIPATE_FROM) step = 0;
    let share = this.share + step;
    this.previousDelayMs = delay;
    share = Math.min(MAX_SHED, Math.max(0, share));
    if (share < MIN_SHED) share = 0;
    this.share = share;
    if (share === 0) this.debt = 0;
  }

  /**
   * Whether a request that waited `behindMs` behind other ingest (ingest-queue.ts: from the first
   * turn after it arrived) is refused rather than worked: while the controller sheds, past
   * OVERDUE_TARGETS × the target the client has waited long enough, and the backlog a sudden
   * burst built before the share caught up is cleared instead of served late. While it does
   * not, nothing is overdue: a closed loop of clients arrives in waves (a group's answers go out
   * together, and its clients come back together), the last of a wave may wait past the bound
   * while the queue still empties every few milliseconds, and refusing it only sends it
   * straight back.
   */
  overdue(behindMs: number): boolean {
    const target = this.options.targetDelayMs;
    return target > 0 && this.share > 0 && behindMs > target * OVERDUE_TARGETS;
  }

  /** Whether the next ingest batch is refused: `shedShare` of them, evenly spread. */
  refuseNext(): boolean {
    if (this.share === 0) return false;
    this.debt += this.share;
    if (this.debt < 1) return false;
    this.debt -= 1;
    return true;
  }
}
