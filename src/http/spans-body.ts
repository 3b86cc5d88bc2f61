// POST /spans bodies and their rejections, registered in the /spans plugin's own scope (Fastify
// scopes content-type parsers and hooks to the plugin that adds them), so nothing elsewhere needs
// to know which route it serves.
//
// A body goes to the single-pass fast path first (ingest/span-batch-fast.ts), which reads bytes;
// one it declines is decoded as every JSON body is (json-body-parser.ts), and the literal text of
// its span times is kept (codec/int64-json.ts) because JSON.parse rounds 19-digit integers.

import type { FastifyInstance } from 'fastify';
import { scanSpanTimeLiterals, type SpanTimeLiterals } from '../codec/int64-json.js';
import type { SpanBatch } from '../ingest/span-batch.js';
import { parseSpanBatchFast } from '../ingest/span-batch-fast.js';
import type { CollectorMetrics } from './collector-metrics.js';
import { errorStatus } from './error-answer.js';
import { BodyError, decodeJsonBody } from './json-body-parser.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Literal text of spans[i].start_time / end_time from a POST /spans body, when it had any. */
    spanTimeLiterals: SpanTimeLiterals | null;
    /** POST /spans bodies that the fast path parsed and validated in one pass. */
    fastSpans: SpanBatch | null;
  }
}

/** The body Fastify sees when the fast path has already produced `request.fastSpans`. */
export const FAST_PATH_BODY = Object.freeze({ fastPath: true });

/** Adds the POST /spans body parser and rejection counting to the scope of `app`. */
export function registerSpansBody(app: FastifyInstance, metrics: CollectorMetrics): void {
  app.decorateRequest('spanTimeLiterals', null);
  app.decorateRequest('fastSpans', null);
  // JSON only, whatever else the application may parse: anything else is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    const spans = parseSpanBatchFast(bytes);
    if (spans !== undefined) {
      request.fastSpans = spans;
      done(null, FAST_PATH_BODY);
      return;
    }
    const decoded = decodeJsonBody(bytes);
    if (decoded instanceof BodyError) {
      done(decoded, undefined);
      return;
    }
    request.spanTimeLiterals = scanSpanTimeLiterals(decoded.text);
    done(null, decoded.value);
  });
  // Counted on the way to the application's error handler (error-answer.ts), which answers: an
  // onError hook observes an error and cannot change the answer. A callback hook, not an async
  // one, so a rejection costs no promise.
  app.addHook('onError', (_request, _reply, error, done) => {
    const status = errorStatus(error);
    if (status < 500) metrics.batchesRejected.inc({ reason: status === 413 ? 'too_large' : status === 415 ? 'media_type' : 'invalid' });
    done();
  });
}
