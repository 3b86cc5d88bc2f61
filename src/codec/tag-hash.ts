// The 32-bit hash of a tag's (key, value) pair, shared by the POST /spans fast parser (which
// computes it from ASCII bytes while it scans them), SpanBatch.fromSpans and the bucket store's
// tag index (store/buckets/tag-index.ts), so that all three agree on every pair.

/** FNV-1a over the key, the key's length and the value (UTF-16 code units), then a final mix. */
export function tagHash(key: string, value: string): number {
  return finishTagHash(fnv(Math.imul(fnv(FNV_OFFSET, key) ^ key.length, FNV_PRIME), value));
}

// The POST /spans fast parser (span-batch-fast.ts) computes the same hash from ASCII bytes while
// it scans them, from these parts: the length follows the key so that it is known by then.
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

export function finishTagHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
