// Log eviction rides on the span store's eviction timer (src/store/eviction-ticker.ts), so spans
// and logs leave the window on the same tick. The ticker only calls evict(); it is handed a view
// of the span store whose evict() first drops the expired log minutes (whole buckets, cheap) and
// then does the span store's own work. Every other member is the span store's, bound to it, so
// the view stays complete whatever the TraceStore interface grows.

import type { EvictionResult, TraceStore } from '../store/trace-store.js';
import type { LogStore } from './log-store.js';

export function withLogEviction(store: TraceStore, logs: LogStore, onLogsEvicted: (count: number) => void): TraceStore {
  const evict = async (): Promise<EvictionResult> => {
    const evictedLogs = await logs.evict();
    if (evictedLogs > 0) onLogsEvicted(evictedLogs);
    return store.evict();
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'evict') return evict;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
