// A span reference packs (bucket minute, index in bucket) into one double, exact up to 2^53:
// minute * 2^28 + index. Minutes count from the store's base minute, so 2^25 minutes (63 years)
// of uptime fit, and a bucket holds up to 2^28 spans (268 M, about 50× the 100×-load minute).

export const SPANS_PER_BUCKET_LIMIT = 2 ** 28;
export const NO_SPAN = -1;

export function spanRef(minute: number, index: number): number {
  return minute * SPANS_PER_BUCKET_LIMIT + index;
}

export function refMinute(ref: number): number {
  return Math.floor(ref / SPANS_PER_BUCKET_LIMIT);
}

export function refIndex(ref: number): number {
  return ref % SPANS_PER_BUCKET_LIMIT;
}

/**
 * A reusable list of refs: a Float64Array and a count. Clearing and refilling it allocates
 * nothing, where a JS array cut back with `length = 0` gives up its storage and allocates it again
 * on the next push, and holds doubles (refs pass 2^31) boxed unless its elements stay unboxed.
 */
export class RefList {
  items = new Float64Array(64);
  length = 0;

  push(ref: number): void {
    if (this.length === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = ref;
  }

  clear(): void {
    this.length = 0;
  }
}
