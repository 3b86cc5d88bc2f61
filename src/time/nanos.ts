// Exact int64 nanosecond arithmetic on decimal text.
//
// A double holds 15–17 significant digits; a nanosecond timestamp has 19. Every time value in
// this codebase therefore travels as canonical decimal text ("NsText": optional '-', no leading
// zeros) from the request body to storage and back, and the stores split it into whole seconds
// and nanoseconds, two numbers a double holds exactly.

/** Canonical decimal text of an int64: optional '-', no leading zeros, "0" for zero. */
export type NsText = string;

export const INT64_MAX: NsText = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

export const NS_PER_SEC = 1_000_000_000;

/** Why a number literal is not an int64. */
export type Int64Problem = 'not-integer' | 'out-of-range';

function stripLeadingZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return i === 0 ? digits : digits.slice(i);
}

function withinInt64(absDigits: string, negative: boolean): boolean {
  const limit = negative ? INT64_MIN_ABS : INT64_MAX;
  if (absDigits.length !== limit.length) return absDigits.length < limit.length;
  return absDigits <= limit;
}

/**
 * Converts a JSON number literal (as it stood in the body) to exact int64 text.
 * Accepts every integral spelling JSON allows (`1713484800123456789`, `1.5e3`, `2E1`, `-0`)
 * and rejects fractions and values outside int64, which a double would silently round.
 */
export function int64FromJsonNumber(literal: string): NsText | Int64Problem {
  let negative = false;
  let body = literal;
  if (body.charCodeAt(0) === 45 /* - */) {
    negative = true;
    body = body.slice(1);
  }
  let digits: string;
  if (/^\d+$/.test(body)) {
    digits = stripLeadingZeros(body);
  } else {
    const m = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(body);
    if (m === null) return 'not-integer';
    const intPart = m[1]!;
    const fracPart = m[2] ?? '';
    const exponent = Number(m[3] ?? '0');
    const mantissa = stripLeadingZeros(intPart + fracPart);
    const shift = exponent - fracPart.length;
    if (mantissa === '0') {
      digits = '0';
    } else if (shift >= 0) {
      // 20 digits already exceed int64; refuse before building a huge string from 1e999999.
      if (mantissa.length + shift > 20) return 'out-of-range';
      digits = mantissa + '0'.repeat(shift);
    } else {
      const keep = mantissa.length + shift;
      const dropped = keep > 0 ? mantissa.slice(keep) : mantissa;
      if (!/^0*$/.test(dropped)) return 'not-integer';
      digits = keep > 0 ? mantissa.slice(0, keep) : '0';
    }
  }
  if (!withinInt64(digits, negative)) return 'out-of-range';
  return negative && digits !== '0' ? '-' + digits : digits;
}

/** Parses a non-negative decimal integer from a query string; undefined when it is not one. */
export function nonNegativeInt64FromText(text: string): NsText | undefined {
  if (!/^\d{1,25}$/.test(text)) return undefined;
  const digits = stripLeadingZeros(text);
  return withinInt64(digits, false) ? digits : undefined;
}

/** Three-way comparison of two canonical int64 texts. */
export function compareNs(a: NsText, b: NsText): number {
  const aNeg = a.charCodeAt(0) === 45;
  const bNeg = b.charCodeAt(0) === 45;
  if (aNeg !== bNeg) return aNeg ? -1 : 1;
  let order: number;
  if (a.length !== b.length) order = a.length < b.length ? -1 : 1;
  else order = a < b ? -1 : a > b ? 1 : 0;
  return aNeg ? -order : order;
}

// The two readers below run twice per ingested span: digit loops, no substring allocation.

/** Whole seconds of a non-negative NsText (exact: at most 9223372036 < 2^53). */
export function secondsOf(ns: NsText): number {
  let value = 0;
  for (let i = 0, end = ns.length - 9; i < end; i++) value = value * 10 + (ns.charCodeAt(i) - 48);
  return value;
}

/** Nanoseconds within the second of a non-negative NsText. */
export function subsecondNanosOf(ns: NsText): number {
  let value = 0;
  for (let i = ns.length > 9 ? ns.length - 9 : 0; i < ns.length; i++) value = value * 10 + (ns.charCodeAt(i) - 48);
  return value;
}

/** Joins whole seconds and nanoseconds (both non-negative) back into NsText. */
export function nsFromParts(seconds: number, nanos: number): NsText {
  if (seconds === 0) return String(nanos);
  const n = String(nanos);
  return String(seconds) + '000000000'.slice(n.length) + n;
}

/** Integer part of (end − start) / 1e6, exact for any int64 pair with end ≥ start. */
export function durationMsBetween(start: NsText, end: NsText): number {
  return Number((BigInt(end) - BigInt(start)) / 1_000_000n);
}
