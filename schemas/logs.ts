// TypeBox mirrors of the log components in openapi.yaml (POST /logs, GET /traces/{trace_id}/logs).
// test/http/openapi-drift-components.test.ts fails when these and the YAML disagree.
import Type, { type Static } from 'typebox';
import { Int64, Uuid } from './common.js';
import { MAX_TAG_KEY_LENGTH } from './span.js';

export const MAX_LOGS_PER_BATCH = 500;
export const MAX_LOG_ATTRIBUTES = 50;
export const MAX_LOG_MESSAGE_LENGTH = 8192;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LogLevelSchema = Type.Unsafe<LogLevel>({ type: 'string', enum: [...LOG_LEVELS] });

export const LogAttributes = Type.Unsafe<Record<string, string>>({
  type: 'object',
  maxProperties: MAX_LOG_ATTRIBUTES,
  propertyNames: { maxLength: MAX_TAG_KEY_LENGTH },
  additionalProperties: { type: 'string', maxLength: 1024 },
});

export const LogRecord = Type.Object({
  time: Int64,
  trace_id: Uuid,
  span_id: Type.Optional(Uuid),
  service: Type.String({ maxLength: 256 }),
  level: LogLevelSchema,
  message: Type.String({ maxLength: MAX_LOG_MESSAGE_LENGTH }),
  attributes: Type.Optional(LogAttributes),
});
/** A log record as the JSON body holds it; `time` is a double here, exact digits come separately. */
export type WireLogRecord = Static<typeof LogRecord>;

export const LogIngestRequest = Type.Object({
  logs: Type.Array(LogRecord, { minItems: 1, maxItems: MAX_LOGS_PER_BATCH }),
});
export type LogIngestRequest = Static<typeof LogIngestRequest>;

export const LogIngestResponse = Type.Object({
  status: Type.Unsafe<'ok'>({ type: 'string', enum: ['ok'] }),
  accepted: Type.Integer({ minimum: 0 }),
  discarded: Type.Integer({ minimum: 0 }),
});

export const TraceLogsResponse = Type.Object({
  trace_id: Uuid,
  logs: Type.Array(LogRecord),
});
