// JSON with int64 nanosecond times. JSON.parse turns 1713484800123456789 into the nearest double
// (…123456768): the last digits of every start_time would be wrong. Integer literals too long to
// be exact as doubles are quoted before parsing, so they arrive as strings with every digit.
// One pass over the text, aware of string literals (a digit run inside "…" is left alone).

/** Integer literals with more digits than this may not be exact as doubles (2^53 has 16). */
const SAFE_DIGITS = 15;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `text` with every integer literal longer than SAFE_DIGITS digits wrapped in quotes. */
export function quoteLongIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the string literal, honouring escapes.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 45 /* - */ || isDigit(c)) {
      const start = i;
      if (c === 45) i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      const digits = i - start - (c === 45 ? 1 : 0);
      const next = i < n ? text.charCodeAt(i) : 0;
      const isFloat = next === 46 /* . */ || next === 101 /* e */ || next === 69; /* E */
      if (isFloat) {
        // A float stays a number: skip its fraction and exponent.
        while (i < n && /[0-9.eE+-]/.test(text[i]!)) i++;
      } else if (digits > SAFE_DIGITS) {
        out += text.slice(copiedUpTo, start) + '"' + text.slice(start, i) + '"';
        copiedUpTo = i;
      }
      continue;
    }
    i++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/** JSON.parse, with long integers kept exact as strings. */
export function parseLossless(text: string): unknown {
  return JSON.parse(quoteLongIntegers(text));
}

/**
 * A nanosecond field as exact decimal text: strings pass through (quoted above), safe numbers
 * are printed; anything else is undefined.
 */
export function nsField(value: unknown): string | undefined {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
  if (typeof value === 'number' && Number.isFinite(value)) {
    return Number.isSafeInteger(value) ? String(value) : BigInt(Math.round(value)).toString();
  }
  return undefined;
}
