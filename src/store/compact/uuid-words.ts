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

function wordHex(w: number): string {
  return BYTE_HEX[w >>> 24]! + BYTE_HEX[(w >>> 16) & 255]! + BYTE_HEX[(w >>> 8) & 255]! + BYTE_HEX[w & 255]!;
}

/** Lowercase 8-4-4-4-12 text of source[at..at+3]. */
export function uuidFromWords(source: Uint32Array, at: number): string {
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
