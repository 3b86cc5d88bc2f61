// Nanosecond times as the dashboard holds them: exact decimal text (`NsText`) from the API, BigInt
// for arithmetic that must be exact (span offsets, the critical path), and milliseconds as plain
// numbers only for drawing, where a double's ~0.2 µs error at today's epoch is invisible.

export type NsText = string;

export function nsToMs(ns: NsText | bigint): number {
  const big = typeof ns === 'bigint' ? ns : BigInt(ns);
  // Split so the integer part of the division stays exact before the conversion to a double.
  return Number(big / 1_000_000n) + Number(big % 1_000_000n) / 1e6;
}

/** Epoch milliseconds (a double) to nanosecond text, rounded to the microsecond. */
export function msToNs(ms: number): NsText {
  const wholeMs = Math.floor(ms);
  const micros = Math.round((ms - wholeMs) * 1000);
  return (BigInt(wholeMs) * 1_000_000n + BigInt(micros) * 1000n).toString();
}

export function durationMs(startNs: NsText, endNs: NsText): number {
  return nsToMs(BigInt(endNs) - BigInt(startNs));
}

export function compareNs(a: NsText, b: NsText): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
