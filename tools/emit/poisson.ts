/**
 * Arrival times: a Poisson process whose rate is multiplied during surges.
 * Times are milliseconds since emission start. Pure and seedable.
 */
import { exponential, type Random } from './random.js';

export interface Surge {
  startMs: number;
  endMs: number;
}

export interface SurgeOptions {
  /** Mean calm time between surges (exponential). */
  meanGapMs: number;
  minLengthMs: number;
  maxLengthMs: number;
}

export const SURGE_FACTOR = 4;
export const DEFAULT_SURGES: SurgeOptions = { meanGapMs: 15_000, minLengthMs: 2_000, maxLengthMs: 6_000 };

/**
 * One surge schedule is planned up front and shared by all workers, so a
 * surge hits the server as a real 4× spike rather than 20 uncorrelated
 * bumps that average out. Surges are 2–6 s long, separated by exponential
 * calm gaps (mean 15 s: a 60 s run usually sees a few).
 */
export function planSurges(r: Random, horizonMs: number, opts: SurgeOptions = DEFAULT_SURGES): Surge[] {
  const surges: Surge[] = [];
  let t = exponential(r, 1 / opts.meanGapMs);
  while (t < horizonMs) {
    const length = opts.minLengthMs + r.float() * (opts.maxLengthMs - opts.minLengthMs);
    surges.push({ startMs: t, endMs: t + length });
    t += length + exponential(r, 1 / opts.meanGapMs);
  }
  return surges;
}

export function inSurge(tMs: number, surges: readonly Surge[]): boolean {
  return surges.some((s) => tMs >= s.startMs && tMs < s.endMs);
}

/** Events per second at time tMs. */
export function rateAt(tMs: number, baseRate: number, surges: readonly Surge[], factor = SURGE_FACTOR): number {
  return inSurge(tMs, surges) ? baseRate * factor : baseRate;
}

/** First surge boundary (start or end) strictly after tMs, or Infinity. */
function nextBoundary(tMs: number, surges: readonly Surge[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const s of surges) {
    if (s.startMs > tMs && s.startMs < best) best = s.startMs;
    if (s.endMs > tMs && s.endMs < best) best = s.endMs;
  }
  return best;
}

/**
 * Next arrival after tMs for a piecewise-constant rate. Exact, not an
 * approximation: the exponential is memoryless, so when a draw overshoots a
 * rate change we may restart the draw from the boundary with the new rate.
 */
export function nextArrivalMs(r: Random, tMs: number, baseRate: number, surges: readonly Surge[], factor = SURGE_FACTOR): number {
  let t = tMs;
  for (;;) {
    const ratePerMs = rateAt(t, baseRate, surges, factor) / 1000;
    const candidate = t + exponential(r, ratePerMs);
    const boundary = nextBoundary(t, surges);
    if (candidate < boundary) return candidate;
    t = boundary;
  }
}

/** All arrival times in [0, horizonMs): used by tests and for planning. */
export function* arrivals(r: Random, horizonMs: number, baseRate: number, surges: readonly Surge[], factor = SURGE_FACTOR): Generator<number> {
  let t = 0;
  for (;;) {
    t = nextArrivalMs(r, t, baseRate, surges, factor);
    if (t >= horizonMs) return;
    yield t;
  }
}
