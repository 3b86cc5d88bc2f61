import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, TracedClient, isRetryableStatus, retryDelayMs } from './client.js';

describe('retryDelayMs', () => {
  const now = Date.parse('2024-04-19T00:00:00Z');

  it('honours Retry-After in seconds, clamped to 10 s', () => {
    expect(retryDelayMs(1, '2', now, 0.5)).toBe(2000);
    expect(retryDelayMs(1, '0', now, 0.5)).toBe(0);
    expect(retryDelayMs(1, '3600', now, 0.5)).toBe(10_000);
  });

  it('honours Retry-After as an HTTP date', () => {
    expect(retryDelayMs(1, new Date(now + 3000).toUTCString(), now, 0.5)).toBe(3000);
    expect(retryDelayMs(1, new Date(now - 3000).toUTCString(), now, 0.5)).toBe(0);
  });

  it('otherwise backs off exponentially with full jitter, capped', () => {
    expect(retryDelayMs(1, undefined, now, 1)).toBe(100);
    expect(retryDelayMs(3, undefined, now, 1)).toBe(400);
    expect(retryDelayMs(3, undefined, now, 0.5)).toBe(200);
    expect(retryDelayMs(20, undefined, now, 1)).toBe(5000);
    expect(retryDelayMs(2, 'soon', now, 1)).toBe(200); // unparseable header: ignore it
  });

  it('retries only 429 and 503', () => {
    expect([400, 404, 413, 429, 500, 502, 503].filter(isRetryableStatus)).toEqual([429, 503]);
  });
});

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('TracedClient against a local server', () => {
  let server: Server | undefined;
  let client: TracedClient | undefined;

  afterEach(async () => {
    await client?.close();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
    client = undefined;
  });

  async function serve(handler: Handler, prefix = ''): Promise<TracedClient> {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => handler(req, body, res));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new TracedClient(new URL(`http://127.0.0.1:${port}${prefix}`), 2, () => 0);
    return client;
  }

  function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  }

  it('posts the body verbatim as JSON and reads accepted/discarded', async () => {
    const seen: Array<{ method?: string; url?: string; type?: string; body: string }> = [];
    const c = await serve((req, body, res) => {
      seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      reply(res, 202, '{"status":"ok","accepted":3,"discarded":1}');
    }, '/api');
    const body = '{"spans":[{"start_time":1713484800000000123}]}';
    const out = await c.postSpans(body);
    expect(out).toMatchObject({ state: 'delivered', status: 202, attempts: 1, non202: [], accepted: 3, discarded: 1 });
    expect(seen).toEqual([{ method: 'POST', url: '/api/spans', type: 'application/json', body }]);
  });

  it('retries 429 and 503 until accepted, counting each non-202', async () => {
    const answers = [429, 503, 429, 202];
    const c = await serve((_req, _body, res) => reply(res, answers.shift()!, '{"status":"ok"}', { 'retry-after': '0' }));
    const out = await c.postSpans('{"spans":[]}');
    expect(out).toMatchObject({ state: 'delivered', status: 202, attempts: 4, non202: [429, 503, 429], accepted: undefined });
  });

  it('gives up after MAX_ATTEMPTS and calls the batch refused', async () => {
    let hits = 0;
    const c = await serve((_req, _body, res) => {
      hits += 1;
      reply(res, 429, '{"error":"slow down"}');
    });
    const out = await c.postSpans('{}');
    expect(hits).toBe(MAX_ATTEMPTS);
    expect(out).toMatchObject({ state: 'rejected', status: 429, attempts: MAX_ATTEMPTS });
  });

  it('does not retry a 400 (refused) or a 500 (uncertain)', async () => {
    const answers = [400, 500];
    let hits = 0;
    const c = await serve((_req, _body, res) => {
      hits += 1;
      reply(res, answers.shift()!, '{"error":"x"}');
    });
    expect(await c.postSpans('{}')).toMatchObject({ state: 'rejected', status: 400, attempts: 1, non202: [400] });
    expect(await c.postSpans('{}')).toMatchObject({ state: 'uncertain', status: 500, attempts: 1, non202: [500] });
    expect(hits).toBe(2);
  });

  it('counts a 200 as delivered but not as a 202', async () => {
    const c = await serve((_req, _body, res) => reply(res, 200, ''));
    expect(await c.postSpans('{}')).toMatchObject({ state: 'delivered', status: 200, non202: [200] });
  });

  it('calls a refused connection "rejected": nothing reached the server', async () => {
    const c = await serve(() => undefined);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const out = await c.postSpans('{}');
    expect(out.state).toBe('rejected');
    expect(out.networkErrors).toBe(MAX_ATTEMPTS);
  });

  it('calls a connection dropped mid-request "uncertain" and does not resend', async () => {
    let hits = 0;
    const c = await serve((req) => {
      hits += 1;
      req.socket.destroy();
    });
    const out = await c.postSpans('{}');
    expect(out.state).toBe('uncertain');
    expect(hits).toBe(1);
  });

  it('GETs with a lossless parse and retries 503', async () => {
    const answers = [503, 200];
    const c = await serve((req, _body, res) => reply(res, answers.shift()!, `{"url":"${req.url}","start_time":1713484800000000123}`));
    const out = await c.get('/traces?limit=0');
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ url: '/traces?limit=0', start_time: 1_713_484_800_000_000_123n });
  });
});
