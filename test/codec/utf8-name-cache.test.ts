// The decoder's name cache: a hit must be the same text, never a neighbour's that took the slot.
import { describe, expect, it } from 'vitest';
import { cachedUtf8 } from '../../src/codec/utf8-name-cache.js';

function at(text: string, pad: number): { bytes: Buffer; from: number; to: number } {
  const name = Buffer.from(text, 'utf8');
  const bytes = Buffer.concat([Buffer.alloc(pad, 0x78), name, Buffer.alloc(3, 0x79)]);
  return { bytes, from: pad, to: pad + name.length };
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
    // A later change to the buffer it came from does not reach the cache (it kept a copy).
    first.bytes.fill(0x41);
    expect(cachedUtf8(again.bytes, again.from, again.to)).toBe(made);
    expect(cachedUtf8(first.bytes, first.from, first.to)).toBe('AAAAAAAA');
  });

  it('decodes names too long to cache, and the empty name', () => {
    const long = 'é'.repeat(300);
    const { bytes, from, to } = at(long, 1);
    expect(cachedUtf8(bytes, from, to)).toBe(long);
    expect(cachedUtf8(bytes, 4, 4)).toBe('');
  });
});
