// Admission control over real HTTP: 503 + Retry-After at the memory budget, the heap limit, and
// under queueing delay, decided before the body is read; queries are never refused; nothing a
// refusal touches is stored.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_NOW_MS, startCollector, type Api } from '../support/http.js';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const port = (a: Api) => Number(new URL(a.baseUrl).port);

/** A body of `traces` traces with `spansPerTrace` spans each, ids unique to (batch, trace, span). */
function batch(batchNo: number, traces: number, spansPerTrace: number, atMs = DEFAULT_NOW_MS - 1000): { body: string; traceIds: string[] } {
  const spans: string[] = [];
  const traceIds: string[] = [];
  for (let t = 0; t < traces; t++) {
    const tid = `${batchNo.toString(16).padStart(8, '0')}-0000-4000-8000-${t.toString(16).padStart(12, '0')}`;
    traceIds.push(tid);
    for (let s = 0; s < spansPerTrace; s++) {
      const start = BigInt(atMs) * 1_000_000n + BigInt(s);
      const parent = s === 0 ? '' : `,"parent_span_id":"${batchNo.toString(16).padStart(8, '0')}-0000-4000-9000-${(t * 1000).toString(16).padStart(12, '0')}"`;
      spans.push(
        `{"trace_id":"${tid}","span_id":"${batchNo.toString(16).padStart(8, '0')}-0000-4000-9000-${(t * 1000 + s).toString(16).padStart(12, '0')}"${parent},"service":"svc","operation":"op","start_time":${start},"end_time":${start + 1000n},"status":"ok"}`,
      );
    }
  }
  return { body: `{"spans":[${spans.join(',')}]}`, traceIds };
}

/** Sends raw bytes on a new connection and resolves with the first response's status line and text. */
function rawExchange(p: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: p });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (/\r\n\r\n/.test(text)) {
        const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
        if (text.length >= text.indexOf('\r\n\r\n') + 4 + length) {
          socket.destroy();
          resolve(text);
        }
      }
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe('admission control', () => {
  it('refuses ingest at MAX_SPANS with 503 and Retry-After, keeps queries up, and resumes after eviction', async () => {
    api = await startCollector({ windowMinutes: 5, env: { MAX_SPANS: '10' } });
    expect((await api.postRaw(batch(1, 1, 10).body)).status).toBe(202);
    const refused = await api.postRaw(batch(2, 1, 1).body);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.text).toMatch(/MAX_SPANS=10/);
    expect(await api.total()).toBe(1);
    expect(await api.metric('traced_batches_rejected_total', { reason: 'memory' })).toBe(1);
    expect(await api.metric('traced_store_max_spans')).toBe(10);

    api.clock.advance(7 * 60_000);
    await api.collector.eviction.tick();
    await api.collector.admission.sample();
    expect((await api.postRaw(batch(3, 1, 1, api.clock.nowMs()).body)).status).toBe(202);
  });

  it('refuses ingest when the JavaScript heap is nearly full', async () => {
    let share = 0.9;
    api = await startCollector({ heapShare: () => share });
    await api.collector.admission.sample();
    const refused = await api.postRaw(batch(1, 1, 1).body);
    expect(refused.status).toBe(503);
    expect(refused.text).toMatch(/heap/);
    share = 0.5;
    await api.collector.admission.sample();
    expect((await api.postRaw(batch(1, 1, 1).body)).status).toBe(202);
  });

  it('refuses before reading the body: the answer comes with the body still unsent, and an unparsable one gets 503, not 400', async () => {
    api = await startCollector({ env: { MAX_SPANS: '1' } });
    expect((await api.postRaw(batch(1, 1, 2).body)).status).toBe(202);
    await api.collector.admission.sample();
    // Headers announce 1 MB; not a byte of it is sent, yet the answer arrives.
    const answer = await rawExchange(port(api), 'POST /spans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 503/);
    expect(answer).toMatch(/retry-after: \d+/i);
    expect((await api.postRaw('{"spans": [ this is not json')).status).toBe(503);
  });

  it('answers refusals with the CORS headers a browser needs to read them', async () => {
    api = await startCollector({ env: { MAX_SPANS: '1' } });
    expect((await api.postRaw(batch(1, 1, 2).body)).status).toBe(202);
    await api.collector.admission.sample();
    const refused = await api.request('POST', '/spans', { headers: { 'content-type': 'application/json', origin: 'http://dash.example' }, body: batch(2, 1, 1).body });
    expect(refused.status).toBe(503);
    expect(refused.headers['access-control-allow-origin']).toBe('*');
    expect(String(refused.headers['access-control-expose-headers'])).toMatch(/retry-after/);
  });

  it('sheds under queueing delay, and every batch it accepted is stored whole while no refused one is', async () => {
    // A 1 ms target: 32 clients posting 200-span batches back to back queue far longer than that.
    api = await startCollector({ env: { INGEST_DELAY_TARGET_MS: '1' } });
    const accepted: string[][] = [];
    const refusedIds: string[] = [];
    let refusals = 0;
    let retryAfter = '';
    await Promise.all(
      Array.from({ length: 32 }, async (_, client) => {
        for (let i = 0; i < 15; i++) {
          const b = batch(client * 100 + i + 1, 20, 10);
          const res = await api!.postRaw(b.body);
          if (res.status === 202) accepted.push(b.traceIds);
          else {
            expect(res.status).toBe(503);
            expect(res.text).toMatch(/overloaded/);
            retryAfter = String(res.headers['retry-after']);
            refusals++;
            refusedIds.push(...b.traceIds);
          }
        }
      }),
    );
    expect(refusals).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    expect(retryAfter).toBe('1');
    expect(await api.total()).toBe(accepted.length * 20);
    for (const ids of accepted.slice(0, 40)) {
      const trace = await api.get(`/traces/${ids[7]}`);
      expect(trace.status).toBe(200);
      expect((trace.json as { spans: unknown[] }).spans).toHaveLength(10);
    }
    for (const id of refusedIds.slice(0, 40)) expect((await api.get(`/traces/${id}`)).status).toBe(404);
    const metrics = await api.metricsText();
    const count = (reason: string) => Number(new RegExp(`traced_batches_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(count('queue_delay') + count('queue_timeout')).toBe(refusals);
    expect(metrics).toMatch(/^traced_ingest_shed_ratio \S+$/m);
    expect(metrics).toMatch(/^traced_ingest_queue_delay_seconds \S+$/m);
    // Queries are never shed, overloaded or not.
    expect((await api.get('/traces?limit=10')).status).toBe(200);
  });
});
