// The sampling hash as documented: FNV-1a over the salt and the id's 16 bytes, then fmix32.
import { describe, expect, it } from 'vitest';
import { keepThreshold, samplingHash } from '../../src/sampling/hash.js';
import { uuid } from '../support/spans.js';

/** The documented algorithm written out from the text, byte by byte. */
function documented(traceId: string, salt: string): number {
  const bytes = [...salt].map((c) => c.charCodeAt(0));
  const hex = traceId.replace(/-/g, '').toLowerCase();
  for (let i = 0; i < 32; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  let h = 0x811c9dc5;
  for (const b of bytes) h = Number((BigInt((h ^ b) >>> 0) * 0x01000193n) & 0xffffffffn);
  h ^= h >>> 16;
  h = Number((BigInt(h >>> 0) * 0x85ebca6bn) & 0xffffffffn);
  h ^= h >>> 13;
  h = Number((BigInt(h >>> 0) * 0xc2b2ae35n) & 0xffffffffn);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('samplingHash', () => {
  it('is the documented FNV-1a + fmix32 of salt and id bytes, whatever the id case', () => {
    const ids = ['00000000-0000-0000-0000-000000000000', '4BF92F35-77B3-4DA6-A3CE-929D0E0E4736', uuid(7), 'ffffffff-ffff-ffff-ffff-ffffffffffff'];
    for (const id of ids) {
      for (const salt of ['head', 'tail'] as const) expect(samplingHash(id, salt), `${salt} ${id}`).toBe(documented(id, salt));
    }
    // Fixed vectors (also in openapi.yaml), so that other implementations can check themselves.
    expect(samplingHash('4bf92f35-77b3-4da6-a3ce-929d0e0e4736', 'head')).toBe(3175739214);
    expect(samplingHash('4bf92f35-77b3-4da6-a3ce-929d0e0e4736', 'tail')).toBe(3635144435);
  });

  it('keeps about the configured share even of sequential ids, independently for head and tail', () => {
    const n = 200_000;
    const threshold = keepThreshold(0.1);
    let head = 0;
    let tail = 0;
    let both = 0;
    for (let i = 0; i < n; i++) {
      const id = uuid(i, 0x5a);
      const h = samplingHash(id, 'head') < threshold;
      const t = samplingHash(id, 'tail') < threshold;
      if (h) head++;
      if (t) tail++;
      if (h && t) both++;
    }
    expect(Math.abs(head / n - 0.1)).toBeLessThan(0.005);
    expect(Math.abs(tail / n - 0.1)).toBeLessThan(0.005);
    // Independent: about 1% in both, not 10%.
    expect(Math.abs(both / n - 0.01)).toBeLessThan(0.002);
  });

  it('keeps every trace at rate 1', () => {
    expect(keepThreshold(1)).toBe(2 ** 32);
    expect(keepThreshold(0)).toBe(0);
  });
});
