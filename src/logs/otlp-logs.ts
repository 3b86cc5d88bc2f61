// OtlpLogsRequest → store-ready IngestLogs, one record at a time: a record that cannot become a
// Traced log line is rejected with a reason and the others go on (OTLP partial success), as
// otlp/map-spans.ts does for spans, and with its id and service rules, so that a record's
// trace_id and span_id are the UUIDs its spans were stored under and GET /traces/{id}/logs
// finds them.
//
// Mapping:
//   resource service.name        → service (missing or empty: "unknown_service", as for spans)
//   trace_id (16 bytes)          → trace_id, as spans map it;  span_id (8 bytes) → span_id
//   time_unix_nano               → time, exact; 0 (unset) falls back to observed_time_unix_nano
//   severity_number              → level: 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20
//                                  error, 21–24 fatal; unset: severity_text when it names a level
//                                  (warning → warn), else info
//   body (AnyValue)              → message, as attribute values are stringified (any-value.ts);
//                                  cut to 8192 characters
//   attributes                   → attributes (the first 50; values cut to 1024 characters)
// Resource attributes other than service.name, the scope, flags and event names are not stored.
//
// Rejected (counted in partial_success.rejected_log_records): no trace id (the log store keeps
// logs per trace: a line logged outside any span has nowhere to be read from), an invalid trace or
// span id, both times unset, a time beyond int64.

import { MAX_LOG_ATTRIBUTES, MAX_LOG_MESSAGE_LENGTH, type LogLevel } from '../../schemas/logs.js';
import { truncate } from '../codec/truncate.js';
import { anyValueText } from '../otlp/any-value.js';
import { describeId, serviceOf, spanUuid, traceUuid } from '../otlp/map-spans.js';
import type { OtlpLogRecord, OtlpLogsRequest } from '../otlp/otlp-logs-request.js';
import type { OtlpAttribute } from '../otlp/otlp-request.js';
import { compareNs, INT64_MAX } from '../time/nanos.js';
import type { IngestLog } from './log-store.js';

const MAX_ATTRIBUTE_VALUE_LENGTH = 1024;
/** Reasons quoted in the partial-success message; the rest are counted. */
const MAX_REASONS = 3;

const LEVEL_BY_SEVERITY_RANGE: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const LEVEL_BY_TEXT: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  critical: 'fatal',
};

export interface OtlpLogsMapping {
  logs: IngestLog[];
  /** Records that could not be mapped. */
  rejected: number;
  /** Why, for the first few ("resourceLogs[0].scopeLogs[0].logRecords[3]: …"). */
  reasons: string[];
}

function levelOf(record: OtlpLogRecord): LogLevel {
  const n = record.severityNumber;
  if (n >= 1 && n <= 24) return LEVEL_BY_SEVERITY_RANGE[Math.floor((n - 1) / 4)]!;
  return LEVEL_BY_TEXT[record.severityText.trim().toLowerCase()] ?? 'info';
}

function attributesOf(attributes: readonly OtlpAttribute[]): Record<string, string> | undefined {
  const out = new Map<string, string>();
  for (const attribute of attributes) {
    if (out.size >= MAX_LOG_ATTRIBUTES) break;
    const text = anyValueText(attribute.value);
    if (text !== undefined && !out.has(attribute.key)) out.set(attribute.key, truncate(text, MAX_ATTRIBUTE_VALUE_LENGTH));
  }
  // Object.fromEntries defines own properties, so a "__proto__" key stays an ordinary attribute.
  return out.size === 0 ? undefined : Object.fromEntries(out);
}

/** The IngestLog for `record`, or why it cannot be one. */
function mapRecord(record: OtlpLogRecord, service: string): IngestLog | string {
  if (record.traceId.length === 0) return 'traceId is empty: the collector keeps logs per trace, and a record logged outside a span has none';
  const traceId = traceUuid(record.traceId);
  if (traceId === undefined) return `traceId must be 16 bytes (32 hex digits), not all zero; got ${describeId(record.traceId)}`;
  let spanId: string | undefined;
  if (record.spanId.length > 0) {
    spanId = spanUuid(record.spanId);
    if (spanId === undefined) return `spanId must be empty or 8 bytes (16 hex digits), not all zero; got ${describeId(record.spanId)}`;
  }
  const field = record.timeUnixNano !== '0' ? 'timeUnixNano' : 'observedTimeUnixNano';
  const time = record[field];
  if (time === '0') return 'timeUnixNano and observedTimeUnixNano are both unset (0)';
  if (compareNs(time, INT64_MAX) > 0) return `${field} ${time} is beyond the largest int64`;
  return {
    time,
    traceId,
    spanId,
    service,
    level: levelOf(record),
    message: truncate(anyValueText(record.body) ?? '', MAX_LOG_MESSAGE_LENGTH),
    attributes: attributesOf(record.attributes),
  };
}

export function mapOtlpLogs(request: OtlpLogsRequest): OtlpLogsMapping {
  const logs: IngestLog[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  request.resourceLogs.forEach((rl, r) => {
    const service = serviceOf(rl.resourceAttributes);
    rl.scopeLogs.forEach((sl, s) => {
      sl.logRecords.forEach((record, k) => {
        const mapped = mapRecord(record, service);
        if (typeof mapped !== 'string') {
          logs.push(mapped);
          return;
        }
        rejected++;
        if (reasons.length < MAX_REASONS) reasons.push(`resourceLogs[${r}].scopeLogs[${s}].logRecords[${k}]: ${mapped}`);
      });
    });
  });
  return { logs, rejected, reasons };
}

/** The partial-success message: why records were rejected, and how many were outside the window. */
export function logsPartialSuccessMessage(mapping: OtlpLogsMapping, outsideWindow: number, windowMinutes: number): string {
  const parts: string[] = [];
  if (mapping.rejected > 0) {
    const more = mapping.rejected - mapping.reasons.length;
    parts.push(
      `${mapping.rejected} log record${mapping.rejected === 1 ? '' : 's'} could not be stored: ${mapping.reasons.join('; ')}` + (more > 0 ? `; and ${more} more` : ''),
    );
  }
  if (outsideWindow > 0) {
    parts.push(
      `${outsideWindow} log record${outsideWindow === 1 ? ' was' : 's were'} outside the collector's window and dropped ` +
        `(older than ${windowMinutes} minutes, or more than 5 minutes ahead of the collector's clock)`,
    );
  }
  return parts.join('. ');
}
