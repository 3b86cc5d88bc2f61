// The decoder's name cache: a hit must be the same text, never a neighbour's that took the slot.
import { describe, expect, it } from 'vitest';
import { cachedUtf8 } from '../../src/codec/utf8-name-cache.js';

function at(text: string, pad: number): { bytes: Buffer; from: number; to: number } {
  const name = Buffer.from(text, 'utf8');
  const bytes = Buffer.concat([Buffer.alloc(pad, 0x78), name, Buffer.alloc(3, 0x79)]);
  return { bytes, from: pad, to: pad + name.length };
}

/** The cache's slot for some bytes (its hash, copied here to find two names that share a slot). */
function slotOf(bytes: Buffer): number {
  let h = 0x811c9dc5 ^ bytes.length;
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193);
  return (h ^ (h >>> 15)) & 511;
}

/** An ASCII name as long as `name`, other than it, in the same slot. */
function collidingName(name: Buffer): string {
  for (let i = 0; ; i++) {
    const candidate = `${'n'.repeat(name.length - 6)}${i.toString(36).padStart(6, '0')}`;
    if (candidate !== name.toString() && slotOf(Buffer.from(candidate)) === slotOf(name)) return candidate;
  }
}

describe('cachedUtf8', () => {
  it('gives back each name as its text, past more names than the cache has slots', () => {
    const names = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `svc-${i}` : i % 3 === 1 ? `opé-日本-${i}` : `${'x'.repeat(i % 40)}${i}`));
    for (let round = 0; round < 3; round++) {
      for (const [i, name] of names.entries()) {
        const { bytes, from, to } = at(name, i % 7);
        expect(cachedUtf8(bytes, from, to)).toBe(name);
      }
    }
  });

  it('gives back the string made last time for the same bytes, wherever they are', () => {
    const first = at('checkout', 2);
    const again = at('checkout', 11);
    const made = cachedUtf8(first.bytes, first.from, first.to);
    expect(cachedUtf8(again.bytes, again.from, again.to)).toBe(made);
  });

  it('keeps its own copy of the bytes: a buffer changed in place does not change what a name matches', () => {
    // Another name of the same length in the same slot: with a view of the buffer instead of a
    // copy, the slot would hold the new bytes and answer them with the old name.
    const original = Buffer.from('payments');
    const other = collidingName(original);
    expect(cachedUtf8(original, 0, original.length)).toBe('payments');
    original.write(other, 0, 'latin1');
    const fresh = Buffer.from(other);
    expect(cachedUtf8(fresh, 0, fresh.length)).toBe(other);
  });

  it('decodes names too long to cache, names at the limit, the empty name and bytes that are not UTF-8', () => {
    for (const name of ['é'.repeat(300), 'a'.repeat(256), 'b'.repeat(257), 'ü'.repeat(128)]) {
      const { bytes, from, to } = at(name, 1);
      expect(cachedUtf8(bytes, from, to)).toBe(name);
      expect(cachedUtf8(bytes, from, to)).toBe(name);
    }
    expect(cachedUtf8(Buffer.from('xyz'), 1, 1)).toBe('');
    const invalid = Buffer.from([0x73, 0xff, 0xfe, 0x76]);
    expect(cachedUtf8(invalid, 0, 4)).toBe(invalid.toString('utf8'));
    expect(cachedUtf8(invalid, 0, 4)).toBe('s\ufffd\ufffdv');
  });
});
