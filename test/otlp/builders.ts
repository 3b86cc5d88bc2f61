// OTLP request bodies for tests, one description for both encodings: the description is written
// as OTLP/JSON (hex ids, times as decimal strings), and the protobuf body is built from the same
// object with protobufjs (hex ids become bytes, decimal strings become fixed64/int64 Longs).

import { gzipSync } from 'node:zlib';
import { exportTraceServiceRequestType } from '../../src/otlp/protobuf-codec.js';
import { exportLogsServiceRequestType } from '../../src/otlp/protobuf-logs-codec.js';
import type { OtlpEncoding } from '../../src/otlp/otlp-body.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface TestSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: Array<{ key: string; value: JsonValue }>;
  events?: Array<{ name: string; timeUnixNano?: string; attributes?: Array<{ key: string; value: JsonValue }> }>;
  status?: { code?: number; message?: string };
}

export interface TestResource {
  attributes?: Array<{ key: string; value: JsonValue }>;
  spans: TestSpan[];
}

export function requestObject(resources: TestResource[]): { resourceSpans: JsonValue[] } {
  return {
    resourceSpans: resources.map((r) => ({
      resource: { attributes: (r.attributes ?? []) as JsonValue },
      scopeSpans: [{ scope: { name: 'test', version: '1.0.0' }, spans: r.spans as unknown as JsonValue }],
    })),
  };
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** Deep copy with hex id strings turned into Buffers, for protobufjs fromObject. */
function withByteIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withByteIds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = ID_FIELDS.has(key) && typeof v === 'string' ? Buffer.from(v, 'hex') : withByteIds(v);
  return out;
}

export function protobufBody(object: unknown): Buffer {
  const message = exportTraceServiceRequestType.fromObject(withByteIds(object) as Record<string, unknown>);
  return Buffer.from(exportTraceServiceRequestType.encode(message).finish());
}

/** An ExportLogsServiceRequest described as OTLP/JSON, in protobuf. */
export function logsProtobufBody(object: unknown): Buffer {
  const message = exportLogsServiceRequestType.fromObject(withByteIds(object) as Record<string, unknown>);
  return Buffer.from(exportLogsServiceRequestType.encode(message).finish());
}

export function encodeRequest(encoding: OtlpEncoding, object: unknown, options: { gzip?: boolean } = {}): { body: Buffer; headers: Record<string, string> } {
  const raw = encoding === 'protobuf' ? protobufBody(object) : Buffer.from(JSON.stringify(object));
  const headers: Record<string, string> = { 'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json' };
  if (options.gzip === true) headers['content-encoding'] = 'gzip';
  return { body: options.gzip === true ? gzipSync(raw) : raw, headers };
}

export const str = (value: string): JsonValue => ({ stringValue: value });
