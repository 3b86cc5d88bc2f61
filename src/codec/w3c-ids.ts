/**
 * The one lossless mapping between W3C Trace Context ids and Traced UUIDs. The collector's OTLP
 * ingest imports it from here and the SDK re-exports it (sdk/src/ids.ts), so it exists in exactly
 * one place; like all of codec/, it imports nothing but node built-ins.
 *
 * The mapping:
 *
 *   trace id  W3C:    32 lowercase hex digits (128 bit)   4bf92f3577b34da6a3ce929d0e0e4736
 *             Traced: the same 32 digits, dashed 8-4-4-4-12 4bf92f35-77b3-4da6-a3ce-929d0e0e4736
 *
 *   span id   W3C:    16 lowercase hex digits (64 bit)    00f067aa0ba902b7
 *             Traced: upper 64 bits zero, lower 64 bits = the span id
 *                                                         00000000-0000-0000-00f0-67aa0ba902b7
 *
 * Both directions are pure digit moves, so they round-trip exactly. A Traced span UUID whose upper
 * 64 bits are not zero (written by a client that uses full random UUIDs) has no W3C form: it cannot
 * travel in `traceparent`, and `uuidToSpanId` returns undefined for it.
 *
 * All-zero ids are invalid in W3C and therefore have no image on either side: every function here
 * returns undefined for them, and the SDK's generator never produces them. Input may be upper or
 * lower case; output is always lowercase. Traced UUIDs are not RFC 4122 version-4 UUIDs (the
 * version and variant nibbles are random / zero), so a validator must accept any 32 hex digits in
 * 8-4-4-4-12.
 */
const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX16 = /^[0-9a-fA-F]{16}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const LOWER_HEX32 = /^[0-9a-f]{32}$/;
const LOWER_HEX16 = /^[0-9a-f]{16}$/;
/** Hex digits (and dashes) that are all zero: no valid W3C id. */
export const ALL_ZERO = /^[0-]*$/;

/** The prefix every SDK-written span UUID carries: the upper 64 bits, all zero. */
export const SPAN_UUID_PREFIX = '00000000-0000-0000-';

/** True for a W3C trace id as it travels in `traceparent`: 32 lowercase hex digits, not all zero. */
export function isValidTraceId(traceId: string): boolean {
  return LOWER_HEX32.test(traceId) && !ALL_ZERO.test(traceId);
}

/** True for a W3C span (parent) id as it travels in `traceparent`: 16 lowercase hex, not all zero. */
export function isValidSpanId(spanId: string): boolean {
  return LOWER_HEX16.test(spanId) && !ALL_ZERO.test(spanId);
}

/** True for any UUID-shaped string (8-4-4-4-12 hex, either case), the Traced id format. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** W3C trace id (32 hex) -> Traced trace UUID. Undefined for malformed or all-zero input. */
export function traceIdToUuid(traceId: string): string | undefined {
  if (!HEX32.test(traceId) || ALL_ZERO.test(traceId)) return undefined;
  return dashTraceId(traceId.toLowerCase());
}

/** Traced trace UUID -> W3C trace id (32 hex). Undefined for malformed or all-zero input. */
export function uuidToTraceId(uuid: string): string | undefined {
  if (!UUID.test(uuid) || ALL_ZERO.test(uuid)) return undefined;
  return undashUuid(uuid.toLowerCase());
}

/** W3C span id (16 hex) -> Traced span UUID `00000000-0000-0000-XXXX-XXXXXXXXXXXX`. */
export function spanIdToUuid(spanId: string): string | undefined {
  if (!HEX16.test(spanId) || ALL_ZERO.test(spanId)) return undefined;
  return dashSpanId(spanId.toLowerCase());
}

/**
 * Traced span UUID -> W3C span id (16 hex). Undefined for malformed or all-zero input, and for a
 * UUID whose upper 64 bits are not zero: such an id cannot travel in `traceparent`.
 */
export function uuidToSpanId(uuid: string): string | undefined {
  if (!UUID.test(uuid) || ALL_ZERO.test(uuid)) return undefined;
  const lower = uuid.toLowerCase();
  if (!lower.startsWith(SPAN_UUID_PREFIX)) return undefined;
  return lower.slice(19, 23) + lower.slice(24);
}

/** OTLP protobuf `trace_id` bytes (16) -> Traced trace UUID. Undefined for wrong length or zero. */
export function traceIdBytesToUuid(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 16 || allZero(bytes)) return undefined;
  // Bytes as hex are lowercase hex of the right length: no pattern to test (every span has two
  // or three of these ids).
  return dashTraceId(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

/** OTLP protobuf `span_id` / `parent_span_id` bytes (8) -> Traced span UUID. */
export function spanIdBytesToUuid(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 8 || allZero(bytes)) return undefined;
  return dashSpanId(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

// The unchecked forms below are for ids the SDK generated or already validated (lowercase hex of
// the right length); its span hot path uses them to skip the regex.

/** @internal 32 lowercase hex -> dashed UUID, no validation. */
export function dashTraceId(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** @internal 16 lowercase hex -> span UUID with zero upper half, no validation. */
export function dashSpanId(hex: string): string {
  return `${SPAN_UUID_PREFIX}${hex.slice(0, 4)}-${hex.slice(4)}`;
}

/** @internal dashed UUID (lowercase) -> 32 hex, no validation. */
export function undashUuid(uuid: string): string {
  return uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);
}
