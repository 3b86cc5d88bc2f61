// A small HTTP service instrumented with the OpenTelemetry API and SDK the way a service without
// @opentelemetry/instrumentation-http does it by hand: a SERVER span per request continuing the
// caller's W3C traceparent, and a CLIENT span around each outgoing call with traceparent injected.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

export interface OtelHttpService {
  url: string;
  close(): Promise<void>;
}

/** `fetch` with a CLIENT span and traceparent, as a child of the span in `parent`. */
export async function tracedOtelFetch(tracer: Tracer, parent: Context, url: string): Promise<Response> {
  const span = tracer.startSpan(`GET ${new URL(url).origin}${new URL(url).pathname}`, { kind: SpanKind.CLIENT, attributes: { 'http.method': 'GET', 'http.url': url } }, parent);
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
  try {
    const response = await fetch(url, { headers });
    span.setAttribute('http.status_code', response.status);
    if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Serves every request by calling `downstream` (when given) and answering with its status and a
 * JSON body carrying this service's trace id (W3C hex) and the downstream's body.
 */
export async function startOtelHttpService(tracer: Tracer, downstream?: string): Promise<OtelHttpService> {
  const server: Server = createServer((req: IncomingMessage, res) => {
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const path = (req.url ?? '/').split('?')[0]!;
    const span = tracer.startSpan(`${req.method} ${path}`, { kind: SpanKind.SERVER, attributes: { 'http.method': req.method ?? 'GET', 'http.target': path } }, parent);
    const active = trace.setSpan(parent, span);
    void (async () => {
      let status = 200;
      let inner: unknown = null;
      try {
        if (downstream !== undefined) {
          const response = await tracedOtelFetch(tracer, active, downstream);
          inner = await response.json();
          if (!response.ok) status = 502;
        }
      } catch {
        status = 502;
      }
      span.setAttribute('http.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ traceId: span.spanContext().traceId, downstream: inner }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
