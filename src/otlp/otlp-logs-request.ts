// An ExportLogsServiceRequest as both decoders (OTLP/JSON, OTLP/protobuf) hand it to the log
// mapping (logs/otlp-logs.ts): only the fields the collector maps, encoding-neutral, as
// otlp-request.ts is for spans.

import type { AnyValueView, OtlpAttribute, RawId } from './otlp-request.js';

export interface OtlpLogRecord {
  /** fixed64 as canonical unsigned decimal text; "0" when unset. */
  timeUnixNano: string;
  observedTimeUnixNano: string;
  /** SeverityNumber: 0 unspecified, 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal. */
  severityNumber: number;
  severityText: string;
  body: AnyValueView;
  attributes: OtlpAttribute[];
  /** Empty when the record was logged outside a span. */
  traceId: RawId;
  spanId: RawId;
}

export interface OtlpScopeLogs {
  logRecords: OtlpLogRecord[];
}

export interface OtlpResourceLogs {
  resourceAttributes: OtlpAttribute[];
  scopeLogs: OtlpScopeLogs[];
}

export interface OtlpLogsRequest {
  resourceLogs: OtlpResourceLogs[];
}
