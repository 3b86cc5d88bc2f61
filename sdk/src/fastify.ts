// Types only: fastify is an optional peer dependency and nothing here loads it at runtime.
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { bindEmitterToSpan, withSpan } from './context.js';
import { finishServerSpan } from './http-server.js';
import { defaultPropagator, type TextMapPropagator } from './propagation.js';
import type { Span } from './span.js';
import type { Tracer } from './tracer.js';

export interface TracedFastifyOptions {
  readonly tracer: Tracer;
  readonly propagator?: TextMapPropagator;
}

const REQUEST_SPAN = Symbol('@traced/sdk.requestSpan');

type RequestWithSpan = FastifyRequest & { [REQUEST_SPAN]?: Span };

/** The SERVER span the plugin opened for `request`, for handlers that want to tag it. */
export function getRequestSpan(request: FastifyRequest): Span | undefined {
  return (request as RequestWithSpan)[REQUEST_SPAN];
}

/**
 * Fastify plugin: a SERVER span per request, continuing the caller's trace (traceparent, or legacy
 * X-Trace-ID / X-Span-ID). Named `METHOD route` with the route pattern (`GET /users/:id`) when the
 * request matched one, `METHOD /path` otherwise. Tags `http.method`, `http.route` (when known),
 * `http.target`, `http.status_code`. A 5xx reply or a thrown 5xx error marks it error; a 4xx error
 * (validation, not found) records the exception tags but stays ok, since the caller was at fault.
 *
 * Register it first so its onRequest hook opens the span before other hooks run. It applies to the
 * whole application (not just its own encapsulation context), as fastify-plugin would arrange,
 * via `Symbol.for('skip-override')`, so there is no dependency on the fastify-plugin package.
 */
const tracedFastifyPlugin: FastifyPluginCallback<TracedFastifyOptions> = (fastify, options, done) => {
  const { tracer } = options;
  if (tracer === undefined || typeof tracer.startSpan !== 'function') {
    done(new TypeError('@traced/sdk fastify plugin: options.tracer is required'));
    return;
  }
  const propagator = options.propagator ?? defaultPropagator;

  fastify.addHook('onRequest', (request, _reply, next) => {
    const route = request.routeOptions.url;
    const target = pathOf(request.url);
    const span = tracer.startSpan(`${request.method} ${route ?? target}`, {
      kind: 'server',
      parent: propagator.extract(request.headers) ?? null,
      tags:
        route === undefined
          ? { 'http.method': request.method, 'http.target': target }
          : { 'http.method': request.method, 'http.route': route, 'http.target': target },
    });
    (request as RequestWithSpan)[REQUEST_SPAN] = span;
    // Body parsing continues from the raw request's 'data'/'end' events, whose async context
    // predates this hook; binding keeps the span active through preValidation and the handler.
    bindEmitterToSpan(request.raw, span);
    withSpan(span, next);
  });

  // Belt and braces for streams replaced in preParsing (e.g. decompression), whose events are not
  // bound: the handler runs synchronously inside this hook's next(), so it sees the span.
  fastify.addHook('preHandler', (request, _reply, next) => {
    const span = getRequestSpan(request);
    if (span === undefined) next();
    else withSpan(span, next);
  });

  fastify.addHook('onError', (request, _reply, error, next) => {
    const span = getRequestSpan(request);
    if (span !== undefined) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        span.setTag('exception.type', error.name);
        span.setTag('exception.message', error.message);
      } else {
        span.recordException(error);
      }
    }
    next();
  });

  fastify.addHook('onResponse', (request, reply, next) => {
    const span = getRequestSpan(request);
    if (span !== undefined) finishServerSpan(span, reply.statusCode);
    next();
  });

  fastify.addHook('onRequestAbort', (request, next) => {
    const span = getRequestSpan(request);
    if (span !== undefined) {
      span.setTag('http.aborted', true);
      span.end();
    }
    next();
  });

  done();
};

Object.defineProperty(tracedFastifyPlugin, Symbol.for('skip-override'), { value: true });
Object.defineProperty(tracedFastifyPlugin, Symbol.for('fastify.display-name'), { value: '@traced/sdk' });

export { tracedFastifyPlugin };

function pathOf(url: string): string {
  const cut = url.indexOf('?');
  return cut === -1 ? url : url.slice(0, cut);
}
