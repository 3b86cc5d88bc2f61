// The sampling hash: the same decision for a trace id on every collector instance and in any
// SDK that wants to agree with it. Documented in openapi.yaml (POST /spans):
//
//   h = FNV-1a-32 over the ASCII bytes of the salt ("head" or "tail") followed by the 16 bytes
//       of the trace id in the order of its hex digits, finished with MurmurHash3's fmix32;
//   a trace is kept when h < rate × 2^32.
//
// The salt keeps head and tail decisions independent: a trace that head sampling keeps is not
// therefore also inside TAIL_KEEP_RATE. fmix32 spreads ids that differ in a few bits (sequential
// or patterned ids) over the whole range.

import { writeUuidWords } from '../codec/uuid-words.js';

/** 'partition' places a trace on a cluster partition (src/cluster/partitions.ts), independently of both decisions. */
export type HashSalt = 'head' | 'tail' | 'partition';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const words = new Uint32Array(4);

export function samplingHash(traceId: string, salt: HashSalt): number {
  writeUuidWords(traceId, words, 0);
  return samplingHashOfWords(words, 0, salt);
}

/** samplingHash of a trace id held as four words at `offset` (a SpanBatch's ids), with no string made. */
export function samplingHashOfWords(idWords: Uint32Array, offset: number, salt: HashSalt): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), FNV_PRIME);
  for (let k = 0; k < 4; k++) {
    const w = idWords[offset + k]!;
    h = Math.imul(h ^ (w >>> 24), FNV_PRIME);
    h = Math.imul(h ^ ((w >>> 16) & 255), FNV_PRIME);
    h = Math.imul(h ^ ((w >>> 8) & 255), FNV_PRIME);
    h = Math.imul(h ^ (w & 255), FNV_PRIME);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hashes below which a trace is kept at `rate` (1 keeps every hash). */
export function keepThreshold(rate: number): number {
  return Math.floor(rate * 2 ** 32);
}
