import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { getActiveSpan } from '../src/context.js';
import { InMemoryExporter } from '../src/exporter.js';
import { instrumentFetch, unwrapFetch } from '../src/fetch.js';
import { wrapRequestListener } from '../src/http-server.js';
import { SimpleSpanProcessor } from '../src/processor.js';
import type { ReadableSpan } from '../src/span.js';
import { TracedTracer } from '../src/tracer.js';
import { close, deadUrl, listen } from './support/fake-collector.js';
import { firstItems } from './support/first-items.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close));
});

async function serve(listener: http.RequestListener): Promise<string> {
  const server = http.createServer(listener);
  servers.push(server);
  return listen(server);
}

function tracers() {
  const exporter = new InMemoryExporter();
  const make = (service: string) => new TracedTracer({ service, processor: new SimpleSpanProcessor(exporter) });
  return { exporter, frontend: make('frontend'), inventory: make('inventory') };
}

/** Server spans end on 'finish', after the client already has the response: wait for them. */
async function spansWhen(exporter: InMemoryExporter, count: number): Promise<readonly ReadableSpan[]> {
  for (let i = 0; i < 200 && exporter.getFinishedSpans().length < count; i++) await new Promise((r) => setImmediate(r));
  return exporter.getFinishedSpans();
}

describe('http server wrapper + fetch wrapper across two real servers', () => {
  it('produces one trace: frontend SERVER -> frontend CLIENT -> inventory SERVER -> inventory child', async () => {
    const { exporter, frontend, inventory } = tracers();
    const tracedFetch = instrumentFetch(fetch, { tracer: frontend });
    let seenTraceparent: string | undefined;

    const inventoryUrl = await serve(
      wrapRequestListener(
        (req, res) => {
          seenTraceparent = req.headers['traceparent'] as string | undefined;
          req.resume();
          // 'end' fires from the HTTP parser's context, not the listener's: the wrapper binds it.
          req.on('end', () => {
            inventory.startSpan('reserve_stock').end();
            res.end('reserved');
          });
        },
        { tracer: inventory },
      ),
    );
    const frontendUrl = await serve(
      wrapRequestListener(
        async (_req, res) => {
          const response = await tracedFetch(`${inventoryUrl}/reserve?sku=42`, { method: 'POST', body: 'x' });
          res.end(await response.text());
        },
        { tracer: frontend },
      ),
    );

    const response = await fetch(`${frontendUrl}/orders?id=1`);
    expect(await response.text()).toBe('reserved');
    const spans = await spansWhen(exporter, 4);
    expect(spans).toHaveLength(4);

    const byName = (name: string) => spans.find((s) => s.name === name)!;
    const root = byName('GET /orders');
    const client = byName(`POST ${inventoryUrl}/reserve`);
    const server = byName('POST /reserve');
    const child = byName('reserve_stock');

    expect(new Set(spans.map((s) => s.traceUuid)).size).toBe(1);
    expect(root.parentSpanUuid).toBeUndefined();
    expect(client.parentSpanUuid).toBe(root.spanUuid);
    expect(server.parentSpanUuid).toBe(client.spanUuid);
    expect(server.parentIsRemote).toBe(true);
    expect(child.parentSpanUuid).toBe(server.spanUuid);

    expect(root).toMatchObject({ service: 'frontend', kind: 'server' });
    expect(root.tags).toMatchObject({ 'http.method': 'GET', 'http.target': '/orders', 'http.status_code': '200' });
    expect(client).toMatchObject({ service: 'frontend', kind: 'client', status: 'ok' });
    expect(client.tags).toMatchObject({ 'http.method': 'POST', 'http.url': `${inventoryUrl}/reserve`, 'http.status_code': '200' });
    expect(server).toMatchObject({ service: 'inventory', kind: 'server' });

    // traceparent carried the client span's id, W3C form.
    const clientSpanHex = client.spanUuid.slice(19).replace('-', '');
    const traceHex = client.traceUuid.replaceAll('-', '');
    expect(seenTraceparent).toBe(`00-${traceHex}-${clientSpanHex}-01`);
  });

  it('continues an incoming traceparent and passes tracestate on', async () => {
    const { exporter, frontend, inventory } = tracers();
    const tracedFetch = instrumentFetch(fetch, { tracer: frontend });
    let seenState: string | undefined;
    const inventoryUrl = await serve((req, res) => {
      seenState = req.headers['tracestate'] as string | undefined;
      res.end();
    });
    void inventory;
    const frontendUrl = await serve(
      wrapRequestListener(
        async (_req, res) => {
          await (await tracedFetch(inventoryUrl)).text();
          res.end();
        },
        { tracer: frontend },
      ),
    );
    await (
      await fetch(frontendUrl, {
        headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'rojo=00f067aa0ba902b7' },
      })
    ).text();
    const spans = await spansWhen(exporter, 2);
    const root = spans.find((s) => s.kind === 'server')!;
    expect(root.traceUuid).toBe('4bf92f35-77b3-4da6-a3ce-929d0e0e4736');
    expect(root.parentSpanUuid).toBe('00000000-0000-0000-00f0-67aa0ba902b7');
    expect(seenState).toBe('rojo=00f067aa0ba902b7');
  });

  it('starts a new trace when traceparent is malformed, and accepts legacy X-Trace-ID / X-Span-ID', async () => {
    const { exporter, inventory } = tracers();
    const url = await serve(wrapRequestListener((_req, res) => res.end(), { tracer: inventory }));
    await (await fetch(url, { headers: { traceparent: '00-zz-bad-01' } })).text();
    await (
      await fetch(url, {
        headers: { 'X-Trace-ID': '550e8400-e29b-41d4-a716-446655440000', 'X-Span-ID': '6ba7b810-9dad-11d1-80b4-00c04fd430c8' },
      })
    ).text();
    const [fresh, legacy] = firstItems(await spansWhen(exporter, 2), 2);
    expect(fresh.parentSpanUuid).toBeUndefined();
    expect(legacy.traceUuid).toBe('550e8400-e29b-41d4-a716-446655440000');
    expect(legacy.parentSpanUuid).toBe('6ba7b810-9dad-11d1-80b4-00c04fd430c8');
  });

  it('does not parent requests on a span that was active when the server started listening', async () => {
    const { exporter, inventory } = tracers();
    const url = await inventory.startActiveSpan('boot', async (boot) => {
      const listening = await serve(wrapRequestListener((_req, res) => res.end(), { tracer: inventory }));
      boot.end();
      return listening;
    });
    await (await fetch(url)).text();
    const spans = await spansWhen(exporter, 2);
    const server = spans.find((s) => s.kind === 'server')!;
    expect(server.parentSpanUuid).toBeUndefined();
    expect(server.traceUuid).not.toBe(spans.find((s) => s.name === 'boot')!.traceUuid);
  });

  it('marks 5xx and a throwing async listener as error, keeping the rejection unhandled-visible', async () => {
    const { exporter, inventory } = tracers();
    const url500 = await serve(wrapRequestListener((_req, res) => res.writeHead(503).end(), { tracer: inventory }));
    await (await fetch(url500)).text();
    const [five] = firstItems(await spansWhen(exporter, 1), 1);
    expect(five.status).toBe('error');
    expect(five.tags['http.status_code']).toBe('503');

    const listener = wrapRequestListener(
      async (_req, res) => {
        // Respond after the rejection has been seen (setImmediate runs after the microtask queue).
        setImmediate(() => res.writeHead(500).end());
        throw new RangeError('kaput');
      },
      { tracer: inventory },
    );
    const url = await serve((req, res) => {
      const returned = listener(req, res) as Promise<unknown>;
      returned.catch(() => undefined); // the test plays the role of a captureRejections emitter
    });
    await (await fetch(url)).text();
    const spans = await spansWhen(exporter, 2);
    expect(spans[1]?.status).toBe('error');
    expect(spans[1]?.tags['exception.type']).toBe('RangeError');
  });

  it('keeps 4xx server spans ok and marks 4xx client spans error', async () => {
    const { exporter, frontend, inventory } = tracers();
    const url = await serve(wrapRequestListener((_req, res) => res.writeHead(404).end(), { tracer: inventory }));
    await (await instrumentFetch(fetch, { tracer: frontend })(url)).text();
    const spans = await spansWhen(exporter, 2);
    expect(spans.find((s) => s.kind === 'server')!.status).toBe('ok');
    expect(spans.find((s) => s.kind === 'client')!.status).toBe('error');
  });
});

