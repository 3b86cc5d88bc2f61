// The Zipkin v2 read API (GET /api/v2/...) over spans posted through POST /api/v2/spans and
// POST /spans, against a real collector (127.0.0.1:0, ManualClock at DEFAULT_NOW_MS).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_NOW_MS, startCollector, type Api, type JsonObject } from '../support/http.js';

const T_US = 1713484800123456;
const TRACE = '463ac35c9f6413ad48485a3953bb6124';
const TRACE64 = '48485a3953bb6124';
const ROOT_ID = '0562809467078eab';
const CLIENT_ID = '6b221d5bc9e6496c';

let api: Api;
beforeEach(async () => {
  api = await startCollector();
});
afterEach(async () => {
  await api.close();
});

function sentTrace(traceId: string, offsetUs = 0): JsonObject[] {
  return [
    { traceId, id: ROOT_ID, name: 'get /checkout', kind: 'SERVER', timestamp: T_US + offsetUs, duration: 150_000, localEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.1', port: 8080 } },
    {
      traceId, id: CLIENT_ID, parentId: ROOT_ID, name: 'get /price', kind: 'CLIENT', timestamp: T_US + offsetUs + 1000, duration: 100_000,
      localEndpoint: { serviceName: 'frontend' }, remoteEndpoint: { serviceName: 'backend', port: 9000 },
      annotations: [{ timestamp: T_US + offsetUs + 1000, value: 'ws' }], tags: { 'http.path': '/price' },
    },
    { traceId, id: CLIENT_ID, parentId: ROOT_ID, name: 'get /price', kind: 'SERVER', shared: true, timestamp: T_US + offsetUs + 2000, duration: 90_000, localEndpoint: { serviceName: 'backend' }, tags: { error: 'boom' } },
  ];
}

async function post(spans: unknown): Promise<void> {
  const res = await api.request('POST', '/api/v2/spans', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(spans) });
  expect(res.status).toBe(202);
}

const byId = (spans: JsonObject[]) => [...spans].sort((a, b) => `${String(a.id)}${String(a.shared)}`.localeCompare(`${String(b.id)}${String(b.shared)}`));

describe('Zipkin v2 read API', () => {
  it('GET /api/v2/trace/{id} gives back what was sent, in Zipkin shape', async () => {
    const sent = sentTrace(TRACE);
    await post(sent);
    const res = await api.get(`/api/v2/trace/${TRACE}`);
    expect(res.status).toBe(200);
    expect(byId(JSON.parse(res.text) as JsonObject[])).toEqual(byId(sent));
  });

  it('a 64-bit trace id comes back with 16 digits, found by either length', async () => {
    await post(sentTrace(TRACE64));
    const short = JSON.parse((await api.get(`/api/v2/trace/${TRACE64}`)).text) as JsonObject[];
    expect(short.map((s) => s.traceId)).toEqual([TRACE64, TRACE64, TRACE64]);
    expect((await api.get(`/api/v2/trace/0000000000000000${TRACE64}`)).status).toBe(200);
  });

  it('shows spans from POST /spans: kind from span.kind, an error tag for status error', async () => {
    const res = await api.postSpans([
      { trace_id: '463ac35c-9f64-13ad-4848-5a3953bb6124', span_id: '00000000-0000-0000-0562-809467078eab', service: 'api', operation: 'GET /', start_time: '1713484800123456789', end_time: '1713484800123457000', status: 'error', tags: { 'span.kind': 'server' } },
    ]);
    expect(res.status).toBe(202);
    const [span] = JSON.parse((await api.get(`/api/v2/trace/${TRACE}`)).text) as JsonObject[];
    expect(span).toEqual({ traceId: TRACE, id: ROOT_ID, name: 'GET /', kind: 'SERVER', timestamp: 1713484800123456, duration: 1, localEndpoint: { serviceName: 'api' }, tags: { error: 'true' } });
  });

  it('answers 404 for an unknown trace and 400 for an id of the wrong length', async () => {
    expect((await api.get(`/api/v2/trace/${TRACE}`)).status).toBe(404);
    const bad = await api.get('/api/v2/trace/abc');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/traceId/);
  });

  it('services, span names and remote services', async () => {
    await post(sentTrace(TRACE));
    expect(JSON.parse((await api.get('/api/v2/services')).text)).toEqual(['backend', 'frontend']);
    expect(JSON.parse((await api.get('/api/v2/spans?serviceName=frontend')).text)).toEqual(['get /checkout', 'get /price']);
    expect(JSON.parse((await api.get('/api/v2/spans?serviceName=nobody')).text)).toEqual([]);
    expect(JSON.parse((await api.get('/api/v2/remoteServices?serviceName=frontend')).text)).toEqual(['backend']);
    expect(JSON.parse((await api.get('/api/v2/remoteServices?serviceName=backend')).text)).toEqual([]);
    expect((await api.get('/api/v2/spans')).status).toBe(400);
  });

  it('GET /api/v2/traces filters by service, span name, annotationQuery, duration and time', async () => {
    await post(sentTrace(TRACE));
    await post(sentTrace(TRACE64, 60_000_000).map((s) => ({ ...s, tags: { env: 'prod' } })));
    const ids = async (query: string) =>
      (JSON.parse((await api.get(`/api/v2/traces?${query}`)).text) as JsonObject[][]).map((t) => t[0]!.traceId).sort();
    expect(await ids('serviceName=backend')).toEqual([TRACE, TRACE64].sort());
    expect(await ids('spanName=get%20%2Fcheckout&limit=1')).toHaveLength(1);
    expect(await ids('annotationQuery=env%3Dprod')).toEqual([TRACE64]);
    expect(await ids('annotationQuery=error')).toEqual([TRACE]);
    expect(await ids('annotationQuery=ws%20and%20http.path')).toEqual([TRACE]);
    expect(await ids('minDuration=150000')).toEqual([TRACE, TRACE64].sort());
    expect(await ids('minDuration=150001')).toEqual([]);
    expect(await ids('maxDuration=149999')).toEqual([]);
    // Only the first trace started more than a minute before DEFAULT_NOW_MS − 9 min.
    const endTs = Math.floor(T_US / 1000) + 30_000;
    expect(await ids(`endTs=${endTs}&lookback=60000`)).toEqual([TRACE]);
    expect((await api.get('/api/v2/traces?limit=0')).status).toBe(400);
  });

  it('GET /api/v2/traceMany returns the traces found, and 400 for a bad id', async () => {
    await post(sentTrace(TRACE));
    const res = await api.get(`/api/v2/traceMany?traceIds=${TRACE},${TRACE64}`);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as JsonObject[][]).map((t) => t.length)).toEqual([3]);
    const bad = await api.get(`/api/v2/traceMany?traceIds=${TRACE},xyz`);
    expect(bad.status).toBe(400);
    expect((bad.json as { error: string }).error).toMatch(/"xyz" is not 16 or 32 hex digits/);
  });

  it('GET /api/v2/dependencies counts calls between services, errors included', async () => {
    await post(sentTrace(TRACE));
    const res = await api.get(`/api/v2/dependencies?endTs=${DEFAULT_NOW_MS}&lookback=3600000`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual([{ parent: 'frontend', child: 'backend', callCount: 1, errorCount: 1 }]);
    expect((await api.get('/api/v2/dependencies')).status).toBe(400);
  });
});
