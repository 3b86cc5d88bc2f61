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
