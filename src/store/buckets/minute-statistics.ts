// Statistics from the bucket store: each bucket keeps latency per endpoint and dependency edges
// of its minute's spans (span-bucket.ts), kept as spans arrive and leaving with the bucket; a
// report merges the buckets of the whole minutes asked for.

import type { NsText } from '../../time/nanos.js';
import { LatencyStats } from '../sketch.js';
import type { DependencyLink, DependencyReport, EndpointLatency, LatencyReport, RangeQuery } from '../trace-store.js';
import { minuteStartNs, statsWindow } from '../window.js';
import { EDGE_KEY_FACTOR, type SpanBucket } from './span-bucket.js';
import type { StoreState } from './store-state.js';

/** Live buckets of the whole minutes a statistics query covers. */
function statsBuckets(state: StoreState, range: RangeQuery): { buckets: SpanBucket[]; after: NsText; before: NsText; elapsedSeconds: number } {
  const w = statsWindow(state.clock.nowMs(), state.windowMinutes, range.after, range.before);
  const from = w.fromMinute - state.minutes.baseMinute;
  const to = w.toMinute - state.minutes.baseMinute;
  const buckets = state.minutes.live().filter((b) => b.minute >= from && b.minute < to);
  return { buckets, after: minuteStartNs(w.fromMinute), before: minuteStartNs(w.toMinute), elapsedSeconds: w.elapsedSeconds };
}

export function latency(state: StoreState, range: RangeQuery): LatencyReport {
  const { buckets, after, before, elapsedSeconds } = statsBuckets(state, range);
  const merged: Array<LatencyStats | undefined> = [];
  for (const bucket of buckets) {
    const latency = bucket.latency;
    for (let e = 0; e < latency.length; e++) {
      const stats = latency[e];
      if (stats === undefined) continue;
      (merged[e] ??= new LatencyStats()).merge(stats);
    }
  }
  const endpoints: EndpointLatency[] = [];
  merged.forEach((stats, e) => {
    if (stats !== undefined) endpoints.push({ service: state.endpoints.services[e]!, operation: state.endpoints.operations[e]!, stats });
  });
  return { after, before, elapsedSeconds, endpoints };
}

export function dependencies(state: StoreState, range: RangeQuery): DependencyReport {
  const { buckets, after, before, elapsedSeconds } = statsBuckets(state, range);
  const merged = new Map<number, LatencyStats>();
  for (const bucket of buckets) {
    for (const [key, stats] of bucket.edges) {
      let into = merged.get(key);
      if (into === undefined) merged.set(key, (into = new LatencyStats()));
      into.merge(stats);
    }
  }
  const names = state.endpoints.serviceNames;
  const links: DependencyLink[] = [];
  for (const [key, stats] of merged) {
    links.push({ parent: names[Math.floor(key / EDGE_KEY_FACTOR)]!, child: names[key % EDGE_KEY_FACTOR]!, stats });
  }
  return { after, before, elapsedSeconds, links };
}
