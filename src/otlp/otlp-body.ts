// The OTLP/HTTP request body: which encoding, decompression, decoding, and the answers in the
// same encoding (the spec: "The server MUST use the same Content-Type in the response as it
// received in the request").

import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { utf8Problem } from '../codec/utf8-body.js';
import { decodeJsonLogsRequest } from './json-logs-request.js';
import { decodeJsonTraceRequest } from './json-request.js';
import type { OtlpLogsRequest } from './otlp-logs-request.js';
import type { OtlpTraceRequest } from './otlp-request.js';
import { decodeProtobufTraceRequest, encodeProtobufExportResponse, encodeProtobufStatus } from './protobuf-codec.js';
import { decodeProtobufLogsRequest, encodeProtobufLogsResponse } from './protobuf-logs-codec.js';
import { checkAttributeKeys, checkLogAttributeKeys } from './request-limits.js';

const gunzipAsync = promisify(gunzip);

export type OtlpEncoding = 'json' | 'protobuf';

export const PROTOBUF_CONTENT_TYPES = ['application/x-protobuf', 'application/protobuf'];
export const JSON_CONTENT_TYPE = 'application/json';

/** gRPC status codes used in google.rpc.Status bodies (the spec lets clients ignore them). */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** The encoding of a request by its Content-Type; JSON for anything that is not protobuf. */
export function encodingOf(contentType: string | undefined): OtlpEncoding {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return PROTOBUF_CONTENT_TYPES.includes(mediaType) ? 'protobuf' : 'json';
}

/** A refused body: the HTTP status and the message for the Status body. */
export class OtlpBodyError extends Error {
  constructor(
    message: string,
    readonly statusCode: 400 | 413 | 415,
  ) {
    super(message);
  }
}

/**
 * Undoes Content-Encoding. The decompressed size is held to the same limit as the body
 * (MAX_BODY_BYTES), so a small gzip bomb cannot inflate into gigabytes.
 */
export async function decodeContentEncoding(body: Buffer, contentEncoding: string | undefined, maxBytes: number, limitSetting = 'MAX_BODY_BYTES'): Promise<Buffer> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return body;
  if (encoding !== 'gzip') throw new OtlpBodyError(`unsupported content-encoding "${encoding}": send gzip or an uncompressed body`, 415);
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new OtlpBodyError(`the decompressed request body is larger than the limit of ${maxBytes} bytes (${limitSetting})`, 413);
    }
    throw new OtlpBodyError(`the request body is not valid gzip: ${(error as Error).message}`, 400);
  }
}

/**
 * The request, refused with a 400 when it holds more than `maxSpans` spans (counted before the
 * spans are converted) or breaks a per-request limit (request-limits.ts).
 */
export function decodeTraceRequest(body: Buffer, encoding: OtlpEncoding, maxSpans: number): OtlpTraceRequest {
  let request: OtlpTraceRequest;
  if (encoding === 'protobuf') {
    request = decodeProtobufTraceRequest(body, maxSpans);
  } else {
    const problem = utf8Problem(body);
    if (problem !== undefined) throw new OtlpBodyError(problem, 400);
    // Checked above, so nothing is replaced; TextDecoder (unlike toString) drops a leading BOM.
    request = decodeJsonTraceRequest(utf8Decoder.decode(body), maxSpans);
  }
  checkAttributeKeys(request);
  return request;
}

/** The logs request, under the same rules as a trace request (`maxRecords` for the span cap). */
export function decodeLogsRequest(body: Buffer, encoding: OtlpEncoding, maxRecords: number): OtlpLogsRequest {
  let request: OtlpLogsRequest;
  if (encoding === 'protobuf') {
    request = decodeProtobufLogsRequest(body, maxRecords);
  } else {
    const problem = utf8Problem(body);
    if (problem !== undefined) throw new OtlpBodyError(problem, 400);
    request = decodeJsonLogsRequest(utf8Decoder.decode(body), maxRecords);
  }
  checkLogAttributeKeys(request);
  return request;
}

const utf8Decoder = new TextDecoder('utf-8');

/** ExportTraceServiceResponse in `encoding`. JSON writes int64 rejectedSpans as a string (proto3 JSON). */
export function exportResponseBody(encoding: OtlpEncoding, rejectedSpans: number, errorMessage: string): string | Buffer {
  if (encoding === 'protobuf') return asBuffer(encodeProtobufExportResponse(rejectedSpans, errorMessage));
  if (rejectedSpans === 0 && errorMessage === '') return '{}';
  return `{"partialSuccess":{"rejectedSpans":"${rejectedSpans}","errorMessage":${JSON.stringify(errorMessage)}}}`;
}

/** ExportLogsServiceResponse in `encoding`. */
export function logsExportResponseBody(encoding: OtlpEncoding, rejectedLogRecords: number, errorMessage: string): string | Buffer {
  if (encoding === 'protobuf') return encodeProtobufLogsResponse(rejectedLogRecords, errorMessage);
  if (rejectedLogRecords === 0 && errorMessage === '') return '{}';
  return `{"partialSuccess":{"rejectedLogRecords":"${rejectedLogRecords}","errorMessage":${JSON.stringify(errorMessage)}}}`;
}

/** google.rpc.Status in `encoding`; the JSON form is `{"code":3,"message":"…"}`. */
export function statusBody(encoding: OtlpEncoding, code: number, message: string): string | Buffer {
  if (encoding === 'protobuf') return asBuffer(encodeProtobufStatus(code, message));
  return `{"code":${code},"message":${JSON.stringify(message)}}`;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function contentTypeFor(encoding: OtlpEncoding): string {
  return encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
}
