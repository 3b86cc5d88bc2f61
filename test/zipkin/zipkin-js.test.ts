// Real Zipkin clients against a real collector (127.0.0.1:0, the system clock, since zipkin-js
// stamps spans with the time of day): zipkin-js (`zipkin` + `zipkin-transport-http`, JSON v2
// through HttpLogger) records a two-service trace whose client and server halves share a span
// id; and a zipkin-js caller calls a service instrumented with this repo's SDK over B3 headers.
// Each trace must come back whole, with every parent right, through both read APIs.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zipkin from 'zipkin';
import { HttpLogger } from 'zipkin-transport-http';
import { B3Propagator, BatchSpanProcessor, TracedHttpExporter, TracedTracer, wrapRequestListener } from '../../sdk/src/index.js';
import { zipkinTraceIdToUuid } from '../../src/codec/zipkin-ids.js';
import { waitFor, type Api, type JsonObject } from '../support/http.js';
import { startOtlpCollector } from '../otlp/support.js';

/** What zipkin-js's HttpLogger reported as failed sends. */
const reportErrors: string[] = [];

const { BatchRecorder, ExplicitContext, Instrumentation, jsonEncoder, option, Tracer } = zipkin;

/**
 * A zipkin-js tracer reporting JSON v2 to the collector every `intervalMs`. The backend's spans
 * are sent at the default second: its server half and the child it holds must usually travel in
 * one request for the child to be re-parented onto the server half (map-spans.ts), and a short
 * interval could fall between the two.
 */
