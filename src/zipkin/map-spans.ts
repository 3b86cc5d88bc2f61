// Zipkin v2 spans (already schema-valid: schemas/zipkin.ts) → store-ready IngestSpans. Unlike
// OTLP there is no partial success in Zipkin's API, so one span that cannot be mapped refuses the
// whole request (400 naming it) and nothing is stored.
//
// Mapping (README "Zipkin"):
//   traceId (16 or 32 hex)        → trace UUID; a 64-bit id is left-padded (codec/zipkin-ids.ts)
//   id / parentId (16 hex)        → span UUIDs, as W3C span ids
//   localEndpoint.serviceName     → service (missing or empty: "unknown_service", as OTLP does)
//   name                          → operation (missing: "unknown", Zipkin's own placeholder)
//   timestamp, duration (µs)      → start_time, end_time = (timestamp + duration) × 1000 ns, in
//                                   BigInt; a span without duration ends where it starts
//   the "error" tag (any value)   → status "error", and the tag is kept
//   tags, in this order of precedence (the first 50 distinct keys kept, later ones dropped):
//     1. span.kind: client, server, producer, consumer (the key the SDK and OTLP use)
//     2. zipkin.shared: "true" on the server half of a shared span
//     3. the span's tags
//     4. remoteEndpoint.serviceName / .ipv4 / .ipv6 / .port, localEndpoint.ipv4 / .ipv6 / .port
//     5. annotations, as annotation.<timestamp µs> → value; a second annotation at the same
//        microsecond gets annotation.<timestamp µs>.1, and so on (the read API turns them back)
//   shared: true                  → the server half of a span whose id its client half already
//                                   holds: stored under a derived id (codec/zipkin-ids.ts) with
//                                   the client half as its parent. A span of the same service in
//                                   the same request whose parentId is that id is re-parented
//                                   onto the server half, as Zipkin's own tree builder does; a
//                                   child arriving in a later request stays under the client half.
// Names and values are cut to 256 / 1024 characters like OTLP's (never splitting a surrogate
// pair): Zipkin clients cannot shorten them on request. Tag keys over 256 are a 400 (schema).
// `debug` is accepted and ignored: the collector does not sample Zipkin spans at the client's word.

import { truncate } from '../codec/truncate.js';
import { sharedSpanIdToUuid, zipkinSpanIdToUuid, zipkinTraceIdToUuid } from '../codec/zipkin-ids.js';
import type { IngestSpan } from '../ingest/ingest-span.js';
import { MAX_TAGS_PER_SPAN } from '../../schemas/span.js';
import type { ZipkinEndpoint, ZipkinSpan } from '../../schemas/zipkin.js';
import { compareNs, INT64_MAX } from '../time/nanos.js';

export const UNKNOWN_SERVICE = 'unknown_service';
export const UNKNOWN_OPERATION = 'unknown';
export const SHARED_TAG = 'zipkin.shared';
export const ANNOTATION_TAG_PREFIX = 'annotation.';
const MAX_NAME_LENGTH = 256;
const MAX_TAG_VALUE_LENGTH = 1024;

/** The spans to store, or why the request is refused (naming the field as a client writes it). */
export type ZipkinMapping = { ok: true; spans: IngestSpan[] } | { ok: false; error: string };

/** Collects tags in precedence order: the first value for a key wins, at most 50 keys. */
class TagBuilder {
  readonly tags = new Map<string, string>();

  add(key: string, value: string | undefined): void {
    if (value === undefined || this.tags.size >= MAX_TAGS_PER_SPAN || this.tags.has(key)) return;
    this.tags.set(key, truncate(value, MAX_TAG_VALUE_LENGTH));
  }

  addEndpoint(prefix: string, endpoint: ZipkinEndpoint | undefined, withService: boolean): void {
    if (endpoint === undefined) return;
    if (withService && endpoint.serviceName !== undefined && endpoint.serviceName !== '') this.add(`${prefix}.serviceName`, endpoint.serviceName);
    this.add(`${prefix}.ipv4`, endpoint.ipv4);
    this.add(`${prefix}.ipv6`, endpoint.ipv6);
    if (endpoint.port !== undefined && endpoint.port !== 0) this.add(`${prefix}.port`, String(endpoint.port));
  }

