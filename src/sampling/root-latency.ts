// "The service's current p99" for tail sampling: the root durations of the traces the sampler
// has decided, by root service, over the last few minutes, in per-minute sketches. Fed before
// sampling, so the threshold describes the traffic, not what was kept.

import { LatencySketch } from '../store/sketch.js';

/** Minutes of decided traces the p99 covers. */
export const P99_HORIZON_MINUTES = 5;
/** Below this many traces in the horizon a service has no p99 yet (only TAIL_SLOW_MS applies). */
export const P99_MIN_TRACES = 100;

export class RootLatency {
  /** Per service, per minute (unix minute), newest last. */
  private readonly services = new Map<string, Array<{ minute: number; sketch: LatencySketch }>>();

  add(service: string, durationNs: number, nowMs: number): void {
    const minute = Math.floor(nowMs / 60_000);
    let minutes = this.services.get(service);
    if (minutes === undefined) this.services.set(service, (minutes = []));
    let last = minutes[minutes.length - 1];
    if (last === undefined || last.minute !== minute) {
      last = { minute, sketch: new LatencySketch() };
      minutes.push(last);
      while (minutes.length > 0 && minutes[0]!.minute <= minute - P99_HORIZON_MINUTES) minutes.shift();
    }
    last.sketch.add(durationNs);
  }

  /**
   * The p99 root duration in ms of a service over the horizon, or undefined with too few
   * traces. Erring low: the lower edge of the sketch bin that holds it, so that every trace at
   * or above the exact p99 counts as slow (and some up to 2% below it).
   */
  p99Ms(service: string, nowMs: number): number | undefined {
    const minutes = this.services.get(service);
    if (minutes === undefined) return undefined;
    const since = Math.floor(nowMs / 60_000) - P99_HORIZON_MINUTES;
    const merged = new LatencySketch();
    for (const m of minutes) if (m.minute > since) merged.merge(m.sketch);
    return merged.count < P99_MIN_TRACES ? undefined : merged.quantileLowerBoundMs(0.99);
  }
}
