// POST /api/v2/spans against a real collector (127.0.0.1:0, ManualClock): the mapping of Zipkin
// v2 JSON onto Traced spans read back through GET /traces/{id}, and the refusals: every bad input
// is a 400 naming the field, nothing of the request is stored, and the collector keeps serving.

import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type Api, type JsonObject } from '../support/http.js';

// DEFAULT_NOW_MS is 2024-04-19T00:10:00Z; T_US is ten minutes earlier, in µs.
const T_US = 1713484800123456;
const TRACE64 = '48485a3953bb6124';
const TRACE64_UUID = '00000000-0000-0000-4848-5a3953bb6124';
const TRACE128 = '463AC35C9F6413AD48485A3953BB6124';
const TRACE128_UUID = '463ac35c-9f64-13ad-4848-5a3953bb6124';
const CLIENT_ID = '6b221d5bc9e6496c';
const CLIENT_UUID = '00000000-0000-0000-6b22-1d5bc9e6496c';
const SHARED_SERVER_UUID = '00000000-0000-0001-6b22-1d5bc9e6496c';
const ROOT_ID = '0562809467078eab';
const ROOT_UUID = '00000000-0000-0000-0562-809467078eab';
const CHILD_ID = '1111222233334444';

let api: Api;
beforeEach(async () => {
  api = await startCollector();
});
afterEach(async () => {
  await api.close();
});

function post(body: unknown, contentType = 'application/json') {
  return api.request('POST', '/api/v2/spans', { headers: { 'content-type': contentType }, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) });
}

async function spansOf(traceUuid: string): Promise<JsonObject[]> {
  const res = await api.get(`/traces/${traceUuid}`);
  expect(res.status).toBe(200);
  return (res.json as { spans: JsonObject[] }).spans;
}

