// Statistics from the bucket store: each bucket keeps latency per endpoint and dependency edges
// of its minute's spans (span-bucket.ts), kept as spans arrive and leaving with the bucket; a
// report merges the buckets of the whole minutes asked for.
//
// That is a merge per endpoint per minute: 300k at the endpoint budget (10,000) over 30 minutes,
// about a quarter of a second with realistic latency spreads. So a report yields to the event
// loop every `sliceMerges` merges. Between slices ingest may add spans to the newest minute and
// eviction may drop the oldest: a report is then the merge of each minute as it was when read,
// which for statistics over minutes is as good an instant as any. Merged stats are fresh
// objects, so nothing read is changed by a later slice.

import type { NsText } from '../../time/nanos.js';
import { LatencyStats } from '../sketch.js';
import type { DependencyLink, DependencyReport, EndpointLatency, LatencyReport, RangeQuery } from '../trace-store.js';
import { minuteStartNs, statsWindow } from '../window.js';
import { EDGE_KEY_FACTOR, type SpanBucket } from './span-bucket.js';
import type { StoreState } from './store-state.js';

/** Sketch merges between yields: about 10 ms of the event loop at ~0.7 µs a merge. */
export const DEFAULT_STATS_SLICE_MERGES = 15_000;

/**
 * Lets queued I/O and timers run before a report's next slice; false when the minute being read
 * left the window meanwhile: it is read no further, since once disposed its endpoint and
 * service ids may name others.
 */
async function nextSlice(state: StoreState, bucket: SpanBucket): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  return state.minutes.bucketAt(bucket.minute) === bucket;
}

/** Live buckets of the whole minutes a statistics query covers. */
function statsBuckets(state: StoreState, range: RangeQuery): { buckets: SpanBucket[]; after: NsText; before: NsText; elapsedSeconds: number } {
  const w = statsWindow(state.clock.nowMs(), state.windowMinutes, range.after, range.before);
  const from = w.fromMinute - state.minutes.baseMinute;
  const to = w.toMinute - state.minutes.baseMinute;
  const buckets = state.minutes.live().filter((b) => b.minute >= from && b.minute < to);
  return { buckets, after: minuteStartNs(w.fromMinute), before: minuteStartNs(w.toMinute), elapsedSeconds: w.elapsedSeconds };
}

export async function latency(state: StoreState, range: RangeQuery, sliceMerges: number): Promise<LatencyReport> {
  const { buckets, after, before, elapsedSeconds } = statsBuckets(state, range);
  const { services, operations } = state.endpoints;
  // By endpoint id; each entry keeps the names the id had when first merged.
  const merged: Array<EndpointLatency | undefined> = [];
  // Eviction between slices can free an id and number another pair with it: stats read under an
  // id whose names have changed go in an entry of their own, merged by names at the end.
  let renamed: EndpointLatency[] | undefined;
  let budget = sliceMerges;
  for (const bucket of buckets) {
    const latency = bucket.latency;
    for (let e = 0; e < latency.length; e++) {
      const stats = latency[e];
      if (stats === undefined) continue;
      let into = merged[e];
      if (into === undefined) {
        into = merged[e] = { service: services[e]!, operation: operations[e]!, stats: new LatencyStats() };
      } else if (into.service !== services[e] || into.operation !== operations[e]) {
        into = { service: services[e]!, operation: operations[e]!, stats: new LatencyStats() };
        (renamed ??= []).push(into);
      }
      into.stats.merge(stats);
      if (--budget === 0) {
        budget = sliceMerges;
        if (!(await nextSlice(state, bucket))) break;
      }
    }
  }
  const endpoints = merged.filter((x): x is EndpointLatency => x !== undefined);
  return { after, before, elapsedSeconds, endpoints: renamed === undefined ? endpoints : byNames([...endpoints, ...renamed]) };
}

/** One entry per (service, operation), merging the entries that share one. */
function byNames(entries: EndpointLatency[]): EndpointLatency[] {
  const out = new Map<string, EndpointLatency>();
  for (const e of entries) {
    const key = `${e.service}\u0000${e.operation}`;
    const held = out.get(key);
    if (held === undefined) out.set(key, e);
    else held.stats.merge(e.stats);
  }
  return [...out.values()];
}

export async function dependencies(state: StoreState, range: RangeQuery, sliceMerges: number): Promise<DependencyReport> {
  const { buckets, after, before, elapsedSeconds } = statsBuckets(state, range);
  const names = state.endpoints.serviceNames;
  // By the services' names, read as each edge is merged: ids freed by eviction between slices
  // may name other services by the end.
  const merged = new Map<string, DependencyLink>();
  let budget = sliceMerges;
  for (const bucket of buckets) {
    for (const [key, stats] of bucket.edges) {
      const parent = names[Math.floor(key / EDGE_KEY_FACTOR)]!;
      const child = names[key % EDGE_KEY_FACTOR]!;
      const name = `${parent}\u0000${child}`;
      let into = merged.get(name);
      if (into === undefined) merged.set(name, (into = { parent, child, stats: new LatencyStats() }));
      into.stats.merge(stats);
      if (--budget === 0) {
        budget = sliceMerges;
        if (!(await nextSlice(state, bucket))) break;
      }
    }
  }
  return { after, before, elapsedSeconds, links: [...merged.values()] };
}
