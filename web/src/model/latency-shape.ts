// The latency distribution of a service or operation, as far as its percentiles describe it.
// The stats endpoints return p50/p90/p95/p99/max, not bucket counts, so the per-row histogram
// puts the known share of requests between each pair of neighbouring percentiles (50% below p50,
// 40% between p50 and p90, …, 1% between p99 and max) into log-spaced bins. Where those shares
// fall is exact; how they spread inside each interval is assumed even (in log time). The chart
// says so in its title.

export interface PercentilePoints {
  p50_ms: number;
  p90_ms?: number;
  p95_ms: number;
  p99_ms: number;
  max_ms?: number;
}

export interface ShapeBin {
  fromMs: number;
  toMs: number;
  /** Share of requests in this bin, 0..1. */
  share: number;
}

const FLOOR_MS = 0.01;

function log(v: number): number {
  return Math.log10(Math.max(FLOOR_MS, v));
}

/** The lower edge assumed below p50: p50 divided by the p99/p50 spread (at least 10×). */
export function assumedLowMs(p: PercentilePoints): number {
  const spread = Math.max(10, p.p99_ms / Math.max(FLOOR_MS, p.p50_ms));
  return Math.max(FLOOR_MS, p.p50_ms / spread);
}

/**
 * `bins` log-spaced bins over `domain` (default: from the assumed low edge to max, or p99), with
 * the share of requests in each. A shared domain makes rows of a table comparable.
 */
export function latencyShape(p: PercentilePoints, bins = 24, domain?: [number, number]): ShapeBin[] {
  const p90 = p.p90_ms ?? (p.p50_ms + p.p95_ms) / 2;
  const top = Math.max(p.max_ms ?? p.p99_ms, p.p99_ms);
  const low = assumedLowMs(p);
  // Known mass between consecutive quantile points.
  const points: Array<[number, number]> = [
    [low, 0],
    [p.p50_ms, 0.5],
    [p90, 0.9],
    [p.p95_ms, 0.95],
    [p.p99_ms, 0.99],
    [top, 1],
  ];
  const lo = log(domain?.[0] ?? low);
  const hi = Math.max(lo + 1e-6, log(domain?.[1] ?? top));
  const width = (hi - lo) / bins;
  const out: ShapeBin[] = [];
  for (let b = 0; b < bins; b++) {
    const a = lo + b * width;
    const z = a + width;
    let share = 0;
    for (let k = 1; k < points.length; k++) {
      const [x0, c0] = points[k - 1]!;
      const [x1, c1] = points[k]!;
      const mass = c1 - c0;
      if (mass <= 0) continue;
      const l0 = log(x0);
      const l1 = log(x1);
      if (l1 <= l0) {
        // A point mass (two percentiles equal): it falls in the bin that holds it.
        if (l0 >= a && (l0 < z || (b === bins - 1 && l0 <= z))) share += mass;
        continue;
      }
      const overlap = Math.min(z, l1) - Math.max(a, l0);
      if (overlap > 0) share += (mass * overlap) / (l1 - l0);
    }
    out.push({ fromMs: 10 ** a, toMs: 10 ** z, share });
  }
  return out;
}
