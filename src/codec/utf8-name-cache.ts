// Service and operation names decoded from UTF-8 bytes through a small cache: a system has a few
// dozen of each, repeated in every batch, so a hit returns the string made last time (no
// allocation, and its hash is already computed for the Map lookups that follow) and a miss makes
// one and takes the slot. Used where names arrive as byte ranges (the ingest log's records); the
// POST /spans parser keeps its own, hashed in the pass that finds where a name ends.

const SLOTS = 512;
/** Longer text is decoded every time: names are short, and a cached copy of a long one is waste. */
const MAX_CACHED = 256;
const slotBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(SLOTS).fill(undefined);
const slotNames: string[] = new Array<string>(SLOTS).fill('');

/** bytes[from, to) as UTF-8 text, from the cache when those bytes were decoded recently. */
export function cachedUtf8(bytes: Buffer, from: number, to: number): string {
  const length = to - from;
  if (length > MAX_CACHED) return bytes.toString('utf8', from, to);
  let h = 0x811c9dc5 ^ length;
  for (let k = from; k < to; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
  const known = slotBytes[slot];
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let k = 0; k < length; k++) {
      if (known[k] !== bytes[from + k]) {
        same = false;
        break;
      }
    }
    if (same) return slotNames[slot]!;
  }
  const name = bytes.toString('utf8', from, to);
  // A copy: a view would keep the whole buffer it came from alive.
  slotBytes[slot] = new Uint8Array(bytes.subarray(from, to));
  slotNames[slot] = name;
  return name;
}
