import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The single source of randomness for traffic generation. Everything that
 * decides what traffic looks like takes a `Random`, so tests can replay a
 * run exactly by passing a seeded one.
 */
export interface Random {
  /** Uniform float in [0, 1). */
  float(): number;
  /** A random RFC 4122 version-4 UUID (lower case). */
  uuid(): string;
}

/**
 * sfc32: tiny, fast, passes PractRand, and — unlike Math.random — seedable.
 * Statistical quality only matters for the shape of the load; nothing here is
 * security-relevant.
 */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function uuidFromFloats(next: () => number): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i += 1) bytes[i] = Math.floor(next() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Fully deterministic source: same seed, same floats and same UUIDs. Used by
 * tests and by `--seed` (beware: replaying a seed against a server that still
 * holds the previous run's traces produces colliding ids).
 */
export function seededRandom(seed: number): Random {
  // splitmix32-style scrambling so that neighbouring seeds (worker 0, 1, 2…)
  // start in unrelated states.
  let s = seed >>> 0;
  const mix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const next = sfc32(mix(), mix(), mix(), mix());
  for (let i = 0; i < 12; i += 1) next();
  return { float: next, uuid: () => uuidFromFloats(next) };
}

/**
 * Production source: ids come from crypto.randomUUID (so two runs never
 * collide), floats from a PRNG seeded from the OS.
 */
export function cryptoRandom(): Random {
  const seed = randomBytes(4).readUInt32LE(0);
  const floats = seededRandom(seed);
  return { float: floats.float, uuid: () => randomUUID() };
}

/** Integer uniformly drawn from [lo, hi] (both inclusive). */
export function intBetween(r: Random, lo: number, hi: number): number {
  return lo + Math.floor(r.float() * (hi - lo + 1));
}

/**
 * BigInt uniformly drawn from [lo, hi] (inclusive). The span (hi − lo) must
 * stay below 2^53 so the float-based draw is exact; nanosecond offsets of a
 * few seconds are far below that.
 */
export function bigBetween(r: Random, lo: bigint, hi: bigint): bigint {
  const span = hi - lo;
  if (span < 0n) throw new RangeError(`bigBetween: hi (${hi}) < lo (${lo})`);
  if (span >= 2n ** 53n) throw new RangeError('bigBetween: range too wide for an exact draw');
  return lo + BigInt(Math.floor(r.float() * (Number(span) + 1)));
}

export function chance(r: Random, p: number): boolean {
  return r.float() < p;
}

export function pick<T>(r: Random, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick from an empty list');
  return items[Math.floor(r.float() * items.length)]!;
}

/** Fisher–Yates; returns a new array, the input is left untouched. */
export function shuffled<T>(r: Random, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(r.float() * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

/** Exponential variate with the given rate (events per unit). */
export function exponential(r: Random, rate: number): number {
  // 1 − u is in (0, 1], so the log is finite.
  return -Math.log(1 - r.float()) / rate;
}
