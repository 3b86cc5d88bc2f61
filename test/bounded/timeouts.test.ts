// Issue 14, item 7, scaled down through configuration, over real sockets: bodies and headers that
// never finish arriving are answered 408 and their connection closed (REQUEST_TIMEOUT_MS);
// partial bodies count against MAX_INFLIGHT_BODY_BYTES, past which ingest answers 503 naming it,
// and the bytes come back when those requests end; SIGTERM answers what is in flight, closes idle
// keep-alive connections cleanly and exits 0 within SHUTDOWN_GRACE_MS, slow client or not.

import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SHUTDOWN_GRACE_MS, loadConfig } from '../../src/config.js';
import { startCollectorProcess, stopCollectorProcess, waitForLog, type CollectorProcess } from '../ingest-log/collector-process.js';
import { spansBody, startCollector, waitFor, type Api } from '../support/http.js';
import { bodyOf, openRaw, statusOf, type RawConnection } from '../support/raw-connection.js';
import { nsAt, uuid } from '../support/spans.js';

let api: Api | undefined;
const raws: RawConnection[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.socket.destroy();
  await api?.close();
  api = undefined;
});

async function start(env: Record<string, string>, maxBodyBytes?: number): Promise<{ api: Api; port: number }> {
  api = await startCollector({ env, maxBodyBytes });
  return { api, port: Number(new URL(api.baseUrl).port) };
}

async function raw(port: number): Promise<RawConnection> {
  const connection = await openRaw(port);
  raws.push(connection);
  return connection;
}

function oneSpanBody(n: number, nowMs: number): string {
  return spansBody([{ trace_id: uuid(n, 0x7e), span_id: uuid(n, 0x7f), start_time: nsAt(nowMs - 1000) }]);
}

