// Byte-level JSON reading for the POST /spans fast parser (span-batch-fast.ts, whose header says
// why it reads bytes and how it stays safe past the end of the body): structural characters,
// whitespace, plain string bytes and in-place comparisons with ASCII text.

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const BACKSLASH = 92;
const ZERO = 48;
const NINE = 57;

/**
 * The structural bytes, exported as one object for the parser's modules to copy into consts of
 * their own (`const { QUOTE } = JSON_BYTE`). V8 compiles a module's own const bindings into the
 * machine code as constants, but loads an imported binding from its module cell at every use,
 * and these are compared with at nearly every byte of a body: imported one by one, they cost
 * the parser about 6% more instructions.
 */
export const JSON_BYTE = { QUOTE, COMMA, COLON, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET, BACKSLASH, ZERO, NINE } as const;

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
