import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RangeQuery } from '../../schemas/stats.js';
import { dependencyEdges } from '../store/red.js';
import type { TraceStats } from '../store/stats.js';
import { flagPartial } from './partial-header.js';
import { captureTimeBounds, registerTimeBounds, timeBounds } from './time-bounds.js';

export interface DependenciesRouteOptions {
  store: TraceStats;
}

export const dependenciesRoutes: FastifyPluginAsyncTypebox<DependenciesRouteOptions> = async (app, { store }) => {
  registerTimeBounds(app);

  app.get('/dependencies', { schema: { querystring: RangeQuery }, preValidation: captureTimeBounds }, async (request, reply) => {
    const report = await store.dependencies(timeBounds(request));
    flagPartial(reply, report.unavailable);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ edges: dependencyEdges(report) }));
  });
};
