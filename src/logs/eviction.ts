// Log eviction rides on the span store's eviction ticker (src/store/eviction-ticker.ts) as a
// participant of its own, placed before the span store, so spans and logs leave the window on
// the same tick. Expired log minutes go whole in one call: nothing is ever left pending.

import type { EvictionParticipant } from '../store/eviction-ticker.js';
import type { LogStore } from './log-store.js';

export function logEviction(logs: LogStore, onLogsEvicted: (count: number) => void): EvictionParticipant {
  return {
    async evict() {
      return { evicted: await logs.evict(), pending: false };
    },
    onEvicted: onLogsEvicted,
  };
}
