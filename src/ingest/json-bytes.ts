// Byte-level JSON reading for the POST /spans fast parser (span-batch-fast.ts, whose header says
// why it reads bytes and how it stays safe past the end of the body): structural characters,
// whitespace, plain string bytes and in-place comparisons with ASCII text.

export const QUOTE = 34;
export const COMMA = 44;
export const COLON = 58;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;
export const BACKSLASH = 92;
export const ZERO = 48;
export const NINE = 57;

/** Index of the first non-whitespace character at or after i. */
export function skipWs(s: Buffer, i: number): number {
  for (;;) {
    const c = s[i]!;
    // Every structural character is above the space: one comparison in compact JSON.
    if (c > 32 || (c !== 32 && c !== 10 && c !== 13 && c !== 9)) return i;
    i++;
  }
}

/** Whether c (a byte, or undefined past the end) may stand in a plain string: 0x20–0x7f, not a backslash. */
export function plainStringByte(c: number): boolean {
  // `| 0` makes undefined 0; `>>> 0` makes codes below 0x20 huge, so one comparison tests both ends.
  return ((c | 0) - 32) >>> 0 < 96 && c !== BACKSLASH;
}

/** With s[j] just after a key: the index of its value (past the colon and any whitespace), or -1. */
export function valueAt(s: Buffer, j: number): number {
  if (s[j] !== COLON) {
    j = skipWs(s, j);
    if (s[j] !== COLON) return -1;
  }
  return skipWs(s, j + 1);
}

/** ASCII text as bytes, to compare in place. */
export const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Four ASCII characters as the little-endian word DataView.getUint32(at, true) reads. */
export const word = (text: string): number =>
  (text.charCodeAt(0) | (text.charCodeAt(1) << 8) | (text.charCodeAt(2) << 16) | (text.charCodeAt(3) << 24)) >>> 0;

/** Whether s[at ..] starts with `bytes`. */
export function bytesAt(s: Buffer, at: number, bytes: Uint8Array): boolean {
  for (let k = 0; k < bytes.length; k++) if (s[at + k] !== bytes[k]) return false;
  return true;
}

/** Whether the key at s[open+1 .. close) is exactly `name`. */
export function keyIs(s: Buffer, open: number, close: number, name: Uint8Array): boolean {
  return close - open - 1 === name.length && bytesAt(s, open + 1, name);
}
