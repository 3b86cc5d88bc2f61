/**
 * Limits from the Traced contract (shared/contract/openapi.yaml, `Span`). A collector answers 400
 * to a whole batch if one span breaks them, so the SDK enforces them where values enter a span
 * rather than letting one long tag cost 499 neighbours.
 */
export const MAX_SERVICE_LENGTH = 256;
export const MAX_OPERATION_LENGTH = 256;
export const MAX_TAGS = 50;
export const MAX_TAG_VALUE_LENGTH = 1024;
/**
 * The collector's limit on tag and attribute keys (openapi.yaml). A longer key is dropped, not
 * cut: two cut keys could become one, and a key that long is a bug to see, not data to keep.
 */
export const MAX_TAG_KEY_LENGTH = 256;
/** `maxItems` of `IngestRequest.spans`. */
export const MAX_SPANS_PER_REQUEST = 500;

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
