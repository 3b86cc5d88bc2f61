/**
 * Wall-clock time in integer nanoseconds, exact as a BigInt end to end.
 *
 * `Date.now()` is read once, when this module loads, and every later reading is that anchor plus
 * the monotonic `process.hrtime.bigint()` elapsed since. Durations are therefore exact to the
 * nanosecond and never negative (NTP steps cannot make end < start); the absolute time is as good
 * as the one `Date.now()` reading (millisecond precision). Numbers would lose digits: 2^53 ns is
 * only about 104 days, so a Unix-epoch nanosecond timestamp needs BigInt.
 */
const anchorWallNs = BigInt(Date.now()) * 1_000_000n;
const anchorMonotonicNs = process.hrtime.bigint();

/** Current Unix time in nanoseconds. */
export function nowNs(): bigint {
  return anchorWallNs + (process.hrtime.bigint() - anchorMonotonicNs);
}

/** Nanoseconds -> milliseconds with three decimals, for human-readable output. */
export function formatNsAsMs(ns: bigint): string {
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  const micros = (abs + 500n) / 1000n; // round to the microsecond
  const ms = micros / 1000n;
  const frac = (micros % 1000n).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${ms}.${frac}`;
}
