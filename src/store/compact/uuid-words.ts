// UUIDs as four 32-bit words. A UUID string costs ~56 bytes of heap; four words cost 16.
// Word k holds hex digits 8k..8k+7 of the 32-digit form, so comparing words in order compares
// the lowercase strings.

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let d = 0; d < 10; d++) HEX_VALUE[48 + d] = d;
for (let d = 0; d < 6; d++) {
  HEX_VALUE[97 + d] = 10 + d;
  HEX_VALUE[65 + d] = 10 + d;
}

/** Value of the hex digits s[from, to) after `acc`'s, or -1 when one is not a hex digit. */
function hexValue(s: string, from: number, to: number, acc: number): number {
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    // NaN past the end fails `c < 128` too.
    const v = c < 128 ? HEX_VALUE[c]! : -1;
    if (v < 0) return -1;
    acc = acc * 16 + v;
  }
  return acc;
}

/**
 * Reads the 8-4-4-4-12 hex UUID (any case) whose first digit is s[first] into target[at..at+3];
 * false (and nothing written) when the text is not one.
 */
export function readUuidWords(s: string, first: number, target: Uint32Array, at: number): boolean {
  if (s.charCodeAt(first + 8) !== 45 || s.charCodeAt(first + 13) !== 45 || s.charCodeAt(first + 18) !== 45 || s.charCodeAt(first + 23) !== 45) {
    return false;
  }
  const w0 = hexValue(s, first, first + 8, 0);
  const a = hexValue(s, first + 9, first + 13, 0);
  const b = hexValue(s, first + 14, first + 18, 0);
  const c = hexValue(s, first + 19, first + 23, 0);
  const d = hexValue(s, first + 24, first + 28, 0);
  const w3 = hexValue(s, first + 28, first + 36, 0);
  if (w0 < 0 || a < 0 || b < 0 || c < 0 || d < 0 || w3 < 0) return false;
  target[at] = w0;
  target[at + 1] = a * 65536 + b;
  target[at + 2] = c * 65536 + d;
  target[at + 3] = w3;
  return true;
}

/** Writes a validated (8-4-4-4-12 hex, any case) UUID into target[at..at+3]. */
export function writeUuidWords(uuid: string, target: Uint32Array, at: number): void {
  readUuidWords(uuid, 0, target, at);
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
