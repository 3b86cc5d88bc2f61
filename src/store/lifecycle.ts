// The lifecycle role of the storage boundary: what the store holds, and releasing what the window
// has passed.
//
// Queries already ignore data older than the window edge; evict() is what gives its memory back.
// It does a bounded slice of work per call, so that dropping a minute of a busy window never
// stalls the event loop, and says whether work remains: the eviction ticker (eviction-ticker.ts)
// calls it again after yielding until nothing is pending. stats() is cheap enough to be read on
// every admission decision and metrics scrape.

import type { EvictionResult, StoreStats } from './store-shapes.js';

export interface StoreLifecycle {
  stats(): StoreStats | Promise<StoreStats>;
  /** Releases data older than the window; does at most a bounded slice of work per call. */
  evict(): EvictionResult | Promise<EvictionResult>;
}