/** A frontend root, its client call, the backend's shared server half, and a child of it. */
function twoServiceTrace(traceId: string): JsonObject[] {
  return [
    { traceId, id: ROOT_ID, name: 'get /checkout', kind: 'SERVER', timestamp: T_US, duration: 150_000, localEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.1', port: 8080 } },
    {
      traceId, id: CLIENT_ID, parentId: ROOT_ID, name: 'get /price', kind: 'CLIENT', timestamp: T_US + 1000, duration: 100_000,
      localEndpoint: { serviceName: 'frontend' }, remoteEndpoint: { serviceName: 'backend', ipv4: '10.0.0.2', port: 9000 },
      annotations: [{ timestamp: T_US + 1000, value: 'ws' }, { timestamp: T_US + 1000, value: 'wr' }],
      tags: { 'http.path': '/price' },
    },
    { traceId, id: CLIENT_ID, parentId: ROOT_ID, name: 'get /price', kind: 'SERVER', shared: true, timestamp: T_US + 2000, duration: 90_000, localEndpoint: { serviceName: 'backend' }, tags: { error: 'boom' } },
    { traceId, id: CHILD_ID, parentId: CLIENT_ID, name: 'select', timestamp: T_US + 3000, duration: 7, localEndpoint: { serviceName: 'backend' } },
  ];
}

describe('POST /api/v2/spans', () => {
  it('stores a two-service trace with a shared span: 202, exact ns times, parents, tags', async () => {
    const res = await post(twoServiceTrace(TRACE128));
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    const spans = await spansOf(TRACE128_UUID);
    const byId = new Map(spans.map((s) => [s.span_id as string, s]));
    expect([...byId.keys()].sort()).toEqual([ROOT_UUID, CLIENT_UUID, SHARED_SERVER_UUID, '00000000-0000-0000-1111-222233334444'].sort());
    const root = byId.get(ROOT_UUID)!;
    expect(root.service).toBe('frontend');
    expect(root.operation).toBe('get /checkout');
    expect(String(root.start_time)).toBe('1713484800123456000');
    expect(String(root.end_time)).toBe('1713484800273456000');
    expect(root.tags).toEqual({ 'span.kind': 'server', 'localEndpoint.ipv4': '10.0.0.1', 'localEndpoint.port': '8080' });
    const client = byId.get(CLIENT_UUID)!;
    expect(client.parent_span_id).toBe(ROOT_UUID);
    expect(client.tags).toEqual({
      'span.kind': 'client',
      'http.path': '/price',
      'remoteEndpoint.serviceName': 'backend',
      'remoteEndpoint.ipv4': '10.0.0.2',
      'remoteEndpoint.port': '9000',
      [`annotation.${T_US + 1000}`]: 'ws',
      [`annotation.${T_US + 1000}.1`]: 'wr',
    });
    const server = byId.get(SHARED_SERVER_UUID)!;
    expect(server.parent_span_id).toBe(CLIENT_UUID);
    expect(server.service).toBe('backend');
    expect(server.status).toBe('error');
    expect(server.tags).toEqual({ 'span.kind': 'server', 'zipkin.shared': 'true', error: 'boom' });
    // The backend's child of the shared id hangs off the server half, as in Zipkin's tree.
    const child = byId.get('00000000-0000-0000-1111-222233334444')!;
    expect(child.parent_span_id).toBe(SHARED_SERVER_UUID);
    expect(String(child.end_time)).toBe(String(BigInt(T_US + 3007) * 1000n));
  });

  it('pads a 64-bit trace id to 128 bits, so B3 and W3C name the same trace', async () => {
    expect((await post(twoServiceTrace(TRACE64))).status).toBe(202);
    expect(await spansOf(TRACE64_UUID)).toHaveLength(4);
  });

  it('a re-sent request is a duplicate, not a second copy', async () => {
    expect((await post(twoServiceTrace(TRACE128))).status).toBe(202);
    expect((await post(twoServiceTrace(TRACE128))).status).toBe(202);
    expect(await spansOf(TRACE128_UUID)).toHaveLength(4);
  });

  it('an empty list is accepted', async () => {
    expect((await post([])).status).toBe(202);
  });

  const good = () => twoServiceTrace(TRACE128);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['an object instead of a list', () => ({ spans: good() }), /must be a JSON array/],
    ['a trace id of the wrong length', () => [...good(), { ...good()[0], traceId: 'abc123' }], /^\[4\]\.traceId must be 16 or 32 hex digits$/],
    ['a span id of 32 digits', () => [{ ...good()[0], id: TRACE128 }], /^\[0\]\.id must be 16 hex digits$/],
    ['a parent id that is not hex', () => [{ ...good()[1], parentId: 'zzzzzzzzzzzzzzzz' }], /^\[0\]\.parentId must be 16 hex digits$/],
    ['an all-zero trace id', () => [{ ...good()[0], traceId: '0000000000000000' }], /^\[0\]\.traceId must not be all zeros$/],
    ['a timestamp as a string', () => [{ ...good()[0], timestamp: String(T_US) }], /^\[0\]\.timestamp must be an integer$/],
    ['a fractional duration', () => [{ ...good()[0], duration: 1.5 }], /^\[0\]\.duration must be an integer$/],
    ['a missing timestamp', () => [{ traceId: TRACE128, id: ROOT_ID }], /^\[0\]\.timestamp is required$/],
    ['an unknown kind', () => [{ ...good()[0], kind: 'INTERNAL' }], /^\[0\]\.kind must be one of/],
    ['a tag value that is a number', () => [{ ...good()[0], tags: { n: 5 } }], /^\[0\]\.tags\.n must be a string$/],
    ['a tag key over 256 characters', () => [{ ...good()[0], tags: { ['k'.repeat(257)]: 'v' } }], /keys must be at most 256 characters/],
    ['a timestamp beyond 2^53', () => [{ ...good()[0], timestamp: 2 ** 60 }], /^\[0\]\.timestamp must be <= 9007199254740991$/],
    ['a parent equal to the span id', () => [{ ...good()[0], parentId: ROOT_ID }], /^\[0\]\.parentId must differ from id$/],
  ];
  it.each(cases)('refuses %s with a 400 naming the field, storing nothing', async (_name, body, message) => {
    const res = await post(body());
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toMatch(message);
    expect(await api.total()).toBe(0);
    // The collector keeps serving.
    expect((await post(good())).status).toBe(202);
  });

  it('refuses a body that is not UTF-8, naming the field', async () => {
    const text = JSON.stringify([{ ...twoServiceTrace(TRACE128)[0], name: 'NAME' }]);
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('NAME');
    bytes[at] = 0xff;
    const res = await post(bytes);
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toBe('[0].name: not valid UTF-8');
    expect(await api.total()).toBe(0);
  });

  it('refuses a request over the span cap and a body over MAX_BODY_BYTES', async () => {
    await api.close();
    api = await startCollector({ maxBodyBytes: 4096, env: { MAX_OTLP_SPANS_PER_REQUEST: '3' } });
    const over = await post(twoServiceTrace(TRACE128));
    expect(over.status).toBe(400);
    expect((over.json as { error: string }).error).toMatch(/holds 4 spans, more than the limit of 3/);
    const big = await post([{ ...twoServiceTrace(TRACE128)[0], tags: { big: 'x'.repeat(5000) } }]);
    expect(big.status).toBe(413);
    expect(await api.total()).toBe(0);
  });

  it('cuts long names and tag values instead of refusing them', async () => {
    const res = await post([{ ...twoServiceTrace(TRACE128)[0], name: 'n'.repeat(300), tags: { sql: 's'.repeat(2000) } }]);
    expect(res.status).toBe(202);
    const [span] = await spansOf(TRACE128_UUID);
    expect((span!.operation as string).length).toBe(256);
    expect(((span!.tags as JsonObject).sql as string).length).toBe(1024);
  });

  it('reads a gzip body, as Brave and Sleuth send by default, and refuses a broken or inflating one', async () => {
    const gzip = (body: string | Buffer, extra: Record<string, string> = {}) =>
      api.request('POST', '/api/v2/spans', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...extra }, body: gzipSync(body) });
    expect((await gzip(JSON.stringify(twoServiceTrace(TRACE128)))).status).toBe(202);
    expect(await spansOf(TRACE128_UUID)).toHaveLength(4);
    await api.close();
    api = await startCollector({ maxBodyBytes: 4096 });
    const bomb = await gzip(JSON.stringify([{ ...twoServiceTrace(TRACE128)[0], tags: { big: 'x'.repeat(100_000) } }]));
    expect(bomb.status).toBe(413);
    const broken = await api.request('POST', '/api/v2/spans', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '[]' });
    expect(broken.status).toBe(400);
    expect((broken.json as { error: string }).error).toMatch(/not valid gzip/);
    const br = await api.request('POST', '/api/v2/spans', { headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: '[]' });
    expect(br.status).toBe(415);
    expect(await api.total()).toBe(0);
  });

  it('is refused under overload like POST /spans: 503 with Retry-After, nothing stored, queries still answered', async () => {
    await api.close();
    api = await startCollector({ heapShare: () => 0.99 });
    await api.collector.admission.sample();
    const refused = await post(twoServiceTrace(TRACE128));
    expect(refused.status).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((refused.json as { error: string }).error).toMatch(/heap/i);
    expect(await api.total()).toBe(0);
    expect((await api.get('/api/v2/services')).status).toBe(200);
  });

  it('answers 415 to a body neither JSON nor protobuf', async () => {
    const res = await post('[]', 'text/plain');
    expect(res.status).toBe(415);
    expect(await api.total()).toBe(0);
  });
});
