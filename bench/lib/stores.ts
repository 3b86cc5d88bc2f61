// The two stores every figure is measured on, side by side.

import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import type { Clock } from '../../src/time/clock.js';

export type StoreKind = 'bucket' | 'reference';
export const STORE_KINDS: StoreKind[] = ['bucket', 'reference'];

export function makeStore(kind: StoreKind, clock: Clock, windowMinutes: number): TraceStore {
  return kind === 'bucket' ? new BucketStore({ clock, windowMinutes }) : new ReferenceStore(clock, windowMinutes);
}

/** A clock that can be moved forward, to make a bucket leave the window on demand. */
export class OffsetClock implements Clock {
  offsetMs = 0;
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
}
