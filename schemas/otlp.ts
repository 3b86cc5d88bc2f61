// TypeBox mirrors of the OTLP components in openapi.yaml (POST /v1/traces, POST /v1/logs). The request schema
// documents the OTLP/JSON shape the collector reads (lowerCamelCase, ids as hex, 64-bit integers
// as strings or numbers); it is deliberately loose, since the protobuf definition is the authority
// and unknown fields are ignored. test/http/openapi-drift-components.test.ts keeps these and the
// YAML equal.
import Type from 'typebox';
import { MAX_TAG_KEY_LENGTH } from './span.js';

/** proto3 JSON writes 64-bit integers as decimal strings and accepts numbers too. */
const Int64Json = Type.Unsafe<string | number>({ type: ['string', 'integer'] });
const LooseObject = Type.Unsafe<Record<string, unknown>>({ type: 'object' });

export const OtlpAnyValue = Type.Object({
  stringValue: Type.Optional(Type.String()),
  boolValue: Type.Optional(Type.Boolean()),
  intValue: Type.Optional(Int64Json),
  doubleValue: Type.Optional(Type.Unsafe<string | number>({ type: ['number', 'string'] })),
  bytesValue: Type.Optional(Type.String()),
  arrayValue: Type.Optional(LooseObject),
  kvlistValue: Type.Optional(LooseObject),
});

/** Span and resource attribute keys become tag keys, so they share MAX_TAG_KEY_LENGTH. */
export const OtlpKeyValue = Type.Object({
  key: Type.Optional(Type.String({ maxLength: MAX_TAG_KEY_LENGTH })),
  value: Type.Optional(OtlpAnyValue),
});

export const OtlpSpan = Type.Object({
  traceId: Type.Optional(Type.String()),
  spanId: Type.Optional(Type.String()),
  parentSpanId: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  kind: Type.Optional(Type.Integer()),
  startTimeUnixNano: Type.Optional(Int64Json),
  endTimeUnixNano: Type.Optional(Int64Json),
  attributes: Type.Optional(Type.Array(OtlpKeyValue)),
  events: Type.Optional(Type.Array(LooseObject)),
  status: Type.Optional(
    Type.Object({
      code: Type.Optional(Type.Integer()),
      message: Type.Optional(Type.String()),
    }),
  ),
});

/** The resource a batch of spans or log records came from: traces and logs share it. */
const OtlpResource = Type.Object({ attributes: Type.Optional(Type.Array(OtlpKeyValue)) });

export const OtlpExportTraceServiceRequest = Type.Object({
  resourceSpans: Type.Optional(
    Type.Array(
      Type.Object({
        resource: Type.Optional(OtlpResource),
        scopeSpans: Type.Optional(
          Type.Array(
            Type.Object({
              scope: Type.Optional(LooseObject),
              spans: Type.Optional(Type.Array(OtlpSpan)),
            }),
          ),
        ),
      }),
    ),
  ),
});

export const OtlpExportTraceServiceResponse = Type.Object({
  partialSuccess: Type.Optional(
    Type.Object({
      rejectedSpans: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
      errorMessage: Type.Optional(Type.String()),
    }),
  ),
});

export const OtlpLogRecord = Type.Object({
  timeUnixNano: Type.Optional(Int64Json),
  observedTimeUnixNano: Type.Optional(Int64Json),
  severityNumber: Type.Optional(Type.Integer()),
  severityText: Type.Optional(Type.String()),
  body: Type.Optional(OtlpAnyValue),
  attributes: Type.Optional(Type.Array(OtlpKeyValue)),
  traceId: Type.Optional(Type.String()),
  spanId: Type.Optional(Type.String()),
});

export const OtlpExportLogsServiceRequest = Type.Object({
  resourceLogs: Type.Optional(
    Type.Array(
      Type.Object({
        resource: Type.Optional(OtlpResource),
        scopeLogs: Type.Optional(
          Type.Array(
            Type.Object({
              scope: Type.Optional(LooseObject),
              logRecords: Type.Optional(Type.Array(OtlpLogRecord)),
            }),
          ),
        ),
      }),
    ),
  ),
});

export const OtlpExportLogsServiceResponse = Type.Object({
  partialSuccess: Type.Optional(
    Type.Object({
      rejectedLogRecords: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
      errorMessage: Type.Optional(Type.String()),
    }),
  ),
});

/** google.rpc.Status in its JSON form: the body of every 4xx/5xx answer from POST /v1/traces and /v1/logs. */
export const OtlpStatus = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
});
