// The dashboard: the Vite build in web/dist, served at `/`.
//
// Routes are registered per file found at start-up (wildcard: false) rather than as a catch-all
// `/*`, so the dashboard can never answer for an API path, a mistyped one included: unknown paths
// still get the API's JSON 404. Built assets carry a content hash in their names and are cached
// for a year; index.html is revalidated so a new build shows on the next load. Without a build,
// `/` says how to make one instead of a bare 404.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { projectRoot } from './paths.js';

export const dashboardDir = join(projectRoot, 'web', 'dist');

export interface DashboardOptions {
  /** The built dashboard; defaults to web/dist beside package.json. */
  dir?: string;
}

export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const dir = options.dir ?? dashboardDir;
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>traced</title><p>The dashboard has not been built. Run <code>npm run build:web</code> ' +
            '(or <code>npm start</code>, which builds it) and reload. The API is up: see <a href="docs">/docs</a>.</p>',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    decorateReply: false,
    index: 'index.html',
    cacheControl: false,
    schemaHide: true,
    setHeaders: (res, path) => {
      const immutable = path.includes(`${join(dir, 'assets')}`);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
};
