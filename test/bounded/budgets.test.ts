// The reproductions of issue 14 that fill memory, scaled down through configuration: a flood of
// distinct names, spans heavy with tag text, and logs. Each keeps the process and /health up,
// answers with the budget that is full, leaves the other kinds of memory alone, and lets ingest
// resume once the window has passed.
import { afterEach, describe, expect, it } from 'vitest';
import { OVERFLOW_NAME } from '../../src/store/buckets/endpoint-table.js';
import { startCollector, type Api } from '../support/http.js';
import { uuid } from '../support/spans.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 30);
let api: Api;
afterEach(() => api?.close());

const nowNs = () => BigInt(api.clock.nowMs()) * 1_000_000n;

async function passWindow(): Promise<void> {
  api.clock.advance((api.config.windowMinutes + 2) * 60_000);
  await api.collector.eviction.tick();
  await api.collector.admission.sample();
}

async function healthy(): Promise<void> {
  expect((await api.get('/health')).status).toBe(200);
}

describe('a flood of distinct (service, operation) pairs', () => {
  it('is stored under the overflow name past MAX_ENDPOINTS, keeps /services bounded, and its names leave with the window', async () => {
    api = await startCollector({ nowMs: NOW, windowMinutes: 1, env: { MAX_ENDPOINTS: '50' } });
    let n = 0;
    for (let request = 0; request < 20; request++) {
      const spans = Array.from({ length: 100 }, () => {
        n++;
        return { trace_id: uuid(n, 0xa0), span_id: uuid(n, 0xa1), service: `svc-${n}`, operation: `op-${n}`, start_time: (nowNs() - BigInt(n)).toString() };
      });
      expect((await api.postSpans(spans)).status).toBe(202);
    }
    await healthy();
    expect(await api.total()).toBe(2000);
    const services = (await api.get('/services')).json as { services: Array<{ service: string }> };
    expect(services.services.length).toBe(51);
    expect(services.services.map((s) => s.service)).toContain(OVERFLOW_NAME);
    expect(await api.metric('traced_store_endpoints')).toBe(51);
    expect(await api.metric('traced_spans_overflowed_total')).toBe(1950);

    await passWindow();
    expect(await api.metric('traced_store_endpoints')).toBe(0);
    const fresh = [{ trace_id: uuid(9999, 0xa0), span_id: uuid(9999, 0xa1), service: 'fresh', operation: 'op', start_time: nowNs().toString() }];
    expect((await api.postSpans(fresh)).status).toBe(202);
    const after = (await api.get('/services')).json as { services: Array<{ service: string }> };
    expect(after.services.map((s) => s.service)).toEqual(['fresh']);
  });
});

describe('spans heavy with tag text', () => {
  it('are refused at MAX_SPAN_BYTES with a 503 naming it, and taken again once the window has passed', async () => {
    api = await startCollector({ nowMs: NOW, windowMinutes: 1, env: { MAX_SPAN_BYTES: String(8 * 1024 * 1024) } });
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key-${i}-${'k'.repeat(200)}`, 'v'.repeat(1000)]));
    let refused;
    let accepted = 0;
    for (let n = 0; n < 200 && refused === undefined; n++) {
      const res = await api.postSpans([{ trace_id: uuid(n, 0xb0), span_id: uuid(n, 0xb1), start_time: nowNs().toString(), tags }]);
      if (res.status === 202) accepted++;
      else refused = res;
      await api.collector.admission.sample();
    }
    expect(refused?.status).toBe(503);
    expect(refused?.text).toMatch(/MAX_SPAN_BYTES=8388608/);
    expect(accepted).toBeGreaterThan(5);
    await healthy();
    expect(await api.total()).toBe(accepted);

    await passWindow();
    expect((await api.postSpans([{ trace_id: uuid(500, 0xb0), span_id: uuid(500, 0xb1), start_time: nowNs().toString(), tags }])).status).toBe(202);
  });
});

describe('logs', () => {
  it('are refused at MAX_LOG_BYTES with a 503 naming it, while spans are still taken', async () => {
    api = await startCollector({ nowMs: NOW, windowMinutes: 1, env: { MAX_LOG_BYTES: String(1024 * 1024) } });
    const message = 'm'.repeat(8000);
    const logsBody = (n: number) =>
      `{"logs":[${Array.from({ length: 20 }, (_, i) => `{"time":${nowNs()},"trace_id":"${uuid(n * 20 + i, 0xc0)}","service":"svc","level":"info","message":"${message}"}`).join(',')}]}`;
    let refused;
    for (let n = 0; n < 100 && refused === undefined; n++) {
      const res = await api.request('POST', '/logs', { headers: { 'content-type': 'application/json' }, body: logsBody(n) });
      if (res.status !== 202) refused = res;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.text).toMatch(/MAX_LOG_BYTES=1048576/);
    const spans = await api.postSpans([{ trace_id: uuid(1, 0xc1), span_id: uuid(1, 0xc2), start_time: nowNs().toString() }]);
    expect(spans.status).toBe(202);
    await healthy();

    await passWindow();
    expect((await api.request('POST', '/logs', { headers: { 'content-type': 'application/json' }, body: logsBody(1000) })).status).toBe(202);
  });
});