describe('fetch wrapper', () => {
  it('ends the span with error when the call throws, and rethrows the same error', async () => {
    const { exporter, frontend } = tracers();
    const tracedFetch = instrumentFetch(fetch, { tracer: frontend });
    const url = await deadUrl();
    const error = await tracedFetch(`${url}/x?secret=1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError); // undici: "fetch failed"
    const [span] = firstItems(exporter.getFinishedSpans(), 1);
    expect(span.status).toBe('error');
    expect(span.tags['exception.type']).toBe('TypeError');
    expect(span.tags['http.url']).toBe(`${url}/x`);
    expect(span.tags['http.status_code']).toBeUndefined();
  });

  it('keeps caller headers, works with Request objects, and is a child of the active span', async () => {
    const { exporter, frontend } = tracers();
    const tracedFetch = instrumentFetch(fetch, { tracer: frontend });
    const seen: http.IncomingHttpHeaders[] = [];
    const url = await serve((req, res) => {
      seen.push(req.headers);
      res.end();
    });
    await frontend.startActiveSpan('job', async (job) => {
      await (await tracedFetch(url, { headers: { 'x-api-key': 'k' } })).text();
      await (await tracedFetch(new Request(url, { method: 'PUT', headers: { 'x-from-request': 'r' } }))).text();
      expect(getActiveSpan()).toBe(job);
      job.end();
    });
    expect(seen[0]?.['x-api-key']).toBe('k');
    expect(seen[1]?.['x-from-request']).toBe('r');
    expect(seen.every((h) => typeof h.traceparent === 'string')).toBe(true);
    const spans = exporter.getFinishedSpans();
    const job = spans.find((s) => s.name === 'job')!;
    const puts = spans.filter((s) => s.tags['http.method'] === 'PUT');
    expect(puts).toHaveLength(1);
    expect(spans.filter((s) => s.kind === 'client').every((s) => s.parentSpanUuid === job.spanUuid)).toBe(true);
  });

  it('leaves the global fetch alone and can be unwrapped', () => {
    const { frontend } = tracers();
    const original = globalThis.fetch;
    const wrapped = instrumentFetch(fetch, { tracer: frontend });
    expect(globalThis.fetch).toBe(original);
    expect(unwrapFetch(instrumentFetch(wrapped, { tracer: frontend }))).toBe(original);
  });
});
