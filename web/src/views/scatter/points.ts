// The scatter's data in the shape drawing and hit testing read: typed arrays indexed like the
// trace list, so a 20k-point draw touches no objects but the traces it colours.

import type { TraceSummary } from '../../api/types.js';
import { nsToMs } from '../../model/ns.js';

export interface Points {
  xs: Float64Array;
  ys: Float64Array;
  radius: Float32Array;
  traces: TraceSummary[];
  /** CSS px inside the plot area, from the last draw; NaN when off-screen. */
  px: Float32Array;
  py: Float32Array;
}

/** A log axis cannot show 0 ms: faster traces sit on this floor. */
const LOG_FLOOR_MS = 0.5;

/** Radius in CSS px: grows with log2 of the span count, so sizes stay stable across polls. */
export function radiusFor(spanCount: number): number {
  return Math.min(9, 2.5 + 1.6 * Math.log2(Math.max(1, spanCount)));
}

export function buildPoints(traces: TraceSummary[], logY: boolean): Points {
  const n = traces.length;
  const points: Points = {
    xs: new Float64Array(n),
    ys: new Float64Array(n),
    radius: new Float32Array(n),
    traces,
    px: new Float32Array(n).fill(NaN),
    py: new Float32Array(n).fill(NaN),
  };
  for (let i = 0; i < n; i++) {
    const t = traces[i]!;
    points.xs[i] = nsToMs(t.start_time);
    points.ys[i] = logY ? Math.max(LOG_FLOOR_MS, t.duration_ms) : t.duration_ms;
    points.radius[i] = radiusFor(t.span_count);
  }
  return points;
}

/** The duration axis for these points: head room above the slowest, a decade at least on a log axis. */
export function yRange(points: Points, logY: boolean): [number, number] {
  let max = 0;
  let min = Infinity;
  for (let i = 0; i < points.ys.length; i++) {
    const y = points.ys[i]!;
    if (y > max) max = y;
    if (y < min) min = y;
  }
  if (logY) {
    const lo = Math.max(LOG_FLOOR_MS, Number.isFinite(min) ? min / 1.6 : LOG_FLOOR_MS);
    return [lo, Math.max(lo * 10, max * 1.6)];
  }
  return [0, max <= 0 ? 10 : max * 1.08];
}
