// UUIDs as four 32-bit words. A UUID string costs ~56 bytes of heap; four words cost 16.
// Word k holds hex digits 8k..8k+7 of the 32-digit form, so comparing words in order compares
// the lowercase strings.

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let d = 0; d < 10; d++) HEX_VALUE[48 + d] = d;
for (let d = 0; d < 6; d++) {
  HEX_VALUE[97 + d] = 10 + d;
  HEX_VALUE[65 + d] = 10 + d;
}

const BYTE_HEX: string[] = [];
for (let b = 0; b < 256; b++) BYTE_HEX.push(b.toString(16).padStart(2, '0'));

// Character positions of the 32 hex digits in 8-4-4-4-12 text.
const DIGIT_AT = new Uint8Array(32);
for (let d = 0, c = 0; d < 32; c++) {
  if (c === 8 || c === 13 || c === 18 || c === 23) continue;
  DIGIT_AT[d++] = c;
}

/** Writes a validated (8-4-4-4-12 hex, any case) UUID into target[at..at+3]. */
export function writeUuidWords(uuid: string, target: Uint32Array, at: number): void {
  for (let k = 0; k < 4; k++) {
    let word = 0;
    for (let d = 8 * k; d < 8 * k + 8; d++) word = word * 16 + HEX_VALUE[uuid.charCodeAt(DIGIT_AT[d]!)]!;
    target[at + k] = word;
  }
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

function wordHex(w: number): string {
  return BYTE_HEX[w >>> 24]! + BYTE_HEX[(w >>> 16) & 255]! + BYTE_HEX[(w >>> 8) & 255]! + BYTE_HEX[w & 255]!;
}

/** Lowercase 8-4-4-4-12 text of source[at..at+3]. */
export function uuidFromWords(source: ArrayLike<number>, at: number): string {
  const w1 = wordHex(source[at + 1]!);
  const w2 = wordHex(source[at + 2]!);
  return (
    wordHex(source[at]!) + '-' + w1.slice(0, 4) + '-' + w1.slice(4) + '-' + w2.slice(0, 4) + '-' + w2.slice(4) +
    wordHex(source[at + 3]!)
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
