import type { ReadableSpan } from './span.js';

/**
 * The Traced wire form of a span, written as JSON text by hand: `start_time` / `end_time` are
 * int64 nanoseconds that JSON.stringify cannot print (BigInt) and a Number cannot hold (2^53 ns is
 * 104 days), so they go out as bare integer digits. Strings still go through JSON.stringify for
 * escaping; ids and status are known-safe ASCII and are concatenated directly.
 */
export function encodeSpan(span: ReadableSpan): string {
  let json = `{"trace_id":"${span.traceUuid}","span_id":"${span.spanUuid}"`;
  if (span.parentSpanUuid !== undefined) json += `,"parent_span_id":"${span.parentSpanUuid}"`;
  json +=
    `,"service":${JSON.stringify(span.service)},"operation":${JSON.stringify(span.name)}` +
    `,"start_time":${span.startTimeNs.toString()},"end_time":${span.endTimeNs.toString()}` +
    `,"status":"${span.status}"`;
  const tags = span.tags;
  for (const _ in tags) {
    json += `,"tags":${JSON.stringify(tags)}`;
    break;
  }
  return json + '}';
}

/** `IngestRequest` body for `POST /spans`. The caller keeps batches within 500 spans. */
export function encodeIngestRequest(spans: readonly ReadableSpan[]): string {
  let json = '{"spans":[';
  for (let i = 0; i < spans.length; i++) {
    if (i > 0) json += ',';
    json += encodeSpan(spans[i]!);
  }
  return json + ']}';
}
