// An ExportTraceServiceRequest as both decoders (OTLP/JSON, OTLP/protobuf) hand it to the mapper:
// only the fields the collector maps, with every value already in an encoding-neutral form.

/** An id as it arrived: hex text (OTLP/JSON) or bytes (protobuf). Empty means absent. */
export type RawId = string | Uint8Array;

/** One AnyValue, whichever encoding it came in. Integers are exact decimal text. */
export type AnyValueView =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: string }
  | { kind: 'double'; value: number }
  | { kind: 'bytes'; base64: string }
  | { kind: 'array'; values: AnyValueView[] }
  | { kind: 'kvlist'; values: Array<{ key: string; value: AnyValueView }> }
  | { kind: 'empty' };

export interface OtlpAttribute {
  key: string;
  value: AnyValueView;
}

export interface OtlpSpan {
  traceId: RawId;
  spanId: RawId;
  parentSpanId: RawId;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** fixed64 as canonical unsigned decimal text (may exceed int64; the mapper rejects that). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** Status.code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  attributes: OtlpAttribute[];
  /** Attributes of the span's events named "exception" (the last one counts). */
  exceptionAttributes: OtlpAttribute[] | undefined;
}

export interface OtlpScopeSpans {
  spans: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resourceAttributes: OtlpAttribute[];
  scopeSpans: OtlpScopeSpans[];
}

export interface OtlpTraceRequest {
  resourceSpans: OtlpResourceSpans[];
}

/** The body cannot be decoded as an ExportTraceServiceRequest: HTTP 400. */
export class OtlpDecodeError extends Error {}

/** Largest uint64, for fixed64 range checks on decimal text. */
export const UINT64_MAX = '18446744073709551615';
