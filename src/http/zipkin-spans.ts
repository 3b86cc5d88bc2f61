// POST /api/v2/spans: Zipkin v2 ingest, for zipkin-js, Brave, Envoy and Istio's Zipkin tracers.
// The body is a JSON array of Zipkin v2 spans, parsed by the application's JSON parser (UTF-8
// checked, json-body-parser.ts), or a proto3 ListOfSpans (application/x-protobuf), decoded here
// into the same span objects (zipkin/proto-list-of-spans.ts). Either is held to the span cap,
// validated against schemas/zipkin.ts, mapped by zipkin/map-spans.ts and stored in one apply(),
// so a request is stored whole or not at all. Answers: 202 with an empty body, as Zipkin does;
// 400 naming the field; 413, 415 and 503 as for POST /spans (the same refusal gate and queue).
// Content-Encoding: gzip is undone first, as Brave and Sleuth send it.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ErrorObject } from 'ajv';
import type { FastifyRequest } from 'fastify';
import { SpanBatch } from '../ingest/span-batch.js';
import { ZipkinListOfSpans, type ZipkinSpan } from '../../schemas/zipkin.js';
import { fieldPath } from '../codec/field-path.js';
import type { TraceWriter } from '../store/writer.js';
import { mapZipkinSpans } from '../zipkin/map-spans.js';
import { decodeListOfSpans, ZipkinProtoError } from '../zipkin/proto-list-of-spans.js';
import { decodeContentEncoding } from '../otlp/otlp-body.js';
import { BodyError, decodeJsonBody } from './json-body-parser.js';
import type { AdmissionControl } from './admission/admission-control.js';
import type { RefusalGate } from './admission/refusal-gate.js';
import type { CollectorMetrics } from './collector-metrics.js';
import { countStoredSpans } from './stored-spans.js';
import { compileBodyValidator, describeValidationError } from './validation.js';

export interface ZipkinSpansRouteOptions {
  store: TraceWriter;
  metrics: CollectorMetrics;
  admission: AdmissionControl;
  gate: RefusalGate;
  /** MAX_OTLP_SPANS_PER_REQUEST: the cap foreign-protocol requests share (config.ts). */
  maxSpansPerRequest: number;
  /** MAX_BODY_BYTES, which also bounds a gzip body once decompressed. */
  maxBodyBytes: number;
}

/** The schema's messages, with the id patterns said in words. */
function describeZipkinError(error: ErrorObject): string {
  if (error.keyword === 'pattern') {
    const path = fieldPath(error.instancePath);
    return path.endsWith('.traceId') ? `${path} must be 16 or 32 hex digits` : `${path} must be 16 hex digits`;
  }
  return describeValidationError(error, 'body');
}

export const zipkinSpansRoutes: FastifyPluginAsyncTypebox<ZipkinSpansRouteOptions> = async (app, { store, metrics, admission, gate, maxSpansPerRequest, maxBodyBytes }) => {
  const validateSpans = compileBodyValidator(ZipkinListOfSpans);
  // This plugin's own parsers (Fastify scopes them per plugin): Brave and Spring Cloud Sleuth gzip
  // their bodies by default, so both encodings undo Content-Encoding first, with the decompressed
  // size held to MAX_BODY_BYTES as for OTLP; then JSON is read as the application reads it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer) => {
    const decoded = decodeJsonBody(await decodeContentEncoding(body, request.headers['content-encoding'], maxBodyBytes));
    if (decoded instanceof BodyError) throw decoded;
    return decoded.value;
  });
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer) => {
    const raw = await decodeContentEncoding(body, request.headers['content-encoding'], maxBodyBytes);
    try {
      return decodeListOfSpans(raw, maxSpansPerRequest);
    } catch (error) {
      throw error instanceof ZipkinProtoError ? new BodyError(error.message) : error;
    }
  });

  /**
   * The request's spans as a batch (columns only), or why they are refused. Synchronous, and the
   * parsed body is let go: neither it nor the span objects are held through the ingest log's sync
   * (otlp-export.ts says why).
   */
  function takeBatch(request: FastifyRequest): { batch: SpanBatch | undefined } | { error: string } {
    const body: unknown = request.body;
    request.body = undefined;
    if (body === undefined) return { error: 'the request body is empty: send a JSON array of Zipkin v2 spans' };
    if (!Array.isArray(body)) return { error: 'the request body must be a JSON array of Zipkin v2 spans' };
    // Counted before validating, so an oversized request costs no schema pass over its spans.
    if (body.length > maxSpansPerRequest) {
      return { error: `the request holds ${body.length} spans, more than the limit of ${maxSpansPerRequest} (MAX_OTLP_SPANS_PER_REQUEST)` };
    }
    if (!validateSpans(body)) return { error: describeZipkinError(validateSpans.errors![0]!) };
    const mapping = mapZipkinSpans(body as ZipkinSpan[]);
    if (!mapping.ok) return { error: mapping.error };
    return { batch: mapping.spans.length > 0 ? SpanBatch.fromSpans(mapping.spans, false) : undefined };
  }

  app.post(
    '/api/v2/spans',
    // Refused under overload by the refusal gate, before routing; admitted, it waits its turn.
    { preParsing: gate.waitTurn('spans') },
    async (request, reply) => {
      const taken = takeBatch(request);
      if ('error' in taken) {
        metrics.batchesRejected.inc({ reason: 'invalid' });
        return reply.code(400).send({ error: taken.error });
      }
      if (taken.batch !== undefined) {
        // A StorageError (the ingest log could not make the batch durable) is answered 503 by the
        // error handler, like POST /spans (storage-refusal.ts).
        const result = await store.apply(taken.batch);
        countStoredSpans(result, admission, metrics);
      }
      return reply.code(202).send();
    },
  );
};
