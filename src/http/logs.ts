// POST /logs and GET /traces/{trace_id}/logs.
//
// POST /logs parses its own JSON (this plugin's content-type parser, as POST /spans has its own)
// with exact-json, so `time` keeps all 19 digits; then the LogIngestRequest schema validates the
// batch whole, as POST /spans does. Refused with 503 + Retry-After at the MAX_LOGS budget, and
// when admission control sheds load for heap or queueing-delay reasons (not for the span budget:
// a full span store is no reason to drop logs).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import { ErrorBody } from '../../schemas/common.js';
import { LogIngestRequest, LogIngestResponse } from '../../schemas/logs.js';
import { TraceIdParams } from '../../schemas/traces.js';
import { utf8Problem } from '../codec/utf8-body.js';
import { toIngestLogs } from '../logs/ingest-logs.js';
import { traceLogsJson } from '../logs/log-json.js';
import type { LogStore } from '../logs/log-store.js';
import type { CollectorMetrics } from './collector-metrics.js';
import { JsonSyntaxError, parseExactJson, type ExactJson } from '../codec/exact-json.js';
import type { TraceReader } from '../store/reader.js';
import type { RefusalGate } from './admission/refusal-gate.js';
import { logBudgetProblem, secondsToNextMinute } from './otlp-export.js';
import { withStorageRefusal } from './storage-refusal.js';
import { compileBodyValidator, describeValidationError } from './validation.js';

export interface LogsRouteOptions {
  logStore: LogStore;
  /** For the 404 rule: a trace with spans but no logs answers 200 with an empty list. */
  store: TraceReader;
  metrics: CollectorMetrics;
  gate: RefusalGate;
  maxLogs: number;
  maxLogBytes: number;
  /** MAX_LOG_BODY_BYTES: a batch is parsed and stored in one turn, so its size bounds that turn. */
  maxLogBodyBytes: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The parsed POST /logs body with the literal text of its numbers. */
    exactJson: ExactJson | null;
  }
}

class LogsBodyError extends Error {
  readonly statusCode = 400;
}

export const logsRoutes: FastifyPluginAsyncTypebox<LogsRouteOptions> = async (app, { logStore, store, metrics, gate, maxLogs, maxLogBytes, maxLogBodyBytes }) => {
  const validateBody = compileBodyValidator(LogIngestRequest);

  app.decorateRequest('exactJson', null);
  app.removeAllContentTypeParsers();
  // As bytes: the string mode would decode bytes that are not UTF-8 as U+FFFD and store them.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    const problem = utf8Problem(bytes);
    if (problem !== undefined) {
      done(new LogsBodyError(problem), undefined);
      return;
    }
    const text = bytes.toString('utf8');
    if (text.trim() === '') {
      done(new LogsBodyError('the request body is empty: send a JSON object'), undefined);
      return;
    }
    try {
      request.exactJson = parseExactJson(text);
    } catch (error) {
      done(error instanceof JsonSyntaxError ? new LogsBodyError(`the request body is not valid JSON: ${error.message}`) : (error as Error), undefined);
      return;
    }
    done(null, request.exactJson.value);
  });

  app.setErrorHandler(withStorageRefusal(gate, (error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(status).send({ error: 'internal error' });
    }
    let message = error.message;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `the request body is larger than the limit of ${maxLogBodyBytes} bytes for POST /logs (MAX_LOG_BODY_BYTES)`;
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = 'unsupported content type: send the body as application/json';
    if (request.routeOptions.url === '/logs') {
      metrics.logBatchesRejected.inc({ reason: status === 413 ? 'too_large' : status === 415 ? 'media_type' : 'invalid' });
    }
    return reply.code(status).send({ error: message });
  }));

  app.post(
    '/logs',
    {
      schema: { response: { 202: LogIngestResponse, 400: ErrorBody, 503: ErrorBody } },
      bodyLimit: maxLogBodyBytes,
      onRequest: async (_request, reply) => {
        const full = await logBudgetProblem(logStore, maxLogs, maxLogBytes);
        if (full !== undefined) {
          metrics.logBatchesRejected.inc({ reason: 'log_budget' });
          return reply.code(503).header('retry-after', String(secondsToNextMinute())).send({ error: full });
        }
      },
      // Refused for heap or load by the refusal gate, before routing; admitted, it waits its turn.
      preParsing: gate.waitTurn('logs'),
    },
    async (request, reply) => {
      if (!validateBody(request.body)) {
        metrics.logBatchesRejected.inc({ reason: 'invalid' });
        return reply.code(400).send({ error: describeValidationError(validateBody.errors![0]!, 'body') });
      }
      const wire = (request.body as LogIngestRequest).logs;
      const json = request.exactJson!;
      const converted = toIngestLogs(wire, (i) => json.numberText(wire[i]!, 'time'));
      if (!converted.ok) {
        metrics.logBatchesRejected.inc({ reason: 'invalid' });
        return reply.code(400).send({ error: converted.error });
      }
      const result = await logStore.ingest(converted.logs);
      metrics.logsAccepted.inc(result.accepted);
      if (result.discardedStale > 0) metrics.logsDiscarded.inc({ reason: 'stale' }, result.discardedStale);
      if (result.discardedFuture > 0) metrics.logsDiscarded.inc({ reason: 'future' }, result.discardedFuture);
      return reply.code(202).send({ status: 'ok', accepted: result.accepted, discarded: result.discardedStale + result.discardedFuture });
    },
  );

  app.get('/traces/:trace_id/logs', { schema: { params: TraceIdParams } }, async (request, reply) => {
    const traceId = request.params.trace_id.toLowerCase();
    const logs = await logStore.logsForTrace(traceId);
    if (logs.length === 0 && (await store.getTrace(traceId)) === undefined) {
      return reply.code(404).send({ error: `trace ${traceId} has no spans and no logs in the window` });
    }
    return reply.type('application/json; charset=utf-8').send(traceLogsJson(traceId, logs));
  });
};
