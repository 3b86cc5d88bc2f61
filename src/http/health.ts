// GET /health: 200 once the collector takes ingest; 503 with the replay's progress while the
// ingest log is replayed at start-up, so a load balancer or orchestrator waits for it.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ReplayingResponse, StatusResponse } from '../../schemas/common.js';
import type { ReplayProgress } from '../ingest-log/replay.js';

export interface HealthRouteOptions {
  /** The replay's progress while it runs, else undefined. */
  replaying?: () => ReplayProgress | undefined;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (app, { replaying }) => {
  app.get('/health', { schema: { response: { 200: StatusResponse, 503: ReplayingResponse } } }, async (_request, reply) => {
    const progress = replaying?.();
    if (progress === undefined) return { status: 'ok' as const };
    return reply.code(503).send({
      status: 'replaying' as const,
      segments_done: progress.segmentsDone,
      segments_total: progress.segmentsTotal,
      bytes_done: progress.bytesDone,
      bytes_total: progress.bytesTotal,
      spans_replayed: progress.spans,
      logs_replayed: progress.logs,
    });
  });
};
