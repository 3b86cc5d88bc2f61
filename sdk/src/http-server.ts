import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindEmitterToSpan, withSpan } from './context.js';
import { defaultPropagator, type TextMapPropagator } from './propagation.js';
import type { Span } from './span.js';
import type { Tracer } from './tracer.js';

export interface HttpServerInstrumentationOptions {
  readonly tracer: Tracer;
  readonly propagator?: TextMapPropagator;
  /** Operation name for a request; default `METHOD /path` (query string cut off). */
  readonly operationName?: (request: IncomingMessage) => string;
}

type Listener<Req extends IncomingMessage, Res extends ServerResponse> = (request: Req, response: Res) => unknown;

/**
 * Wraps a Node `http` request listener: each request gets a SERVER span continuing the caller's
 * trace (traceparent, or legacy X-Trace-ID / X-Span-ID), active in the listener and in listeners
 * it adds to the request and response. Tags: `http.method`, `http.target`, `http.status_code`.
 * The span ends when the response finishes (or the connection closes first: `http.aborted`);
 * status 5xx, or the listener throwing / rejecting, marks it error. Errors keep propagating
 * exactly as without the wrapper.
 */
export function wrapRequestListener<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  listener: Listener<Req, Res>,
  options: HttpServerInstrumentationOptions,
): (request: Req, response: Res) => unknown {
  const { tracer } = options;
  const propagator = options.propagator ?? defaultPropagator;
  const operationName = options.operationName ?? defaultOperationName;

  return function tracedRequestListener(this: unknown, request: Req, response: Res): unknown {
    const method = request.method ?? 'GET';
    const parent = propagator.extract(request.headers);
    const span = tracer.startSpan(operationName(request), {
      kind: 'server',
      parent: parent ?? null, // a request without trace headers starts a trace; it never inherits
      tags: { 'http.method': method, 'http.target': pathOf(request.url) },
    });

    const end = (): void => {
      if (!response.writableFinished) span.setTag('http.aborted', true);
      finishServerSpan(span, response.statusCode);
    };
    response.once('finish', end);
    response.once('close', end);
    bindEmitterToSpan(request, span);
    bindEmitterToSpan(response, span);

    let result: unknown;
    try {
      result = withSpan(span, () => listener.call(this, request, response));
    } catch (error) {
      span.recordException(error);
      throw error;
    }
    if (!isThenable(result)) return result;
    // Chain (not catch) and hand the chained promise back: a rejection the application left
    // unhandled stays unhandled, and an emitter with captureRejections still sees it.
    return result.then(undefined, (error: unknown) => {
      span.recordException(error);
      throw error;
    });
  };
}

/** Sets status code and error state, then ends. Shared with the Fastify plugin. */
export function finishServerSpan(span: Span, statusCode: number): void {
  span.setTag('http.status_code', statusCode);
  if (statusCode >= 500) span.setStatus('error');
  span.end();
}

function defaultOperationName(request: IncomingMessage): string {
  return `${request.method ?? 'GET'} ${pathOf(request.url)}`;
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const cut = url.indexOf('?');
  return cut === -1 ? url : url.slice(0, cut);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
