// UUIDs as four 32-bit words. A UUID string costs ~56 bytes of heap; four words cost 16.
// Word k holds hex digits 8k..8k+7 of the 32-digit form, so comparing words in order compares
// the lowercase strings.

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let d = 0; d < 10; d++) HEX_VALUE[48 + d] = d;
for (let d = 0; d < 6; d++) {
  HEX_VALUE[97 + d] = 10 + d;
  HEX_VALUE[65 + d] = 10 + d;
}

/**
 * Value of the four hex digits b[k, k+4), or a negative number when one is not a hex digit.
 * Four digits fit a small integer, so this stays in integer arithmetic, and one test of the sign
 * of the OR rejects a bad digit anywhere (past the end a load is undefined, which `| 0` makes 0,
 * a non-digit).
 */
function hex4(b: ArrayLike<number>, k: number): number {
  const c0 = b[k]! | 0;
  const c1 = b[k + 1]! | 0;
  const c2 = b[k + 2]! | 0;
  const c3 = b[k + 3]! | 0;
  // Codes ≥ 128 are not digits; `& 127` keeps the table lookup in bounds, and the OR of the raw
  // codes catches them.
  const v0 = HEX_VALUE[c0 & 127]!;
  const v1 = HEX_VALUE[c1 & 127]!;
  const v2 = HEX_VALUE[c2 & 127]!;
  const v3 = HEX_VALUE[c3 & 127]!;
  if ((v0 | v1 | v2 | v3) < 0 || (c0 | c1 | c2 | c3) > 127) return -1;
  return (v0 << 12) | (v1 << 8) | (v2 << 4) | v3;
}

/**
 * Reads the 8-4-4-4-12 hex UUID (any case) whose first digit is b[first] (bytes or character
 * codes) into target[at..at+3]; false (and nothing written) when the text is not one.
 */
export function readUuidWords(b: ArrayLike<number>, first: number, target: Uint32Array, at: number): boolean {
  if (b[first + 8] !== 45 || b[first + 13] !== 45 || b[first + 18] !== 45 || b[first + 23] !== 45) return false;
  const w0 = hex4(b, first);
  const w1 = hex4(b, first + 4);
  const w2 = hex4(b, first + 9);
  const w3 = hex4(b, first + 14);
  const w4 = hex4(b, first + 19);
  const w5 = hex4(b, first + 24);
  const w6 = hex4(b, first + 28);
  const w7 = hex4(b, first + 32);
  if ((w0 | w1 | w2 | w3 | w4 | w5 | w6 | w7) < 0) return false;
  target[at] = w0 * 65536 + w1;
  target[at + 1] = w2 * 65536 + w3;
  target[at + 2] = w4 * 65536 + w5;
  target[at + 3] = w6 * 65536 + w7;
  return true;
}

/** Character codes of the UUID being written (any code above 255 becomes 0, a non-digit). */
const uuidCodes = new Uint8Array(36);

/** Writes a validated (8-4-4-4-12 hex, any case) UUID into target[at..at+3]. */
export function writeUuidWords(uuid: string, target: Uint32Array, at: number): void {
  for (let k = 0; k < 36; k++) {
    const c = uuid.charCodeAt(k);
    uuidCodes[k] = c < 256 ? c : 0;
  }
  readUuidWords(uuidCodes, 0, target, at);
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
