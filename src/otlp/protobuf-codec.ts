// OTLP/protobuf: ExportTraceServiceRequest → OtlpTraceRequest, and the protobuf response bodies
// (ExportTraceServiceResponse, google.rpc.Status).
//
// The schema is the vendored subset (proto/), loaded once at start-up from its JSON descriptor.
// protobufjs decodes 64-bit fields as Long (the `long` package is its dependency), and
// Long#toString() is exact, so times and int64 attributes keep every digit.

import protobuf from 'protobufjs';
import { OtlpDecodeError, type AnyValueView, type OtlpAttribute, type OtlpSpan, type OtlpTraceRequest } from './otlp-request.js';
import { OTLP_DESCRIPTOR } from './proto/otlp-descriptor.js';
import { tooManySpans } from './request-limits.js';

/** The vendored schema, shared with the logs codec and the gRPC services' method paths. */
export const otlpRoot = protobuf.Root.fromJSON(OTLP_DESCRIPTOR);
const root = otlpRoot;
const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
const RpcStatus = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

// Shapes of the decoded messages (protobufjs message instances: unset scalars read as their
// defaults, unset message fields as null, repeated fields as empty arrays).
export interface LongLike {
  low: number;
  high: number;
}

/**
 * A decoded 64-bit field as exact decimal text. Through BigInt rather than Long#toString, whose
 * repeated long division cost 1.5 µs a value here against 0.27 (two times a span: a quarter of
 * what decoding a span costs).
 */
export function int64Text(value: LongLike, signed: boolean): string {
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return (signed ? BigInt.asIntN(64, bits) : bits).toString();
}
export interface PbAnyValue {
  value?: string; // the oneof's set field name
  stringValue: string;
  boolValue: boolean;
  intValue: LongLike;
  doubleValue: number;
  bytesValue: Uint8Array;
  arrayValue: { values: PbAnyValue[] } | null;
  kvlistValue: { values: PbKeyValue[] } | null;
}
export interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: LongLike;
  endTimeUnixNano: LongLike;
  attributes: PbKeyValue[];
  events: Array<{ name: string; attributes: PbKeyValue[] }>;
  status: { code: number; message: string } | null;
}
interface PbRequest {
  resourceSpans: Array<{
    resource: { attributes: PbKeyValue[] } | null;
    scopeSpans: Array<{ spans: PbSpan[] }>;
  }>;
}

export function anyValue(value: PbAnyValue | null): AnyValueView {
  switch (value?.value) {
    case 'stringValue':
      return { kind: 'string', value: value.stringValue };
    case 'boolValue':
      return { kind: 'bool', value: value.boolValue };
    case 'intValue':
      return { kind: 'int', value: int64Text(value.intValue, true) };
    case 'doubleValue':
      return { kind: 'double', value: value.doubleValue };
    case 'bytesValue':
      return { kind: 'bytes', base64: Buffer.from(value.bytesValue.buffer, value.bytesValue.byteOffset, value.bytesValue.byteLength).toString('base64') };
    case 'arrayValue':
      return { kind: 'array', values: (value.arrayValue?.values ?? []).map(anyValue) };
    case 'kvlistValue':
      return { kind: 'kvlist', values: keyValues(value.kvlistValue?.values ?? []) };
    default:
      return { kind: 'empty' };
  }
}

export function keyValues(list: readonly PbKeyValue[]): OtlpAttribute[] {
  const out: OtlpAttribute[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = { key: list[i]!.key, value: anyValue(list[i]!.value) };
  return out;
}

function span(s: PbSpan): OtlpSpan {
  let exceptionAttributes: OtlpAttribute[] | undefined;
  for (const event of s.events) if (event.name === 'exception') exceptionAttributes = keyValues(event.attributes);
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: int64Text(s.startTimeUnixNano, false),
    endTimeUnixNano: int64Text(s.endTimeUnixNano, false),
    statusCode: s.status?.code ?? 0,
    statusMessage: s.status?.message ?? '',
    attributes: keyValues(s.attributes),
    exceptionAttributes,
  };
}

// Field numbers and wire type of the messages that hold spans (trace_service.proto, trace.proto);
// the logs messages use the same numbers (resource_logs = 1, scope_logs = 2, log_records = 2).
const RESOURCE_SPANS_FIELD = 1; // ExportTraceServiceRequest.resource_spans
const SCOPE_SPANS_FIELD = 2; // ResourceSpans.scope_spans
const SPANS_FIELD = 2; // ScopeSpans.spans
const LENGTH_DELIMITED = 2;

/**
 * Whether the body holds more than `maxSpans` spans (or log records, in an
 * ExportLogsServiceRequest), read from the wire format without decoding: a span costs one tag
 * and one length to skip, where decoding it costs objects for its fields. Bytes that are not
 * protobuf stop the count; the decoder then says what is wrong with them.
 */
