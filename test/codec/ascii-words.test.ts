// The four-bytes-at-a-time tests (ascii-words.ts) against byte-by-byte definitions, over every
// byte value in every position of a word.
import { describe, expect, it } from 'vitest';
import { decimalWordValue, digitBits, HIGH_BITS, hexWordValue, stringStopBits } from '../../src/codec/ascii-words.js';

const isDigit = (b: number) => b >= 48 && b <= 57;
const hexValue = (b: number) => (isDigit(b) ? b - 48 : b >= 97 && b <= 102 ? b - 87 : b >= 65 && b <= 70 ? b - 55 : -1);
const stops = (b: number) => b === 0x22 || b === 0x5c || b < 0x20 || b >= 0x80;

/** Words with `b` at position `pos` and the other bytes from `fill`. */
function* words(fill: readonly number[]): Generator<{ bytes: number[]; w: number }> {
  for (let pos = 0; pos < 4; pos++) {
    for (let b = 0; b < 256; b++) {
      const bytes = [...fill];
      bytes[pos] = b;
      yield { bytes, w: new DataView(Uint8Array.from(bytes).buffer).getUint32(0, true) };
    }
  }
}

const FILLS = [
  [0x30, 0x39, 0x35, 0x31], // digits
  [0x61, 0x46, 0x39, 0x30], // hex
  [0x41, 0x7a, 0x20, 0x7e], // plain text
  [0xff, 0x30, 0x80, 0x39], // non-ASCII around
  [0x2f, 0x3a, 0x60, 0x67], // just outside every range
];

describe('ascii words', () => {
  it('digitBits marks exactly the digit bytes of ASCII words, and never passes a word with a byte >= 0x80', () => {
    for (const fill of FILLS) {
      for (const { bytes, w } of words(fill)) {
        const all = digitBits(w) === HIGH_BITS;
        expect(all, bytes.join(',')).toBe(bytes.every(isDigit));
        if (bytes.every((b) => b < 0x80)) {
          const bits = digitBits(w);
          bytes.forEach((b, k) => expect(((bits >>> (8 * k + 7)) & 1) === 1, `${bytes} @${k}`).toBe(isDigit(b)));
        }
      }
    }
  });

  it('hexWordValue reads four hex digits of either case, and refuses anything else', () => {
    for (const fill of FILLS) {
      for (const { bytes, w } of words(fill)) {
        const values = bytes.map(hexValue);
        const want = values.some((v) => v < 0) ? -1 : (values[0]! << 12) | (values[1]! << 8) | (values[2]! << 4) | values[3]!;
        expect(hexWordValue(w), bytes.join(',')).toBe(want);
      }
    }
  });

  it('decimalWordValue reads every four-digit number', () => {
    for (let v = 0; v < 10_000; v++) {
      const text = String(v).padStart(4, '0');
      const w = new DataView(Uint8Array.from(text, (c) => c.charCodeAt(0)).buffer).getUint32(0, true);
      expect(decimalWordValue(w)).toBe(v);
    }
  });

  it('stringStopBits finds a quote, backslash, control or non-ASCII byte anywhere in the word', () => {
    for (const fill of FILLS) {
      for (const { bytes, w } of words(fill)) expect(stringStopBits(w) !== 0, bytes.join(',')).toBe(bytes.some(stops));
    }
  });
});
