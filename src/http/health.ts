import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StatusResponse } from '../../schemas/common.js';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { response: { 200: StatusResponse } } }, async () => ({ status: 'ok' as const }));
};
