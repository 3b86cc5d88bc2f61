// OtlpTraceRequest → store-ready IngestSpans, one span at a time: a span that cannot become a
// Traced span is rejected with a reason and the others go on (OTLP partial success).
//
// Mapping (see also demo/README.md, "OTLP"):
//   resource service.name           → service (missing or empty: "unknown_service", as OTel does)
//   span name                       → operation
//   status.code 2 (ERROR)           → status "error"; unset and ok → "ok"
//   trace_id (16 bytes)             → UUID with dashes;   span_id (8 bytes) → 00000000-0000-0000-XXXX-XXXXXXXXXXXX
//   empty parent_span_id            → root (no parent_span_id)
//   start/end_time_unix_nano        → start_time / end_time, exact
//   tags, in this order of precedence (the first 50 distinct keys are kept, later ones dropped):
//     1. span.kind (server, client, producer, consumer; not internal), as the Traced SDK writes it
//     2. otel.status_description: the status message, when there is one
//     3. exception.type / exception.message from the span's last "exception" event
//     4. the span's attributes
//     5. the resource's attributes except service.name (service.version, host.name, …)
// Values are stringified by any-value.ts and cut to 1024 characters (never splitting a surrogate
// pair); service and operation names are cut to 256. Other span events, links, the scope, trace
// state and flags are not stored.
//
// Rejected (counted in partial_success.rejected_spans): invalid trace or span id (wrong length or
// all zero), a parent id that is neither empty nor valid, a time beyond int64, end before start.

import { spanIdBytesToUuid, spanIdToUuid, traceIdBytesToUuid, traceIdToUuid } from '../codec/w3c-ids.js';
import { truncate } from '../codec/truncate.js';
import { MAX_TAGS_PER_SPAN } from '../../schemas/span.js';
import type { IngestSpan } from '../ingest/ingest-span.js';
import { compareNs, INT64_MAX } from '../time/nanos.js';
import { anyValueText } from './any-value.js';
import type { OtlpAttribute, OtlpSpan, OtlpTraceRequest, RawId } from './otlp-request.js';

export const UNKNOWN_SERVICE = 'unknown_service';
const MAX_NAME_LENGTH = 256;
const MAX_TAG_VALUE_LENGTH = 1024;
/** Reasons quoted in the partial-success message; the rest are counted. */
const MAX_REASONS = 3;

const KIND_TAGS: Record<number, string> = { 2: 'server', 3: 'client', 4: 'producer', 5: 'consumer' };

export interface OtlpMapping {
  spans: IngestSpan[];
  /** Spans that could not be mapped. */
  rejected: number;
  /** Why, for the first few ("resourceSpans[0].scopeSpans[0].spans[3]: …"). */
  reasons: string[];
}

function isEmpty(id: RawId): boolean {
  return id.length === 0;
}

/** The Traced UUID of an OTLP trace id (hex text or bytes); undefined when it is not 16 bytes or all zero. */
export function traceUuid(id: RawId): string | undefined {
  return typeof id === 'string' ? traceIdToUuid(id) : traceIdBytesToUuid(id);
}

/** The Traced UUID of an OTLP span id; undefined when it is not 8 bytes or all zero. */
export function spanUuid(id: RawId): string | undefined {
  return typeof id === 'string' ? spanIdToUuid(id) : spanIdBytesToUuid(id);
}

export function describeId(id: RawId): string {
  const hex = typeof id === 'string' ? id : Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
  return hex === '' ? 'empty' : JSON.stringify(hex.length > 40 ? `${hex.slice(0, 40)}…` : hex);
}

/** Collects tags in precedence order: the first value for a key wins, at most 50 keys. */
class TagBuilder {
  private readonly tags = new Map<string, string>();

  add(key: string, value: string | undefined): void {
    if (value === undefined || this.tags.size >= MAX_TAGS_PER_SPAN || this.tags.has(key)) return;
    this.tags.set(key, truncate(value, MAX_TAG_VALUE_LENGTH));
  }

  addAttributes(attributes: readonly OtlpAttribute[], skipKey?: string): void {
    for (const attribute of attributes) {
      if (this.tags.size >= MAX_TAGS_PER_SPAN) return;
      if (attribute.key !== skipKey) this.add(attribute.key, anyValueText(attribute.value));
    }
  }

  build(): Record<string, string> | undefined {
    // Object.fromEntries defines own properties, so a "__proto__" key stays an ordinary tag.
    return this.tags.size === 0 ? undefined : Object.fromEntries(this.tags);
  }
}

