// The stores the contract tests run: every implementation of the storage boundary, and the
// sampler wrapping each (keeping every trace, so it must answer exactly as the store it wraps).
// Each contract test file takes this one list (describe.each), so a new store joins every
// contract test by being added here.
import { SamplingStore } from '../../../src/sampling/sampling-store.js';
import { BucketStore } from '../../../src/store/buckets/bucket-store.js';
import { ReferenceStore } from '../../../src/store/reference-store.js';
import type { IngestResult, TraceStore } from '../../../src/store/trace-store.js';
import type { ManualClock } from '../../../src/time/clock.js';

export type StoreFactory = (clock: ManualClock, windowMinutes?: number) => TraceStore;

function sampled(inner: TraceStore, clock: ManualClock, windowMinutes: number): TraceStore {
  return new SamplingStore(inner, { clock, windowMinutes, headRate: 1, tail: undefined });
}

// A small release slice, so that eviction works in several slices in every test that evicts.
const bucketStore = (clock: ManualClock, windowMinutes: number) => new BucketStore({ clock, windowMinutes, releaseSliceSpans: 7 });

export const contractStores: Array<[string, StoreFactory]> = [
  ['ReferenceStore', (clock, windowMinutes = 30) => new ReferenceStore(clock, windowMinutes)],
  ['BucketStore', (clock, windowMinutes = 30) => bucketStore(clock, windowMinutes)],
  ['SamplingStore(ReferenceStore)', (clock, windowMinutes = 30) => sampled(new ReferenceStore(clock, windowMinutes), clock, windowMinutes)],
  ['SamplingStore(BucketStore)', (clock, windowMinutes = 30) => sampled(bucketStore(clock, windowMinutes), clock, windowMinutes)],
];

/** What apply() of `store` answers for these counts: a sampler in front also says it dropped none. */
export function ingestResult(store: TraceStore, counts: IngestResult): IngestResult {
  return store instanceof SamplingStore ? { ...counts, sampledOut: 0 } : counts;
}
