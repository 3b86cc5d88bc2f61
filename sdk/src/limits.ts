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

// Cutting to these limits is the collector's own function, so both cut text the same way.
export { truncate } from '../../src/codec/truncate.js';
