// Four ASCII bytes at a time, for the POST /spans fast parser and the UUID reader.
//
// A word read with DataView.getUint32(at, true) holds the byte at `at` in its low 8 bits. When
// every byte of a word is below 0x80, adding a constant below 0x80 to each byte cannot carry into
// the next byte, so one 32-bit addition tests all four bytes against a bound: bit 7 of a byte of
// (w + (0x80 - lo)) is set exactly when that byte is >= lo. A byte of 0x80 or more never passes
// digitBits or hexWordValue (hexWordValue rejects it outright), so a word with one fails as a
// whole, whatever its carry does to a neighbour.

/** Bit 7 of every byte, as the int32 that bitwise operators return. */
export const HIGH_BITS = 0x80808080 | 0;

/** Bit 7 set in each byte of w that is a decimal digit (w's bytes below 0x80, or see above). */
export function digitBits(w: number): number {
  return (w + 0x50505050) & ~(w + 0x46464646) & HIGH_BITS;
}

/** Bit 7 set in each byte of w (bytes below 0x80) that is a hex letter, a–f or A–F. */
function hexLetterBits(w: number): number {
  // Setting bit 5 maps A–F to a–f and leaves digits as they are.
  const folded = w | 0x20202020;
  return (folded + 0x1f1f1f1f) & ~(folded + 0x19191919) & HIGH_BITS;
}

/**
 * The value of the four hex digits in w, the first in its low byte (so written in the order
 * they appear), or -1 when any byte is not a hex digit.
 */
export function hexWordValue(w: number): number {
  if ((w & HIGH_BITS) !== 0) return -1;
  const letters = hexLetterBits(w);
  if ((digitBits(w) | letters) !== HIGH_BITS) return -1;
  // Each byte's low four bits are its digit's value, less 9 for a letter ('a' is 0x61).
  const n = (w & 0x0f0f0f0f) + Math.imul(letters >>> 7, 9);
  return ((n & 0xf) << 12) | (n & 0xf00) | ((n >>> 12) & 0xf0) | ((n >>> 24) & 0xf);
}

/** The value of the four decimal digits in w, the first in its low byte (digitBits(w) === HIGH_BITS). */
export function decimalWordValue(w: number): number {
  const digits = w & 0x0f0f0f0f;
  // Bytes 0 and 2 become 10·d0 + d1 and 10·d2 + d3 (each at most 99: nothing carries).
  const pairs = Math.imul(digits, 10) + (digits >>> 8);
  return (pairs & 0xff) * 100 + ((pairs >>> 16) & 0xff);
}

/**
 * Non-zero when some byte of w ends a plain string run: a quote, a backslash, a control
 * character (below 0x20) or a byte of 0x80 or more. Exact about whether there is one, not which.
 */
export function stringStopBits(w: number): number {
  const quote = w ^ 0x22222222;
  const backslash = w ^ 0x5c5c5c5c;
  return (w | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | ((w - 0x20202020) & ~w)) & HIGH_BITS;
}
