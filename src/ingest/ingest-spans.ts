// From a schema-valid body to store-ready spans: exact times, lowercase ids, and the checks a
// JSON schema cannot express. Any problem rejects the whole batch with the span's index.

import type { WireSpan } from '../../schemas/span.js';
import type { IngestSpan } from './ingest-span.js';
import { compareNs, int64FromJsonNumber } from '../time/nanos.js';
import type { SpanTimeLiterals } from '../codec/int64-json.js';

export type IngestConversion = { ok: true; spans: IngestSpan[] } | { ok: false; error: string };

function exactTime(literal: string | undefined, field: string): string {
  if (literal === undefined) throw new Error(`${field} must be an integer number of nanoseconds`);
  const exact = int64FromJsonNumber(literal);
  if (exact === 'not-integer') throw new Error(`${field} must be an integer number of nanoseconds`);
  if (exact === 'out-of-range') throw new Error(`${field} must fit in a signed 64-bit integer`);
  return exact;
}

export function toIngestSpans(wire: readonly WireSpan[], literals: SpanTimeLiterals | null): IngestConversion {
  const spans: IngestSpan[] = new Array(wire.length);
  for (let i = 0; i < wire.length; i++) {
    const s = wire[i]!;
    let startTime: string;
    let endTime: string;
    try {
      startTime = exactTime(literals?.start[i], `spans[${i}].start_time`);
      endTime = exactTime(literals?.end[i], `spans[${i}].end_time`);
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    if (compareNs(endTime, startTime) < 0) {
      return { ok: false, error: `spans[${i}].end_time must be >= spans[${i}].start_time` };
    }
    spans[i] = {
      traceId: s.trace_id.toLowerCase(),
      spanId: s.span_id.toLowerCase(),
      parentSpanId: s.parent_span_id?.toLowerCase(),
      service: s.service,
      operation: s.operation,
      startTime,
      endTime,
      error: s.status === 'error',
      tags: s.tags,
    };
  }
  return { ok: true, spans };
}
