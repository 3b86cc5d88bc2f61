// UUIDs as four 32-bit words. A UUID string costs ~56 bytes of heap; four words cost 16.
// Word k holds hex digits 8k..8k+7 of the 32-digit form, so comparing words in order compares
// the lowercase strings.

import { hexWordValue } from '../../ingest/ascii-words.js';

/**
 * Reads the 8-4-4-4-12 hex UUID (any case) whose first digit is at byte `first` of `view` into
 * target[at..at+3]; false (and nothing written) when the text is not one. The view must hold the
 * 36 bytes. Four digits are read and checked as one word (ascii-words.ts).
 */
export function readUuidWords(view: DataView, first: number, target: Uint32Array, at: number): boolean {
  if (view.getUint8(first + 8) !== 45 || view.getUint8(first + 13) !== 45 || view.getUint8(first + 18) !== 45 || view.getUint8(first + 23) !== 45) return false;
  // One call site in a loop rather than eight: the parser inlines this whole function, and eight
  // copies of the digit arithmetic would spend V8's inlining budget.
  let invalid = 0;
  for (let k = 0; k < 4; k++) {
    const high = hexWordValue(view.getUint32(first + HEX_GROUPS[2 * k]!, true));
    const low = hexWordValue(view.getUint32(first + HEX_GROUPS[2 * k + 1]!, true));
    invalid |= high | low;
    uuidWords[k] = high * 65536 + low;
  }
  if (invalid < 0) return false;
  for (let k = 0; k < 4; k++) target[at + k] = uuidWords[k]!;
  return true;
}

/** Offsets of the eight four-digit groups of 8-4-4-4-12 text (hyphens at 8, 13, 18 and 23). */
const HEX_GROUPS = Int32Array.of(0, 4, 9, 14, 19, 24, 28, 32);
/** readUuidWords' words before they are known to be valid (nothing is written otherwise). */
const uuidWords = new Uint32Array(4);

/** Character codes of the UUID being written (any code above 127 becomes 0, a non-digit). */
const uuidCodes = new Uint8Array(36);
const uuidCodesView = new DataView(uuidCodes.buffer);

/** Writes a validated (8-4-4-4-12 hex, any case) UUID into target[at..at+3]. */
export function writeUuidWords(uuid: string, target: Uint32Array, at: number): void {
  for (let k = 0; k < 36; k++) {
    const c = uuid.charCodeAt(k);
    uuidCodes[k] = c < 128 ? c : 0;
  }
  readUuidWords(uuidCodesView, 0, target, at);
}

/** Character codes of the lowercase hex digits, by value. */
const HEX_CODE = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * Lowercase 8-4-4-4-12 text of source[at..at+3]. One flat string from 36 character codes: joining
 * hex pieces would allocate a dozen intermediate strings per id, and a listing formats thousands.
 */
export function uuidFromWords(source: ArrayLike<number>, at: number): string {
  const a = source[at]!;
  const b = source[at + 1]!;
  const c = source[at + 2]!;
  const d = source[at + 3]!;
  const h = HEX_CODE;
  return String.fromCharCode(
    h[a >>> 28]!, h[(a >>> 24) & 15]!, h[(a >>> 20) & 15]!, h[(a >>> 16) & 15]!, h[(a >>> 12) & 15]!, h[(a >>> 8) & 15]!, h[(a >>> 4) & 15]!, h[a & 15]!,
    45,
    h[b >>> 28]!, h[(b >>> 24) & 15]!, h[(b >>> 20) & 15]!, h[(b >>> 16) & 15]!,
    45,
    h[(b >>> 12) & 15]!, h[(b >>> 8) & 15]!, h[(b >>> 4) & 15]!, h[b & 15]!,
    45,
    h[c >>> 28]!, h[(c >>> 24) & 15]!, h[(c >>> 20) & 15]!, h[(c >>> 16) & 15]!,
    45,
    h[(c >>> 12) & 15]!, h[(c >>> 8) & 15]!, h[(c >>> 4) & 15]!, h[c & 15]!,
    h[d >>> 28]!, h[(d >>> 24) & 15]!, h[(d >>> 20) & 15]!, h[(d >>> 16) & 15]!, h[(d >>> 12) & 15]!, h[(d >>> 8) & 15]!, h[(d >>> 4) & 15]!, h[d & 15]!,
  );
}

/** Mixes four words into a 32-bit hash; ids from sequential or patterned clients still spread. */
export function hashWords(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ w2, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w3, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
