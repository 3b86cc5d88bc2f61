/**
 * Zipkin (B3) ids ↔ Traced UUIDs, an extension of the W3C mapping in w3c-ids.ts: the collector's
 * Zipkin ingest and read API and the SDK's B3 propagator use these, so that a trace id travelling
 * in `b3` and in `traceparent` names the same trace.
 *
 *   trace id  128-bit: 32 hex digits, exactly as W3C    463ac35c9f6413ad48485a3953bb6124
 *                                                       463ac35c-9f64-13ad-4848-5a3953bb6124
 *             64-bit:  16 hex digits, left-padded with zeros to 128 bits, as Zipkin itself widens
 *                      them (and as a W3C bridge must): 48485a3953bb6124
 *                                                       00000000-0000-0000-4848-5a3953bb6124
 *             Back to Zipkin, a trace UUID whose upper 64 bits are zero is written with 16 digits,
 *             as Zipkin writes a trace id whose high bits are zero.
 *
 *   span id   16 hex digits, exactly as W3C (upper 64 bits of the UUID zero).
 *
 *   shared    The server half of a Zipkin `shared` span reuses its client's span id; the
 *   server    collector needs span ids unique within a trace, so that half is stored under
 *   half      00000000-0000-0001-XXXX-XXXXXXXXXXXX: the same low 64 bits, upper 64 bits = 1. The
 *             id is deterministic (a re-sent batch is a duplicate, not a second span), cannot
 *             collide with an id the SDK or a W3C/B3 client writes (their upper bits are zero),
 *             and maps back to the original id with `shared: true`.
 *
 * Like all of codec/, this file imports nothing but node built-ins and codec/.
 */
import { ALL_ZERO, SPAN_UUID_PREFIX, spanIdToUuid, traceIdToUuid, undashUuid } from './w3c-ids.js';

/** Upper 64 bits of the UUID the server half of a shared Zipkin span is stored under. */
export const SHARED_SPAN_UUID_PREFIX = '00000000-0000-0001-';

const HEX16_OR_32 = /^(?:[0-9a-fA-F]{16}|[0-9a-fA-F]{32})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ZERO_HIGH_HEX = '0000000000000000';

/** True for a Zipkin/B3 trace id: 16 or 32 hex digits (either case), not all zero. */
export function isZipkinTraceId(traceId: string): boolean {
  return HEX16_OR_32.test(traceId) && !ALL_ZERO.test(traceId);
}

/**
 * Zipkin/B3 trace id (16 or 32 hex) → W3C trace id (32 lowercase hex, a 64-bit id left-padded);
 * undefined for malformed or all-zero ids. The SDK's B3 propagator reads `b3` through this.
 */
export function zipkinTraceIdToW3c(traceId: string): string | undefined {
  if (!isZipkinTraceId(traceId)) return undefined;
  return (traceId.length === 16 ? ZERO_HIGH_HEX + traceId : traceId).toLowerCase();
}

/** Zipkin/B3 trace id (16 or 32 hex) → Traced trace UUID; undefined for malformed or all-zero ids. */
export function zipkinTraceIdToUuid(traceId: string): string | undefined {
  const w3c = zipkinTraceIdToW3c(traceId);
  return w3c === undefined ? undefined : traceIdToUuid(w3c);
}

/** Zipkin/B3 span id (16 hex) → Traced span UUID (the W3C mapping). */
export function zipkinSpanIdToUuid(spanId: string): string | undefined {
  return spanIdToUuid(spanId);
}

/** The UUID the server half of a shared span with Zipkin id `spanId` is stored under. */
export function sharedSpanIdToUuid(spanId: string): string | undefined {
  const uuid = spanIdToUuid(spanId);
  return uuid === undefined ? undefined : SHARED_SPAN_UUID_PREFIX + uuid.slice(SPAN_UUID_PREFIX.length);
}

// Toward Zipkin, any stored id is written, all-zero ones included (POST /spans accepts any UUID):
// the read API shows what the store holds rather than failing on it.

/** Traced trace UUID (lowercase) → Zipkin trace id: 16 hex when its upper 64 bits are zero, else 32. */
export function uuidToZipkinTraceId(uuid: string): string | undefined {
  if (!UUID.test(uuid)) return undefined;
  const hex = undashUuid(uuid);
  return hex.startsWith(ZERO_HIGH_HEX) ? hex.slice(16) : hex;
}

/** A Traced span UUID as Zipkin writes it, and whether it was the server half of a shared span. */
export interface ZipkinSpanId {
  id: string;
  shared: boolean;
}

/**
 * Traced span UUID (lowercase) → Zipkin span id. An id stored by this mapping comes back exactly
 * (a shared server half with `shared: true`). A full random UUID (a POST /spans client that does
 * not use W3C ids) has no 64-bit form: its low 64 bits stand in for it, which is unique within a
 * trace unless two of its spans share them (odds 2^-64 per pair).
 */
export function uuidToZipkinSpanId(uuid: string): ZipkinSpanId | undefined {
  if (!UUID.test(uuid)) return undefined;
  const id = uuid.slice(19, 23) + uuid.slice(24);
  return { id, shared: uuid.startsWith(SHARED_SPAN_UUID_PREFIX) };
}
