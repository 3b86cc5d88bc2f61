// The POST /spans fast parser's readers of span field values (span-batch-fast.ts): names (from a
// cache), UUIDs and int64 times, four bytes a step where they can be. Each returns where its value
// ends, or -1 for anything the general path must see, and writes what it read straight into the
// column and position it is given: the batch's, at the span being read. Nothing passes through
// module-level variables: a variable exported from here is read through its module cell at each
// use in another module, and a number above 2^30 stored in one is a heap allocation.

import { readUuidWords } from '../codec/uuid-words.js';
import { decimalWordValue, digitBits, HIGH_BITS, stringStopBits } from '../codec/ascii-words.js';
import { bytesAt, JSON_BYTE, plainStringByte } from './json-bytes.js';

// Module-local copies: see JSON_BYTE.
const { CLOSE_BRACE, COMMA, NINE, QUOTE, ZERO } = JSON_BYTE;
const MAX_NAME = 256;

/**
 * Recently read service and operation names, by a hash of their bytes. A system has a few dozen
 * of each, repeated in every batch: a hit returns the string made last time (no allocation, and
 * its hash is already computed for the store's lookups), a miss makes one and takes the slot.
 * Tag text is not cached: its values (ids, urls) are often unique.
 */
const NAME_SLOTS = 512;
const cachedNameBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(NAME_SLOTS).fill(undefined);
const cachedNames: string[] = new Array<string>(NAME_SLOTS).fill('');

/**
 * With s[i] a quote: reads a plain ASCII string (no escape, no control character) of at most
 * MAX_NAME bytes into names[at], hashing it in the same pass; returns the index after its closing
 * quote, or -1.
 */
export function nameAt(s: Buffer, view: DataView, n: number, i: number, names: string[], at: number): number {
  let h = 0x811c9dc5;
  let j = i + 1;
  // Four bytes at a time while none of them ends the run, then byte by byte to the quote.
  while (j + 4 <= n) {
    const w = view.getUint32(j, true);
    if (stringStopBits(w) !== 0) break;
    h = Math.imul(h ^ w, 0x01000193);
    j += 4;
  }
  for (;; j++) {
    const c = s[j]!;
    if (c === QUOTE) break;
    if (!plainStringByte(c)) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  const from = i + 1;
  const length = j - from;
  if (length > MAX_NAME) return -1;
  h ^= length;
  const slot = (h ^ (h >>> 15)) & (NAME_SLOTS - 1);
  const known = cachedNameBytes[slot];
  if (known !== undefined && known.length === length && bytesAt(s, from, known)) {
    names[at] = cachedNames[slot]!;
  } else {
    const name = s.toString('latin1', from, j);
    // A copy: a view would keep the whole request body alive.
    const copy = new Uint8Array(length);
    for (let k = 0; k < length; k++) copy[k] = s[from + k]!;
    cachedNameBytes[slot] = copy;
    cachedNames[slot] = name;
    names[at] = name;
  }
  return j + 1;
}

/** With s[i] at a value: reads a quoted UUID into words[at, at + 4), returning the index after it, or -1. */
export function uuidAt(s: Buffer, view: DataView, i: number, words: Uint32Array, at: number): number {
  if (s[i] !== QUOTE || s[i + 37] !== QUOTE) return -1;
  return readUuidWords(view, i + 1, words, at) ? i + 38 : -1;
}

/**
 * With s[i] at a value: reads a plain non-negative int64 literal as whole seconds into times[at]
 * and nanoseconds within the second into times[at + 1], returning its end (exclusive), or -1.
 */
export function int64At(s: Buffer, view: DataView, n: number, i: number, times: Float64Array, at: number): number {
  let j = i;
  while (j + 4 <= n && digitBits(view.getUint32(j, true)) === HIGH_BITS) j += 4;
  let c = s[j]!;
  while (c >= ZERO && c <= NINE) c = s[++j]!;
  const length = j - i;
  if (length === 0 || length > 19) return -1;
  // A fraction, exponent or sign: the general path decides.
  if (c !== COMMA && c !== CLOSE_BRACE && c !== 32 && c !== 10 && c !== 13 && c !== 9) return -1;
  if (length > 1 && s[i] === ZERO) return -1;
  // The last nine digits are the nanoseconds; the rest (at most ten) the seconds: both exact.
  const split = j - 9 > i ? j - 9 : i;
  const sec = digitsValue(s, view, i, split);
  const nsec = digitsValue(s, view, split, j);
  // INT64_MAX = 9223372036 s + 854775807 ns.
  if (sec > 9223372036 || (sec === 9223372036 && nsec > 854775807)) return -1;
  times[at] = sec;
  times[at + 1] = nsec;
  return j;
}

/** The value of the decimal digits s[from, to), at most 15 of them: four at a time, then one. */
function digitsValue(s: Buffer, view: DataView, from: number, to: number): number {
  let value = 0;
  let k = from;
  for (; k + 4 <= to; k += 4) value = value * 10000 + decimalWordValue(view.getUint32(k, true));
  for (; k < to; k++) value = value * 10 + (s[k]! - ZERO);
  return value;
}
