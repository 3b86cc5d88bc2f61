// Cutting text to a length limit, shared by the collector's OTLP mapping (otlp/map-spans.ts) and
// the SDK (sdk/src/limits.ts re-exports it), which both cut names and values to the contract's
// limits rather than refuse them.

/**
 * Cuts `value` to at most `max` UTF-16 code units without splitting a surrogate pair. The contract
 * counts code points, and code points <= code units, so the result always fits.
 */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const last = value.charCodeAt(max - 1);
  const cut = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return value.slice(0, cut);
}
