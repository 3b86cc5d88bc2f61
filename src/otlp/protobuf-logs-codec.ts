// OTLP/protobuf logs: ExportLogsServiceRequest → OtlpLogsRequest, and the ExportLogsServiceResponse.
// The AnyValue and KeyValue readers, the record count on the wire and the schema are the span
// codec's (protobuf-codec.ts); only the message shapes differ.

import { OtlpDecodeError } from './otlp-request.js';
import type { OtlpLogRecord, OtlpLogsRequest } from './otlp-logs-request.js';
import { anyValue, holdsMoreSpansThan, int64Text, keyValues, otlpRoot, type LongLike, type PbAnyValue, type PbKeyValue } from './protobuf-codec.js';
import { tooManyLogRecords } from './request-limits.js';

const ExportLogsServiceRequest = otlpRoot.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const ExportLogsServiceResponse = otlpRoot.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');

interface PbLogRecord {
  timeUnixNano: LongLike;
  observedTimeUnixNano: LongLike;
  severityNumber: number;
  severityText: string;
  body: PbAnyValue | null;
  attributes: PbKeyValue[];
  traceId: Uint8Array;
  spanId: Uint8Array;
}
interface PbLogsRequest {
  resourceLogs: Array<{
    resource: { attributes: PbKeyValue[] } | null;
    scopeLogs: Array<{ logRecords: PbLogRecord[] }>;
  }>;
}

function logRecord(r: PbLogRecord): OtlpLogRecord {
  return {
    timeUnixNano: int64Text(r.timeUnixNano, false),
    observedTimeUnixNano: int64Text(r.observedTimeUnixNano, false),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: anyValue(r.body),
    attributes: keyValues(r.attributes),
    traceId: r.traceId,
    spanId: r.spanId,
  };
}

/**
 * Decodes a binary ExportLogsServiceRequest; throws OtlpDecodeError when the bytes are not one or
 * hold more than `maxRecords` log records (counted on the wire first, as spans are).
 */
export function decodeProtobufLogsRequest(body: Uint8Array, maxRecords: number): OtlpLogsRequest {
  if (holdsMoreSpansThan(body, maxRecords)) throw tooManyLogRecords(maxRecords);
  let message: PbLogsRequest;
  try {
    message = ExportLogsServiceRequest.decode(body) as unknown as PbLogsRequest;
  } catch (error) {
    throw new OtlpDecodeError(`the request body is not a protobuf ExportLogsServiceRequest: ${(error as Error).message}`);
  }
  return {
    resourceLogs: message.resourceLogs.map((rl) => ({
      resourceAttributes: keyValues(rl.resource?.attributes ?? []),
      scopeLogs: rl.scopeLogs.map((sl) => ({ logRecords: sl.logRecords.map(logRecord) })),
    })),
  };
}

/** ExportLogsServiceResponse: empty on full success, `partial_success` set when records were rejected. */
export function encodeProtobufLogsResponse(rejectedLogRecords: number, errorMessage: string): Buffer {
  const body = rejectedLogRecords === 0 && errorMessage === '' ? {} : { partialSuccess: { rejectedLogRecords, errorMessage } };
  const bytes = ExportLogsServiceResponse.encode(ExportLogsServiceResponse.create(body)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** For tests: the response's partial success, int64 as decimal text. */
export function decodeProtobufLogsResponse(body: Uint8Array): { partialSuccess?: { rejectedLogRecords: string; errorMessage: string } } {
  return ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(body), { longs: String, defaults: false }) as {
    partialSuccess?: { rejectedLogRecords: string; errorMessage: string };
  };
}

/** For tests that build protobuf bodies by hand. */
export const exportLogsServiceRequestType = ExportLogsServiceRequest;
