// POST /v1/traces: OTLP/HTTP trace export, JSON or protobuf, optionally gzip-compressed.
//
// The parsers here are this plugin's own (Fastify scopes content-type parsers per plugin): the
// application's application/json parser is not involved. Answers follow the OTLP
// spec: 200 with an ExportTraceServiceResponse (partial_success when spans were rejected or fell
// outside the window), 400 undecodable or beyond a per-request limit (request-limits.ts), 413 too
// large, 415 other media types or encodings, 503 + Retry-After under the same admission control as
// POST /spans; error bodies are google.rpc.Status. All in the encoding of the request.

import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CollectorMetrics } from './collector-metrics.js';
import { exportTraces } from './otlp-export.js';
import {
  contentTypeFor,
  decodeContentEncoding,
  decodeTraceRequest,
  encodingOf,
  exportResponseBody,
  JSON_CONTENT_TYPE,
  OtlpBodyError,
  PROTOBUF_CONTENT_TYPES,
  RpcCode,
  statusBody,
  type OtlpEncoding,
} from '../otlp/otlp-body.js';
import { OtlpDecodeError, type OtlpTraceRequest } from '../otlp/otlp-request.js';
import type { TraceWriter } from '../store/writer.js';
import type { AdmissionControl } from './admission/admission-control.js';
import type { RefusalGate } from './admission/refusal-gate.js';
import { withStorageRefusal } from './storage-refusal.js';

export interface OtlpRouteOptions {
  store: TraceWriter;
  metrics: CollectorMetrics;
  admission: AdmissionControl;
  gate: RefusalGate;
  windowMinutes: number;
  maxBodyBytes: number;
  /** MAX_OTLP_SPANS_PER_REQUEST: a request holding more is a 400, counted before decoding its spans. */
  maxSpansPerRequest: number;
}

function sendStatus(reply: FastifyReply, encoding: OtlpEncoding, httpStatus: number, code: number, message: string): FastifyReply {
  return reply.code(httpStatus).type(contentTypeFor(encoding)).send(statusBody(encoding, code, message));
}

/**
 * The content-type parsers of an OTLP/HTTP plugin: the body, decompressed (at most `maxBodyBytes`)
 * and decoded by `decode`; a decoding problem is a 400.
 */
export function addOtlpBodyParsers<T>(app: FastifyInstance, maxBodyBytes: number, limitSetting: string, decode: (body: Buffer, encoding: OtlpEncoding) => T): void {
  app.removeAllContentTypeParsers();
  const parse = async (request: FastifyRequest, body: Buffer): Promise<T> => {
    const encoding = encodingOf(request.headers['content-type']);
    const raw = await decodeContentEncoding(body, request.headers['content-encoding'], maxBodyBytes, limitSetting);
    try {
      return decode(raw, encoding);
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw new OtlpBodyError(error.message, 400);
      throw error;
    }
  };
  app.addContentTypeParser(PROTOBUF_CONTENT_TYPES, { parseAs: 'buffer' }, parse);
  app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'buffer' }, parse);
}

export interface OtlpErrorOptions {
  gate: RefusalGate;
  /** The body limit the route enforces, and the setting that holds it. */
  maxBodyBytes: number;
  bodyLimitSetting: string;
  /** Counts a 4xx by reason (too_large, media_type, invalid). */
  countRejected: (reason: string) => void;
}

/**
 * The error answer of an OTLP/HTTP plugin: a google.rpc.Status in the request's encoding; a batch
 * the ingest log refused is answered as the gate answers its refusals (storage-refusal.ts).
 */
export function otlpErrorHandler({ gate, maxBodyBytes, bodyLimitSetting, countRejected }: OtlpErrorOptions) {
  return withStorageRefusal(gate, (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const encoding = encodingOf(request.headers['content-type']);
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'OTLP export failed');
      return sendStatus(reply, encoding, 500, RpcCode.INTERNAL, 'internal error');
    }
    let message = error.message;
    let code: number = RpcCode.INVALID_ARGUMENT;
    let reason = 'invalid';
    if (status === 413) {
      reason = 'too_large';
      code = RpcCode.RESOURCE_EXHAUSTED;
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `the request body is larger than the limit of ${maxBodyBytes} bytes (${bodyLimitSetting})`;
    } else if (status === 415) {
      reason = 'media_type';
      code = RpcCode.UNIMPLEMENTED;
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        message = 'unsupported content type: send OTLP as application/x-protobuf or application/json';
      }
    }
    countRejected(reason);
    return sendStatus(reply, encoding, status, code, message);
  });
}

/** The request's decoded body, no longer held by the request. */
function takeBody(request: FastifyRequest): OtlpTraceRequest | undefined {
  const body = request.body as OtlpTraceRequest | undefined;
  request.body = undefined;
  return body;
}

export const otlpRoutes: FastifyPluginAsync<OtlpRouteOptions> = async (app, { store, metrics, admission, gate, windowMinutes, maxBodyBytes, maxSpansPerRequest }) => {
  addOtlpBodyParsers(app, maxBodyBytes, 'MAX_BODY_BYTES', (body, encoding) => decodeTraceRequest(body, encoding, maxSpansPerRequest));
  app.setErrorHandler(
    otlpErrorHandler({ gate, maxBodyBytes, bodyLimitSetting: 'MAX_BODY_BYTES', countRejected: (reason) => metrics.otlpRequestsRejected.inc({ reason }) }),
  );

  app.post(
    '/v1/traces',
    {
      // Refused under overload by the refusal gate, before routing; admitted, it waits its turn.
      preParsing: gate.waitTurn('otlp'),
    },
    async (request, reply) => {
      const encoding = encodingOf(request.headers['content-type']);
      // A body-less POST (no content-type) reaches here without a parser: an empty request.
      // The decoded body is let go before the export waits for the ingest log (otlp-export.ts says why).
      const exported = exportTraces(takeBody(request) ?? { resourceSpans: [] }, { store, admission, metrics, windowMinutes });
      const { rejected, message } = await exported;
      return reply.code(200).type(contentTypeFor(encoding)).send(exportResponseBody(encoding, rejected, message));
    },
  );
};