export function holdsMoreSpansThan(body: Uint8Array, maxSpans: number): boolean {
  const reader = protobuf.Reader.create(body);
  let spans = 0;
  /** Reads fields up to `end`, descending into `field` at depth < 2 and counting it at depth 2. */
  const fieldsUntil = (end: number, depth: number): boolean => {
    const field = depth === 0 ? RESOURCE_SPANS_FIELD : depth === 1 ? SCOPE_SPANS_FIELD : SPANS_FIELD;
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag >>> 3 !== field || (tag & 7) !== LENGTH_DELIMITED) {
        reader.skipType(tag & 7);
      } else if (depth === 2) {
        if (++spans > maxSpans) return true;
        reader.skipType(LENGTH_DELIMITED);
      } else {
        const length = reader.uint32();
        if (fieldsUntil(reader.pos + length, depth + 1)) return true;
      }
    }
    return false;
  };
  try {
    return fieldsUntil(body.length, 0);
  } catch {
    return false;
  }
}

/**
 * Decodes a binary ExportTraceServiceRequest; throws OtlpDecodeError when the bytes are not one or
 * hold more than `maxSpans` spans (checked first: decoding is most of a large request's cost).
 */
export function decodeProtobufTraceRequest(body: Uint8Array, maxSpans: number): OtlpTraceRequest {
  if (holdsMoreSpansThan(body, maxSpans)) throw tooManySpans(maxSpans);
  let message: PbRequest;
  try {
    message = ExportTraceServiceRequest.decode(body) as unknown as PbRequest;
  } catch (error) {
    // protobufjs: "index out of range", "invalid wire type"; deep nesting: RangeError.
    throw new OtlpDecodeError(`the request body is not a protobuf ExportTraceServiceRequest: ${(error as Error).message}`);
  }
  return {
    resourceSpans: message.resourceSpans.map((rs) => ({
      resourceAttributes: keyValues(rs.resource?.attributes ?? []),
      scopeSpans: rs.scopeSpans.map((ss) => ({ spans: ss.spans.map(span) })),
    })),
  };
}

/** ExportTraceServiceResponse: empty on full success, `partial_success` set when spans were rejected. */
export function encodeProtobufExportResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const body = rejectedSpans === 0 && errorMessage === '' ? {} : { partialSuccess: { rejectedSpans, errorMessage } };
  return ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create(body)).finish();
}

/** google.rpc.Status, the body of every 4xx and 5xx answer to a protobuf request. */
export function encodeProtobufStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.create({ code, message })).finish();
}

/**
 * The `grpc-status-details-bin` trailer of an OTLP/gRPC refusal: a google.rpc.Status whose
 * details hold a google.rpc.RetryInfo, which the OTLP spec ("OTLP/gRPC Throttling") has clients
 * honour as the delay before they retry.
 */
export function encodeStatusWithRetryInfo(code: number, message: string, retryDelaySec: number): Buffer {
  const retryInfo = RetryInfo.encode(RetryInfo.create({ retryDelay: { seconds: retryDelaySec, nanos: 0 } })).finish();
  const details = [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: retryInfo }];
  const bytes = RpcStatus.encode(RpcStatus.create({ code, message, details })).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** For tests and tools: a Status trailer with its RetryInfo delay (seconds), when it has one. */
export function decodeStatusWithRetryInfo(bytes: Uint8Array): { code: number; message: string; retryDelaySec: number | undefined } {
  const status = RpcStatus.decode(bytes) as unknown as { code: number; message: string; details: Array<{ type_url: string; value: Uint8Array }> };
  const detail = status.details.find((d) => d.type_url === 'type.googleapis.com/google.rpc.RetryInfo');
  const retry = detail === undefined ? undefined : (RetryInfo.decode(detail.value) as unknown as { retryDelay: { seconds: LongLike } | null });
  const seconds = retry?.retryDelay?.seconds;
  return { code: status.code, message: status.message, retryDelaySec: seconds === undefined ? undefined : Number(int64Text(seconds, true)) };
}

/** For tests and tools: decoders of the response messages. */
export function decodeProtobufExportResponse(body: Uint8Array): { partialSuccess?: { rejectedSpans: string; errorMessage: string } } {
  const message = ExportTraceServiceResponse.decode(body);
  return ExportTraceServiceResponse.toObject(message, { longs: String, defaults: false }) as {
    partialSuccess?: { rejectedSpans: string; errorMessage: string };
  };
}

export function decodeProtobufStatus(body: Uint8Array): { code: number; message: string } {
  return RpcStatus.toObject(RpcStatus.decode(body), { defaults: true }) as { code: number; message: string };
}

/** The request type itself, for tests that build protobuf bodies by hand. */
export const exportTraceServiceRequestType: protobuf.Type = ExportTraceServiceRequest;
