import type { FastifyPluginAsync } from 'fastify';
import type { CollectorMetrics } from './collector-metrics.js';

export const metricsRoutes: FastifyPluginAsync<{ metrics: CollectorMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
};
