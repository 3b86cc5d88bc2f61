// POST /v1/traces: OTLP/HTTP trace export, JSON or protobuf, optionally gzip-compressed.
//
// The parsers here are this plugin's own (Fastify scopes content-type parsers per plugin): the
// application's application/json parser is not involved. Answers follow the OTLP
// spec: 200 with an ExportTraceServiceResponse (partial_success when spans were rejected or fell
// outside the window), 400 undecodable or beyond a per-request limit (request-limits.ts), 413 too
// large, 415 other media types or encodings, 503 + Retry-After under the same admission control as
// POST /spans; error bodies are google.rpc.Status. All in the encoding of the request.

import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CollectorMetrics } from './collector-metrics.js';
import { SpanBatch } from '../ingest/span-batch.js';
import { countStoredSpans } from './stored-spans.js';
import { mapOtlpRequest, partialSuccessMessage } from '../otlp/map-spans.js';
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

export const otlpRoutes: FastifyPluginAsync<OtlpRouteOptions> = async (app, { store, metrics, admission, gate, windowMinutes, maxBodyBytes, maxSpansPerRequest }) => {
  app.removeAllContentTypeParsers();
  const parse = async (request: FastifyRequest, body: Buffer): Promise<OtlpTraceRequest> => {
    const encoding = encodingOf(request.headers['content-type']);
    const raw = await decodeContentEncoding(body, request.headers['content-encoding'], maxBodyBytes);
    try {
      return decodeTraceRequest(raw, encoding, maxSpansPerRequest);
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw new OtlpBodyError(error.message, 400);
      throw error;
    }
  };
  app.addContentTypeParser(PROTOBUF_CONTENT_TYPES, { parseAs: 'buffer' }, parse);
  app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'buffer' }, parse);

  app.setErrorHandler(withStorageRefusal(gate, (error: FastifyError, request, reply) => {
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
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `the request body is larger than the limit of ${maxBodyBytes} bytes (MAX_BODY_BYTES)`;
    } else if (status === 415) {
      reason = 'media_type';
      code = RpcCode.UNIMPLEMENTED;
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        message = 'unsupported content type: send OTLP as application/x-protobuf or application/json';
      }
    }
    metrics.otlpRequestsRejected.inc({ reason });
    return sendStatus(reply, encoding, status, code, message);
  }));

  app.post(
    '/v1/traces',
    {
      // Refused under overload by the refusal gate, before routing; admitted, it waits its turn.
      preParsing: gate.waitTurn('otlp'),
    },
    async (request, reply) => {
      const encoding = encodingOf(request.headers['content-type']);
      // A body-less POST (no content-type) reaches here without a parser: an empty request.
      const decoded = (request.body as OtlpTraceRequest | undefined) ?? { resourceSpans: [] };
      const mapping = mapOtlpRequest(decoded);
      let outsideWindow = 0;
      if (mapping.spans.length > 0) {
        const result = await store.apply(SpanBatch.fromSpans(mapping.spans));
        countStoredSpans(result, admission, metrics);
        outsideWindow = result.discardedStale + result.discardedFuture;
      }
      if (mapping.rejected > 0) metrics.otlpSpansRejected.inc(mapping.rejected);
      const rejected = mapping.rejected + outsideWindow;
      const message = rejected === 0 ? '' : partialSuccessMessage(mapping, outsideWindow, windowMinutes);
      return reply.code(200).type(contentTypeFor(encoding)).send(exportResponseBody(encoding, rejected, message));
    },
  );
};