/** The resource's service.name, cut to 256 characters; unknown_service when missing or empty. */
export function serviceOf(resourceAttributes: readonly OtlpAttribute[]): string {
  for (const attribute of resourceAttributes) {
    if (attribute.key !== 'service.name') continue;
    const name = anyValueText(attribute.value);
    return name === undefined || name === '' ? UNKNOWN_SERVICE : truncate(name, MAX_NAME_LENGTH);
  }
  return UNKNOWN_SERVICE;
}

/** The IngestSpan for `span`, or why it cannot be one. */
function mapSpan(span: OtlpSpan, service: string, resourceAttributes: readonly OtlpAttribute[]): IngestSpan | string {
  const traceId = traceUuid(span.traceId);
  if (traceId === undefined) return `traceId must be 16 bytes (32 hex digits), not all zero; got ${describeId(span.traceId)}`;
  const spanId = spanUuid(span.spanId);
  if (spanId === undefined) return `spanId must be 8 bytes (16 hex digits), not all zero; got ${describeId(span.spanId)}`;
  let parentSpanId: string | undefined;
  if (!isEmpty(span.parentSpanId)) {
    parentSpanId = spanUuid(span.parentSpanId);
    if (parentSpanId === undefined) {
      return `parentSpanId must be empty (a root span) or 8 bytes (16 hex digits), not all zero; got ${describeId(span.parentSpanId)}`;
    }
  }
  const startTime = span.startTimeUnixNano;
  const endTime = span.endTimeUnixNano;
  if (compareNs(startTime, INT64_MAX) > 0) return `startTimeUnixNano ${startTime} is beyond the largest int64`;
  if (compareNs(endTime, INT64_MAX) > 0) return `endTimeUnixNano ${endTime} is beyond the largest int64`;
  if (compareNs(endTime, startTime) < 0) return `endTimeUnixNano ${endTime} is before startTimeUnixNano ${startTime}`;

  const tags = new TagBuilder();
  tags.add('span.kind', KIND_TAGS[span.kind]);
  if (span.statusMessage !== '') tags.add('otel.status_description', span.statusMessage);
  if (span.exceptionAttributes !== undefined) {
    for (const attribute of span.exceptionAttributes) {
      if (attribute.key === 'exception.type' || attribute.key === 'exception.message') tags.add(attribute.key, anyValueText(attribute.value));
    }
  }
  tags.addAttributes(span.attributes);
  tags.addAttributes(resourceAttributes, 'service.name');

  return {
    traceId,
    spanId,
    parentSpanId,
    service,
    operation: truncate(span.name, MAX_NAME_LENGTH),
    startTime,
    endTime,
    error: span.statusCode === 2,
    tags: tags.build(),
  };
}

export function mapOtlpRequest(request: OtlpTraceRequest): OtlpMapping {
  const spans: IngestSpan[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  request.resourceSpans.forEach((rs, r) => {
    const service = serviceOf(rs.resourceAttributes);
    rs.scopeSpans.forEach((ss, s) => {
      ss.spans.forEach((span, k) => {
        const mapped = mapSpan(span, service, rs.resourceAttributes);
        if (typeof mapped !== 'string') {
          spans.push(mapped);
          return;
        }
        rejected++;
        if (reasons.length < MAX_REASONS) reasons.push(`resourceSpans[${r}].scopeSpans[${s}].spans[${k}]: ${mapped}`);
      });
    });
  });
  return { spans, rejected, reasons };
}

/** The partial-success message: why spans were rejected, and how many were outside the window. */
export function partialSuccessMessage(mapping: Pick<OtlpMapping, 'rejected' | 'reasons'>, outsideWindow: number, windowMinutes: number): string {
  const parts: string[] = [];
  if (mapping.rejected > 0) {
    const more = mapping.rejected - mapping.reasons.length;
    parts.push(
      `${mapping.rejected} span${mapping.rejected === 1 ? '' : 's'} could not be mapped to Traced spans: ${mapping.reasons.join('; ')}` +
        (more > 0 ? `; and ${more} more` : ''),
    );
  }
  if (outsideWindow > 0) {
    parts.push(
      `${outsideWindow} span${outsideWindow === 1 ? ' was' : 's were'} outside the collector's window and dropped ` +
        `(start time older than ${windowMinutes} minutes, or more than 5 minutes ahead of the collector's clock)`,
    );
  }
  return parts.join('. ');
}