function zipkinTracer(api: Api, serviceName: string, intervalMs = 20): zipkin.Tracer {
  const logger = new HttpLogger({
    endpoint: `${api.baseUrl}/api/v2/spans`,
    jsonEncoder: jsonEncoder.JSON_V2,
    httpInterval: intervalMs,
    // Anything but a 202 from the collector is logged here, and fails the test.
    log: { error: (message: unknown) => void reportErrors.push(String(message)) } as unknown as Console,
  });
  return new Tracer({ ctxImpl: new ExplicitContext(), recorder: new BatchRecorder({ logger }), localServiceName: serviceName });
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: http.Server | undefined): Promise<void> {
  return new Promise((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
}

/**
 * A zipkin-js "frontend": a local span "checkout" around a client call to `url`, with B3 headers
 * written by zipkin-js's HttpClient instrumentation. Resolves with the 64-bit trace id it used.
 */
async function frontendCall(tracer: zipkin.Tracer, url: string): Promise<string> {
  const client = new Instrumentation.HttpClient({ tracer, remoteServiceName: 'backend' });
  let traceId = '';
  await tracer.scoped(() =>
    tracer.local('checkout', async () => {
      const request = client.recordRequest({ headers: {} as Record<string, string> }, url, 'GET');
      const callId = tracer.id;
      traceId = callId.traceId;
      const response = await fetch(url, { headers: request.headers });
      await response.text();
      client.recordResponse(callId, String(response.status));
    }),
  );
  return traceId;
}

async function collected(api: Api, traceUuid: string, count: number): Promise<JsonObject[]> {
  let spans: JsonObject[] = [];
  await waitFor(`${count} spans of trace ${traceUuid}`, async () => {
    const res = await api.get(`/traces/${traceUuid}`);
    spans = res.status === 200 ? (res.json as { spans: JsonObject[] }).spans : [];
    return spans.length >= count;
  });
  return spans;
}

function only(spans: JsonObject[], predicate: (span: JsonObject) => boolean, what: string): JsonObject {
  const matches = spans.filter(predicate);
  expect(matches, what).toHaveLength(1);
  return matches[0]!;
}

describe('zipkin-js → POST /api/v2/spans', () => {
  let api: Api;
  let backend: http.Server | undefined;
  let backendUrl: string;
  let frontendTracer: zipkin.Tracer;

  beforeAll(async () => {
    api = await startOtlpCollector({ nowMs: 'system' });
    const backendTracer = zipkinTracer(api, 'backend', 1000);
    const server = new Instrumentation.HttpServer({ tracer: backendTracer, port: 0 });
    backend = http.createServer((req, res) => {
      backendTracer.scoped(() => {
        const readHeader = (name: string) => {
          const value = req.headers[name.toLowerCase()];
          return typeof value === 'string' ? new option.Some(value) : option.None;
        };
        const id = server.recordRequest(req.method ?? 'GET', `http://127.0.0.1${req.url ?? '/'}`, readHeader as never);
        backendTracer.local('price-lookup', () => undefined);
        res.end('ok');
        server.recordResponse(id, '200');
      });
    });
    backendUrl = await listen(backend);
    frontendTracer = zipkinTracer(api, 'frontend');
  });

  afterAll(async () => {
    await close(backend);
    await api?.close();
  });

  it('a client and a shared server half come back in Zipkin shape and as one Traced tree', async () => {
    const traceId = await frontendCall(frontendTracer, `${backendUrl}/price`);
    expect(traceId).toMatch(/^[0-9a-f]{16}$/);
    const traceUuid = zipkinTraceIdToUuid(traceId)!;
    const spans = await collected(api, traceUuid, 4);
    expect(spans).toHaveLength(4);

    // Traced: checkout → client call → server half (its own id) → price-lookup.
    const checkout = only(spans, (s) => s.operation === 'checkout', 'checkout');
    const call = only(spans, (s) => (s.tags as JsonObject | undefined)?.['span.kind'] === 'client', 'client half');
    const serverHalf = only(spans, (s) => (s.tags as JsonObject | undefined)?.['span.kind'] === 'server', 'server half');
    const lookup = only(spans, (s) => s.operation === 'price-lookup', 'price-lookup');
    expect(checkout.parent_span_id).toBeUndefined();
    expect(checkout.service).toBe('frontend');
    expect(call.parent_span_id).toBe(checkout.span_id);
    expect(call.service).toBe('frontend');
    expect(serverHalf.parent_span_id).toBe(call.span_id);
    expect(serverHalf.service).toBe('backend');
    expect(serverHalf.span_id).not.toBe(call.span_id);
    expect(lookup.parent_span_id).toBe(serverHalf.span_id);
    expect(lookup.service).toBe('backend');

    // Zipkin: both halves under the client's id, the server one marked shared.
    const res = await api.get(`/api/v2/trace/${traceId}`);
    expect(res.status).toBe(200);
    const zipkinSpans = JSON.parse(res.text) as JsonObject[];
    expect(zipkinSpans).toHaveLength(4);
    expect(zipkinSpans.every((s) => s.traceId === traceId)).toBe(true);
    const client = only(zipkinSpans, (s) => s.kind === 'CLIENT', 'CLIENT');
    const server = only(zipkinSpans, (s) => s.kind === 'SERVER', 'SERVER');
    const root = only(zipkinSpans, (s) => s.name === 'checkout', 'checkout');
    expect(server.id).toBe(client.id);
    expect(server.shared).toBe(true);
    expect(server.parentId).toBe(root.id);
    expect(client.parentId).toBe(root.id);
    expect(root.parentId).toBeUndefined();
    expect((client.remoteEndpoint as JsonObject).serviceName).toBe('backend');
    expect((server.localEndpoint as JsonObject).serviceName).toBe('backend');
    expect(only(zipkinSpans, (s) => s.name === 'price-lookup', 'lookup').parentId).toBe(client.id);
    expect(typeof client.timestamp).toBe('number');
    expect(client.duration).toBeGreaterThan(0);

    expect(JSON.parse((await api.get('/api/v2/services')).text)).toEqual(['backend', 'frontend']);
    expect(reportErrors).toEqual([]);
  });
});

describe('zipkin-js caller → this SDK over B3', () => {
  let api: Api;
  let service: http.Server | undefined;
  let serviceUrl: string;
  let sdkTracer: TracedTracer;
  let frontendTracer: zipkin.Tracer;

  beforeAll(async () => {
    api = await startOtlpCollector({ nowMs: 'system' });
    sdkTracer = new TracedTracer({ service: 'inventory', processor: new BatchSpanProcessor(new TracedHttpExporter({ url: api.baseUrl })) });
    service = http.createServer(
      wrapRequestListener(
        (_req, res) => {
          sdkTracer.startActiveSpan('reserve', (span) => span.end());
          res.end('ok');
        },
        { tracer: sdkTracer, propagator: new B3Propagator() },
      ),
    );
    serviceUrl = await listen(service);
    frontendTracer = zipkinTracer(api, 'frontend');
  });

  afterAll(async () => {
    await close(service);
    await sdkTracer?.shutdown();
    await api?.close();
  });

  it('spans from both protocols land in one trace with correct parents', async () => {
    const traceId = await frontendCall(frontendTracer, `${serviceUrl}/reserve`);
    const traceUuid = zipkinTraceIdToUuid(traceId)!;
    let spans: JsonObject[] = [];
    await waitFor('4 spans from zipkin-js and the SDK', async () => {
      await sdkTracer.forceFlush();
      const res = await api.get(`/traces/${traceUuid}`);
      spans = res.status === 200 ? (res.json as { spans: JsonObject[] }).spans : [];
      return spans.length >= 4;
    });
    expect(spans).toHaveLength(4);
    const checkout = only(spans, (s) => s.operation === 'checkout', 'checkout');
    const call = only(spans, (s) => s.service === 'frontend' && s.operation !== 'checkout', 'zipkin-js client span');
    const server = only(spans, (s) => s.service === 'inventory' && s.operation !== 'reserve', 'SDK server span');
    const reserve = only(spans, (s) => s.operation === 'reserve', 'SDK inner span');
    expect(call.parent_span_id).toBe(checkout.span_id);
    expect(server.parent_span_id).toBe(call.span_id);
    expect(reserve.parent_span_id).toBe(server.span_id);
    expect((await api.get(`/traces/${traceUuid}`)).json).toMatchObject({ partial: false });

    // And the Zipkin read API shows the SDK's spans in the same trace.
    const zipkinSpans = JSON.parse((await api.get(`/api/v2/trace/${traceId}`)).text) as JsonObject[];
    expect(zipkinSpans.map((s) => (s.localEndpoint as JsonObject).serviceName).sort()).toEqual(['frontend', 'frontend', 'inventory', 'inventory']);
    expect(reportErrors).toEqual([]);
  });
});
