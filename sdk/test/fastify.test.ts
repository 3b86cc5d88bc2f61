import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { getActiveSpan } from '../src/context.js';
import { InMemoryExporter } from '../src/exporter.js';
import { getRequestSpan, tracedFastifyPlugin } from '../src/fastify.js';
import { SimpleSpanProcessor } from '../src/processor.js';
import type { ReadableSpan } from '../src/span.js';
import { TracedTracer } from '../src/tracer.js';
import { firstItems } from './support/first-items.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function build() {
  const exporter = new InMemoryExporter();
  const tracer = new TracedTracer({ service: 'api', processor: new SimpleSpanProcessor(exporter) });
  const app = Fastify();
  apps.push(app);
  await app.register(tracedFastifyPlugin, { tracer });
  // Registered in a child context: skip-override must still apply the hooks to it.
  await app.register(async (child) => {
    child.get('/users/:id', async (request) => {
      getRequestSpan(request)?.setTag('user.id', (request.params as { id: string }).id);
      return { ok: true };
    });
    child.post('/orders', async (request) => {
      await new Promise((resolve) => setImmediate(resolve));
      const inner = tracer.startSpan('save_order');
      inner.end();
      return { same: getActiveSpan() === getRequestSpan(request), body: request.body };
    });
    child.get('/boom', async () => {
      throw new Error('database on fire');
    });
    child.get('/unavailable', async (_request, reply) => reply.code(503).send({ error: 'later' }));
    child.get('/bad', { schema: { querystring: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } } } }, async () => 'x');
  });
  return { app, exporter, tracer };
}

const spans = (exporter: InMemoryExporter): readonly ReadableSpan[] => exporter.getFinishedSpans();

describe('Fastify plugin', () => {
  it('opens a SERVER span named by the route pattern, with method, route and status tags', async () => {
    const { app, exporter } = await build();
    const res = await app.inject({ method: 'GET', url: '/users/7?x=1' });
    expect(res.statusCode).toBe(200);
    const [span] = firstItems(spans(exporter), 1);
    expect(span).toMatchObject({ service: 'api', kind: 'server', name: 'GET /users/:id', status: 'ok' });
    expect(span.parentSpanUuid).toBeUndefined();
    expect(span.tags).toMatchObject({
      'http.method': 'GET',
      'http.route': '/users/:id',
      'http.target': '/users/7',
      'http.status_code': '200',
      'user.id': '7',
    });
  });

  it('keeps the span active through body parsing into the handler, for child spans', async () => {
    const { app, exporter } = await build();
    const res = await app.inject({ method: 'POST', url: '/orders', payload: { item: 'book' } });
    expect(res.json()).toEqual({ same: true, body: { item: 'book' } });
    const server = spans(exporter).find((s) => s.kind === 'server')!;
    const child = spans(exporter).find((s) => s.name === 'save_order')!;
    expect(child.parentSpanUuid).toBe(server.spanUuid);
    expect(child.traceUuid).toBe(server.traceUuid);
  });

  it('continues the caller trace from traceparent', async () => {
    const { app, exporter } = await build();
    await app.inject({ method: 'GET', url: '/users/1', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    const [span] = firstItems(spans(exporter), 1);
    expect(span.traceUuid).toBe('4bf92f35-77b3-4da6-a3ce-929d0e0e4736');
    expect(span.parentSpanUuid).toBe('00000000-0000-0000-00f0-67aa0ba902b7');
    expect(span.parentIsRemote).toBe(true);
  });

  it('marks a thrown error (500) as error with the exception tags', async () => {
    const { app, exporter } = await build();
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    const [span] = firstItems(spans(exporter), 1);
    expect(span.status).toBe('error');
    expect(span.tags).toMatchObject({ 'http.status_code': '500', 'exception.type': 'Error', 'exception.message': 'database on fire' });
  });

  it('marks a 5xx reply as error even without a thrown error', async () => {
    const { app, exporter } = await build();
    const res = await app.inject({ method: 'GET', url: '/unavailable' });
    expect(res.statusCode).toBe(503);
    expect(spans(exporter)[0]).toMatchObject({ status: 'error' });
    expect(spans(exporter)[0]?.tags['http.status_code']).toBe('503');
  });

  it('keeps 4xx ok: validation errors and unknown routes', async () => {
    const { app, exporter } = await build();
    expect((await app.inject({ method: 'GET', url: '/bad' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/nowhere?q=1' })).statusCode).toBe(404);
    const [bad, missing] = firstItems(spans(exporter), 2);
    expect(bad.status).toBe('ok');
    expect(bad.tags['http.status_code']).toBe('400');
    expect(bad.tags['exception.message']).toMatch(/q/);
    expect(missing).toMatchObject({ name: 'GET /nowhere', status: 'ok' });
    expect(missing.tags['http.route']).toBeUndefined();
  });

  it('works on a real listening server', async () => {
    const { app, exporter } = await build();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/users/3`);
    expect(res.status).toBe(200);
    await res.text();
    for (let i = 0; i < 100 && spans(exporter).length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(spans(exporter)[0]).toMatchObject({ name: 'GET /users/:id', status: 'ok' });
  });

  it('fails registration clearly without a tracer', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(app.register(tracedFastifyPlugin, {} as never).ready()).rejects.toThrow(/tracer is required/);
  });
});
