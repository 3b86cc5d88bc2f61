import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ServiceParams } from '../../schemas/stats.js';
import { operationRows, serviceRows } from '../store/red.js';
import type { TraceStats } from '../store/stats.js';
import { flagPartial } from './partial-header.js';

export interface ServicesRouteOptions {
  store: TraceStats;
}

export const servicesRoutes: FastifyPluginAsyncTypebox<ServicesRouteOptions> = async (app, { store }) => {
  app.get('/services', async (_request, reply) => {
    const report = await store.latency({});
    flagPartial(reply, report.unavailable);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ services: serviceRows(report) }));
  });

  app.get('/services/:service/operations', { schema: { params: ServiceParams } }, async (request, reply) => {
    const { service } = request.params;
    const report = await store.latency({});
    flagPartial(reply, report.unavailable);
    const operations = operationRows(report, service);
    if (operations === undefined) return reply.code(404).send({ error: `service ${JSON.stringify(service)} has no spans in the window` });
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ service, operations }));
  });
};
