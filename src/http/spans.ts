import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { ErrorBody } from '../../schemas/common.js';
import { IngestRequest, IngestResponse } from '../../schemas/span.js';
import { toIngestSpans } from '../ingest/ingest-spans.js';
import { SpanBatch } from '../ingest/span-batch.js';
import type { AdmissionControl } from './admission/admission-control.js';
import type { RefusalGate } from './admission/refusal-gate.js';
import { registerSpansBody } from './spans-body.js';
import { countStoredSpans } from './stored-spans.js';
import { compileBodyValidator, describeValidationError } from './validation.js';
import type { CollectorMetrics } from './collector-metrics.js';
import type { IngestResult } from '../store/trace-store.js';
import type { TraceWriter } from '../store/writer.js';

export interface SpansRouteOptions {
  store: TraceWriter;
  metrics: CollectorMetrics;
  admission: AdmissionControl;
  gate: RefusalGate;
}

export const spansRoutes: FastifyPluginAsyncTypebox<SpansRouteOptions> = async (app, { store, metrics, admission, gate }) => {
  registerSpansBody(app, metrics);
  // The IngestRequest schema validates here rather than in Fastify's route validation, because
  // most bodies never become a plain object: the fast path (span-batch-fast.ts) has parsed and
  // validated them already. Every other body is checked against the schema exactly as before.
  const validateBody = compileBodyValidator(IngestRequest);

  app.post(
    '/spans',
    {
      schema: { response: { 202: IngestResponse, 400: ErrorBody, 503: ErrorBody } },
      // Admission (503 under overload) happened before routing, in the refusal gate; here the
      // batch waits its turn in the ingest queue, unparsed.
      preParsing: gate.waitTurn('spans'),
    },
    async (request, reply) => {
      const fast = request.fastSpans;
      let batch: SpanBatch;
      if (fast !== null) {
        request.fastSpans = null;
        batch = fast;
      } else {
        if (!validateBody(request.body)) {
          metrics.batchesRejected.inc({ reason: 'invalid' });
          return reply.code(400).send({ error: describeValidationError(validateBody.errors![0]!, 'body') });
        }
        const converted = toIngestSpans((request.body as IngestRequest).spans, request.spanTimeLiterals);
        if (!converted.ok) {
          metrics.batchesRejected.inc({ reason: 'invalid' });
          return reply.code(400).send({ error: converted.error });
        }
        batch = SpanBatch.fromSpans(converted.spans);
      }
      // One await on the hottest route. A batch the ingest log could not make durable throws a
      // StorageError, answered 503 by the error handler (storage-refusal.ts).
      const result = await store.apply(batch);
      // The parser's batches are reused once given back, so only after the store is done with
      // them (an exception leaves the batch to the garbage collector instead).
      if (fast !== null) batch.release();
      return accepted(reply, result);
    },
  );

  /** Counts what the store took and answers 202. */
  function accepted(reply: FastifyReply, result: IngestResult): FastifyReply {
    countStoredSpans(result, admission, metrics);
    return reply.code(202).send({
      status: 'ok',
      accepted: result.accepted,
      discarded: result.discardedStale + result.discardedFuture,
    });
  }
};
