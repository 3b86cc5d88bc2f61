// POST /v1/logs: OTLP/HTTP log export, JSON or protobuf, optionally gzip-compressed, into the
// log store that POST /logs fills (through the ingest log with STORAGE=disk), so that
// GET /traces/{id}/logs shows the lines of any OpenTelemetry logs SDK.
//
// Answered as POST /v1/traces is (otlp.ts): 200 with an ExportLogsServiceResponse
// (partial_success for records that could not be kept), 400 / 413 / 415 with a google.rpc.Status,
// 503 + Retry-After under admission control and at the log budget (MAX_LOGS, MAX_LOG_BYTES). The
// body limit is POST /logs's, MAX_LOG_BODY_BYTES: a batch is stored in one turn of the event loop.

import type { FastifyPluginAsync } from 'fastify';
import type { LogStore } from '../logs/log-store.js';
import { contentTypeFor, decodeLogsRequest, encodingOf, logsExportResponseBody, RpcCode, statusBody } from '../otlp/otlp-body.js';
import type { OtlpLogsRequest } from '../otlp/otlp-logs-request.js';
import type { RefusalGate } from './admission/refusal-gate.js';
import type { CollectorMetrics } from './collector-metrics.js';
import { addOtlpBodyParsers, otlpErrorHandler } from './otlp.js';
import { exportLogs, logBudgetProblem, secondsToNextMinute } from './otlp-export.js';

export interface OtlpLogsRouteOptions {
  /** The durable log store with STORAGE=disk. */
  logStore: LogStore;
  metrics: CollectorMetrics;
  gate: RefusalGate;
  windowMinutes: number;
  maxLogs: number;
  maxLogBytes: number;
  maxLogBodyBytes: number;
  /** MAX_OTLP_SPANS_PER_REQUEST, which caps log records per request too. */
  maxRecordsPerRequest: number;
}

export const otlpLogsRoutes: FastifyPluginAsync<OtlpLogsRouteOptions> = async (
  app,
  { logStore, metrics, gate, windowMinutes, maxLogs, maxLogBytes, maxLogBodyBytes, maxRecordsPerRequest },
) => {
  addOtlpBodyParsers(app, maxLogBodyBytes, 'MAX_LOG_BODY_BYTES', (body, encoding) => decodeLogsRequest(body, encoding, maxRecordsPerRequest));
  app.setErrorHandler(
    otlpErrorHandler({
      gate,
      maxBodyBytes: maxLogBodyBytes,
      bodyLimitSetting: 'MAX_LOG_BODY_BYTES',
      countRejected: (reason) => metrics.logBatchesRejected.inc({ reason }),
    }),
  );

  app.post(
    '/v1/logs',
    {
      bodyLimit: maxLogBodyBytes,
      onRequest: async (request, reply) => {
        const full = await logBudgetProblem(logStore, maxLogs, maxLogBytes);
        if (full === undefined) return;
        metrics.logBatchesRejected.inc({ reason: 'log_budget' });
        const encoding = encodingOf(request.headers['content-type']);
        return reply
          .code(503)
          .header('retry-after', String(secondsToNextMinute()))
          .type(contentTypeFor(encoding))
          .send(statusBody(encoding, RpcCode.UNAVAILABLE, full));
      },
      preParsing: gate.waitTurn('logs'),
    },
    async (request, reply) => {
      const encoding = encodingOf(request.headers['content-type']);
      const decoded = (request.body as OtlpLogsRequest | undefined) ?? { resourceLogs: [] };
      const { rejected, message } = await exportLogs(decoded, { logStore, metrics, windowMinutes });
      return reply.code(200).type(contentTypeFor(encoding)).send(logsExportResponseBody(encoding, rejected, message));
    },
  );
};
