/**
 * Wall-clock Unix time in nanoseconds, as an exact bigint.
 *
 * Date.now() * 1e6 as a double loses the last digits (a double holds ~16 of
 * the 19), and Date.now() only has millisecond resolution anyway. So anchor
 * once on Date.now() in bigint arithmetic and advance with the monotonic
 * nanosecond hrtime. The anchor's sub-millisecond part is unknowable;
 * `subMsFraction` (0–1) fills it with a random value so that even the first
 * reading has all 19 significant digits rather than six trailing zeros.
 */
export function wallClockNs(subMsFraction: number): () => bigint {
  const anchor = BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(subMsFraction * 1_000_000));
  const hr0 = process.hrtime.bigint();
  return () => anchor + (process.hrtime.bigint() - hr0);
}
