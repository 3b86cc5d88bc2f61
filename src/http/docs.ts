// The contract, served two ways: the YAML itself, and Swagger UI at /docs (static mode, fed by
// the same file; its assets come from the swagger-ui-dist package, never a CDN).

import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import { openapiPath } from './paths.js';

export const docsRoutes: FastifyPluginAsync = async (app) => {
  const yamlText = readFileSync(openapiPath, 'utf8');
  await app.register(swagger, {
    mode: 'static',
    specification: { path: openapiPath, baseDir: dirname(openapiPath) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/yaml; charset=utf-8').send(yamlText),
  );
};
