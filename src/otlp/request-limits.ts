// Per-request limits of POST /v1/traces, checked after decoding and before any span is mapped or
// stored. Breaking one refuses the whole request with a 400 (google.rpc.Status), as POST /spans
// refuses a batch: the span cap, because one request is parsed, mapped and stored in one turn of
// the event loop, and attribute keys, because they become tag keys, which every path limits.

import { MAX_TAG_KEY_LENGTH } from '../../schemas/span.js';
import type { OtlpLogsRequest } from './otlp-logs-request.js';
import { OtlpDecodeError, type OtlpAttribute, type OtlpTraceRequest } from './otlp-request.js';

/** The 400 for a request of more than `maxSpans` spans (the decoders stop counting past it). */
export function tooManySpans(maxSpans: number): OtlpDecodeError {
  return new OtlpDecodeError(
    `the request holds more than ${maxSpans} spans, the limit per request (MAX_OTLP_SPANS_PER_REQUEST); ` +
      'nothing was stored: export smaller batches (BatchSpanProcessor maxExportBatchSize, or send_batch_max_size in a Collector\'s batch processor)',
  );
}

/** The 400 for a logs request of more than `maxRecords` records (the same per-request cap as spans). */
export function tooManyLogRecords(maxRecords: number): OtlpDecodeError {
  return new OtlpDecodeError(
    `the request holds more than ${maxRecords} log records, the limit per request (MAX_OTLP_SPANS_PER_REQUEST); ` +
      'nothing was stored: export smaller batches (BatchLogRecordProcessor maxExportBatchSize)',
  );
}

/** Throws OtlpDecodeError naming the first log record or resource attribute key longer than MAX_TAG_KEY_LENGTH. */
export function checkLogAttributeKeys(request: OtlpLogsRequest): void {
  request.resourceLogs.forEach((rl, r) => {
    checkKeys(rl.resourceAttributes, `resourceLogs[${r}].resource.attributes`);
    rl.scopeLogs.forEach((sl, s) => {
      sl.logRecords.forEach((record, k) => checkKeys(record.attributes, `resourceLogs[${r}].scopeLogs[${s}].logRecords[${k}].attributes`));
    });
  });
}

/** Throws OtlpDecodeError naming the first span or resource attribute key longer than MAX_TAG_KEY_LENGTH. */
export function checkAttributeKeys(request: OtlpTraceRequest): void {
  request.resourceSpans.forEach((rs, r) => {
    checkKeys(rs.resourceAttributes, `resourceSpans[${r}].resource.attributes`);
    rs.scopeSpans.forEach((ss, s) => {
      ss.spans.forEach((span, k) => checkKeys(span.attributes, `resourceSpans[${r}].scopeSpans[${s}].spans[${k}].attributes`));
    });
  });
}

function checkKeys(attributes: readonly OtlpAttribute[], path: string): void {
  for (let i = 0; i < attributes.length; i++) {
    const key = attributes[i]!.key;
    // UTF-16 units are never fewer than code points, which the limit counts (as JSON Schema does).
    if (key.length > MAX_TAG_KEY_LENGTH && [...key].length > MAX_TAG_KEY_LENGTH) {
      throw new OtlpDecodeError(
        `${path}[${i}].key is longer than ${MAX_TAG_KEY_LENGTH} characters, the limit for attribute keys (they become tag keys); nothing was stored`,
      );
    }
  }
}