const postHead = (length: number | 'chunked') =>
  `POST /spans HTTP/1.1\r\nhost: collector\r\ncontent-type: application/json\r\n` +
  (length === 'chunked' ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${length}\r\n\r\n`);

describe('configuration', () => {
  it('has documented defaults, derives the in-flight budget from memory, and refuses bad values naming them', () => {
    const config = loadConfig({}, 8 * 2 ** 30);
    expect(config.requestTimeoutMs).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(config.shutdownGraceMs).toBe(DEFAULT_SHUTDOWN_GRACE_MS);
    expect(DEFAULT_SHUTDOWN_GRACE_MS).toBe(10_000);
    expect(config.maxInflightBodyBytes).toBe(512 * 2 ** 20); // a sixteenth of 8 GiB
    expect(loadConfig({}, 64 * 2 ** 30).maxInflightBodyBytes).toBe(2 ** 30); // at most 1 GiB
    expect(loadConfig({}, 64 * 2 ** 20).maxInflightBodyBytes).toBe(16 * 2 ** 20); // one largest body
    for (const bad of ['abc', '-1', '50', '1.5', '600001']) {
      expect(() => loadConfig({ REQUEST_TIMEOUT_MS: bad })).toThrow(/REQUEST_TIMEOUT_MS/);
    }
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: 'soon' })).toThrow(/SHUTDOWN_GRACE_MS/);
    expect(() => loadConfig({ MAX_INFLIGHT_BODY_BYTES: '1GB' })).toThrow(/MAX_INFLIGHT_BODY_BYTES/);
    expect(() => loadConfig({ MAX_BODY_BYTES: '65536', MAX_INFLIGHT_BODY_BYTES: '65535' })).toThrow(ConfigError);
    expect(() => loadConfig({ MAX_BODY_BYTES: '65536', MAX_INFLIGHT_BODY_BYTES: '65535' })).toThrow(/at least MAX_BODY_BYTES/);
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '500', SHUTDOWN_GRACE_MS: '0' })).toMatchObject({ requestTimeoutMs: 500, shutdownGraceMs: 0 });
  });
});

describe('REQUEST_TIMEOUT_MS', () => {
  it('answers 408 to a body sent a byte at a time, closes the connection, and stores nothing', async () => {
    const { api, port } = await start({ REQUEST_TIMEOUT_MS: '500' });
    const body = oneSpanBody(1, api.clock.nowMs());
    const slow = await raw(port);
    await slow.write(postHead(body.length));
    // At 50 ms a byte the body would take over 10 s; the answer must come long before.
    const trickled = slow.trickle(body, 50);
    const text = await slow.waitFor(/\r\n\r\n\{.*\}/s, 8000);
    expect(statusOf(text)).toBe(408);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(bodyOf(text)).error).toMatch(/REQUEST_TIMEOUT_MS/);
    expect((await slow.closed).error).toBeUndefined();
    await trickled;
    expect(await api.total()).toBe(0);
    expect((await api.get('/health')).status).toBe(200);
  });

  it('answers 408 to headers sent a line at a time, and closes the connection', async () => {
    const { port } = await start({ REQUEST_TIMEOUT_MS: '500' });
    const slow = await raw(port);
    await slow.write('GET /health HTTP/1.1\r\nhost: collector\r\n');
    let stop = false;
    const dripping = (async () => {
      for (let i = 0; !stop && i < 200; i++) {
        await slow.write(`x-drip-${i}: ${i}\r\n`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const text = await slow.waitFor(/\r\n\r\n\{.*\}/s, 8000);
    stop = true;
    expect(statusOf(text)).toBe(408);
    await slow.closed;
    await dripping;
  });

  it('answers a request that arrives in pieces within the timeout as usual', async () => {
    const { api, port } = await start({ REQUEST_TIMEOUT_MS: '3000' });
    const body = oneSpanBody(2, api.clock.nowMs());
    const client = await raw(port);
    await client.write(postHead(body.length));
    const third = Math.ceil(body.length / 3);
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await client.write(body.slice(i * third, (i + 1) * third));
    }
    const text = await client.waitFor(/\r\n\r\n\{.*\}/s, 8000);
    expect(statusOf(text)).toBe(202);
    expect(await api.total()).toBe(1);
  });
});

describe('MAX_INFLIGHT_BODY_BYTES', () => {
  const MAX_BODY = 65_536;
  const BUDGET = 150_000;
  const PARTIAL = 60_000;

  async function inflight(): Promise<number | undefined> {
    return api!.metric('traced_inflight_body_bytes');
  }

  /** A POST /spans that announces `PARTIAL` bytes and sends only a few. */
  async function partialBody(port: number): Promise<RawConnection> {
    const connection = await raw(port);
    await connection.write(postHead(PARTIAL) + '{"spans":[');
    return connection;
  }

  it('refuses a body that would take partial bodies past the budget with 503 naming it, before reading it, and frees the bytes when they end', async () => {
    const { api, port } = await start({ MAX_BODY_BYTES: String(MAX_BODY), MAX_INFLIGHT_BODY_BYTES: String(BUDGET), REQUEST_TIMEOUT_MS: '1500' }, MAX_BODY);
    const aborted = await partialBody(port);
    const timedOut = await partialBody(port);
    await waitFor('two partial bodies held', async () => (await inflight()) === 2 * PARTIAL);

    // Announced, not sent: the refusal comes before the body.
    const third = await raw(port);
    await third.write(postHead(PARTIAL));
    const text = await third.waitFor(/\r\n\r\n\{.*\}/s, 5000);
    expect(statusOf(text)).toBe(503);
    expect(text).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(JSON.parse(bodyOf(text)).error).toMatch(/MAX_INFLIGHT_BODY_BYTES=150000/);
    expect(await api.metric('traced_batches_rejected_total', { reason: 'inflight_bytes' })).toBe(1);
    // Small bodies still fit beside them, and queries are never refused.
    expect((await api.postRaw(oneSpanBody(3, api.clock.nowMs()))).status).toBe(202);
    expect((await api.get('/health')).status).toBe(200);

    // One client gives up, the other is cut at REQUEST_TIMEOUT_MS: both give their bytes back.
    aborted.socket.destroy();
    await waitFor('the aborted body released', async () => (await inflight())! <= PARTIAL);
    expect(statusOf(await timedOut.waitFor(/\r\n\r\n\{.*\}/s, 8000))).toBe(408);
    await waitFor('the timed-out body released', async () => (await inflight()) === 0);

    // A body that could not have fitted beside the two partial ones fits again.
    const big = spansBody(
      Array.from({ length: 60 }, (_, i) => ({ trace_id: uuid(100 + i, 0x7e), span_id: uuid(100 + i, 0x7f), start_time: nsAt(api.clock.nowMs() - 1000), tags: { pad: 'p'.repeat(400) } })),
    );
    expect(big.length).toBeGreaterThan(BUDGET - 2 * PARTIAL);
    expect(big.length).toBeLessThan(MAX_BODY);
    expect((await api.postRaw(big)).status).toBe(202);
    expect(await inflight()).toBe(0);
  });

  it('counts a chunked body as it arrives, refusing it with 503 and closing its connection once it no longer fits', async () => {
    const { api, port } = await start({ MAX_BODY_BYTES: String(MAX_BODY), MAX_INFLIGHT_BODY_BYTES: String(BUDGET) }, MAX_BODY);
    await partialBody(port);
    await partialBody(port);
    await waitFor('two partial bodies held', async () => (await inflight()) === 2 * PARTIAL);
    const chunked = await raw(port);
    await chunked.write(postHead('chunked'));
    const chunk = '{"spans":[' + ' '.repeat(40_000 - 10);
    await chunked.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const text = await chunked.waitFor(/\r\n\r\n\{.*\}/s, 5000);
    expect(statusOf(text)).toBe(503);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(bodyOf(text)).error).toMatch(/MAX_INFLIGHT_BODY_BYTES/);
    expect((await chunked.closed).error).toBeUndefined();
    expect(await inflight()).toBe(2 * PARTIAL);
    expect(await api.metric('traced_batches_rejected_total', { reason: 'inflight_bytes' })).toBe(1);
  });

  it('gives back every byte once requests are answered, whatever the answer', async () => {
    const { api } = await start({ MAX_BODY_BYTES: String(MAX_BODY), MAX_INFLIGHT_BODY_BYTES: String(BUDGET) }, MAX_BODY);
    for (let i = 0; i < 20; i++) expect((await api.postRaw(oneSpanBody(10 + i, api.clock.nowMs()))).status).toBe(202);
    expect((await api.postRaw('{"spans":[{"trace_id":"nope"}]}')).status).toBe(400);
    expect((await api.postRaw('not json', 'text/plain')).status).toBe(415);
    expect((await api.postRaw('x'.repeat(MAX_BODY + 1))).status).toBe(413);
    expect((await api.request('POST', '/logs', { headers: { 'content-type': 'application/json' }, body: '{"logs":[]}' })).status).toBeLessThan(500);
    await waitFor('no body bytes held', async () => (await inflight()) === 0);
  });
});

// ---------------------------------------------------------------------------------------------
// SIGTERM, on the real process

const children: CollectorProcess[] = [];
afterEach(async () => {
  for (const proc of children.splice(0)) await stopCollectorProcess(proc, 'SIGKILL');
});

function startMain(env: Record<string, string>): CollectorProcess {
  // Not about durability: in memory, so no test shares (or locks) a DATA_DIR.
  const proc = startCollectorProcess({ PORT: '0', STORAGE: 'memory', ...env });
  children.push(proc);
  return proc;
}

/** The HTTP port of a collector started on PORT=0, from the line it logs on listening. */
async function portOf(proc: CollectorProcess): Promise<number> {
  await waitForLog(proc, 'traced-collector ready', 30_000);
  const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/i.exec(proc.output());
  if (m === null) throw new Error(`no address: ${proc.output()}`);
  return Number(m[1]);
}

describe('SIGTERM', () => {
  it('answers the request in flight, closes an idle keep-alive connection cleanly, cuts a slow client at the grace period and exits 0', async () => {
    const GRACE_MS = 1500;
    // The request timeout is longer than the grace period, so only the shutdown can end the slow client.
    const proc = startMain({ SHUTDOWN_GRACE_MS: String(GRACE_MS), REQUEST_TIMEOUT_MS: '60000' });
    const port = await portOf(proc);

    const idle = await raw(port);
    await idle.write('GET /health HTTP/1.1\r\nhost: collector\r\n\r\n');
    expect(statusOf(await idle.waitFor(/\{"status":"ok"\}/, 10_000))).toBe(200);

    const slow = await raw(port);
    const slowBody = oneSpanBody(1, Date.now());
    await slow.write(postHead(slowBody.length));
    const slowTrickle = slow.trickle(slowBody, 100);
    const slowClosedAt = slow.closed.then(() => Date.now());

    // In flight at the signal: headers and half the body have arrived.
    const body = oneSpanBody(2, Date.now());
    const inFlight = await raw(port);
    await inFlight.write(postHead(body.length) + body.slice(0, body.length >> 1));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const signalledAt = Date.now();
    expect(proc.child.kill('SIGTERM')).toBe(true);

    // The idle connection is closed, with a FIN, not a reset.
    expect((await idle.closed).error).toBeUndefined();
    await inFlight.write(body.slice(body.length >> 1));
    const answer = await inFlight.waitFor(/\r\n\r\n\{.*\}/s, 10_000);
    expect(statusOf(answer)).toBe(202);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect((await inFlight.closed).error).toBeUndefined();

    // No new connection is accepted.
    await waitFor('the listener closed', () => openRaw(port).then((c) => (c.socket.destroy(), false), () => true), 5000);

    const code = await Promise.race([proc.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), GRACE_MS + 10_000))]);
    expect(code, proc.output()).toBe(0);
    // The slow client was still sending when the grace period ended, and only then cut.
    expect((await slowClosedAt) - signalledAt).toBeGreaterThanOrEqual(GRACE_MS);
    expect(statusOf(slow.received())).toBeUndefined();
    await slowTrickle;
    expect(proc.output()).toMatch(/grace period over/);
  });
});