  build(): Record<string, string> | undefined {
    // Object.fromEntries defines own properties, so a "__proto__" key stays an ordinary tag.
    return this.tags.size === 0 ? undefined : Object.fromEntries(this.tags);
  }
}

function serviceOf(span: ZipkinSpan): string {
  const name = span.localEndpoint?.serviceName;
  return name === undefined || name === '' ? UNKNOWN_SERVICE : truncate(name, MAX_NAME_LENGTH);
}

/** µs (a safe integer, schema-checked) → exact ns text. */
function microsToNs(micros: bigint): string {
  return (micros * 1000n).toString();
}

function mapSpan(span: ZipkinSpan): IngestSpan | string {
  const traceId = zipkinTraceIdToUuid(span.traceId);
  if (traceId === undefined) return 'traceId must not be all zeros';
  const ownId = zipkinSpanIdToUuid(span.id);
  if (ownId === undefined) return 'id must not be all zeros';
  let parentSpanId: string | undefined;
  if (span.parentId !== undefined) {
    parentSpanId = zipkinSpanIdToUuid(span.parentId);
    if (parentSpanId === undefined) return 'parentId must not be all zeros (leave it out for a root span)';
  }
  const shared = span.shared === true;
  let spanId = ownId;
  if (shared) {
    // The server half: the client half holds `id`, and is this half's parent.
    spanId = sharedSpanIdToUuid(span.id)!;
    parentSpanId = ownId;
  } else if (parentSpanId === ownId) {
    return 'parentId must differ from id';
  }
  const start = BigInt(span.timestamp);
  const startTime = microsToNs(start);
  const endTime = microsToNs(start + BigInt(span.duration ?? 0));
  if (compareNs(endTime, INT64_MAX) > 0) return `timestamp + duration (${start + BigInt(span.duration ?? 0)} µs) is beyond the largest int64 of nanoseconds`;

  const tags = new TagBuilder();
  if (span.kind !== undefined) tags.add('span.kind', span.kind.toLowerCase());
  if (shared) tags.add(SHARED_TAG, 'true');
  if (span.tags !== undefined) for (const key of Object.keys(span.tags)) tags.add(key, span.tags[key]);
  tags.addEndpoint('remoteEndpoint', span.remoteEndpoint, true);
  tags.addEndpoint('localEndpoint', span.localEndpoint, false);
  if (span.annotations !== undefined) {
    for (const annotation of span.annotations) {
      const base = `${ANNOTATION_TAG_PREFIX}${annotation.timestamp}`;
      let key = base;
      for (let n = 1; tags.tags.has(key); n++) key = `${base}.${n}`;
      tags.add(key, annotation.value);
    }
  }
  return {
    traceId,
    spanId,
    parentSpanId,
    service: serviceOf(span),
    operation: span.name === undefined || span.name === '' ? UNKNOWN_OPERATION : truncate(span.name, MAX_NAME_LENGTH),
    startTime,
    endTime,
    error: span.tags !== undefined && Object.hasOwn(span.tags, 'error'),
    tags: tags.build(),
  };
}

/**
 * Maps a whole request, or refuses it at the first span that cannot be mapped. Children of a
 * shared span's server half (same trace, same service, parentId = the shared id) in the request
 * are re-parented onto it.
 */
export function mapZipkinSpans(spans: readonly ZipkinSpan[]): ZipkinMapping {
  const out: IngestSpan[] = [];
  // trace UUID + " " + shared span UUID + " " + service → the server half's UUID
  const serverHalves = new Map<string, string>();
  for (let i = 0; i < spans.length; i++) {
    const mapped = mapSpan(spans[i]!);
    if (typeof mapped === 'string') return { ok: false, error: `[${i}].${mapped}` };
    if (spans[i]!.shared === true) serverHalves.set(`${mapped.traceId} ${mapped.parentSpanId} ${mapped.service}`, mapped.spanId);
    out.push(mapped);
  }
  if (serverHalves.size > 0) {
    for (let i = 0; i < out.length; i++) {
      const span = out[i]!;
      if (span.parentSpanId === undefined || spans[i]!.shared === true) continue;
      const serverHalf = serverHalves.get(`${span.traceId} ${span.parentSpanId} ${span.service}`);
      if (serverHalf !== undefined) span.parentSpanId = serverHalf;
    }
  }
  return { ok: true, spans: out };
}
