import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StatsQuery } from '../../schemas/stats.js';
import { redStats } from '../store/red.js';
import type { TraceStats } from '../store/stats.js';
import { flagPartial } from './partial-header.js';
import { captureTimeBounds, registerTimeBounds, timeBounds } from './time-bounds.js';

export interface StatsRouteOptions {
  store: TraceStats;
}

export const statsRoutes: FastifyPluginAsyncTypebox<StatsRouteOptions> = async (app, { store }) => {
  registerTimeBounds(app);

  app.get('/stats', { schema: { querystring: StatsQuery }, preValidation: captureTimeBounds }, async (request, reply) => {
    const report = await store.latency(timeBounds(request));
    flagPartial(reply, report.unavailable);
    const stats = redStats(report, request.query.service, request.query.operation);
    // The range bounds are int64 and go in as exact text; the rest is plain JSON.
    const body = `{"after":${report.after},"before":${report.before},${JSON.stringify(stats).slice(1)}`;
    return reply.type('application/json; charset=utf-8').send(body);
  });
};
