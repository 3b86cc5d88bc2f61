// Per-request metrics and logs: traced_http_request_duration_seconds is exposed exactly as
// prom-client's Histogram would expose it, counts every request by route and status, and each
// request gets a debug log line (and a 5xx an error line).
import { Writable } from 'node:stream';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { RequestDurationHistogram } from '../../src/http/request-duration-histogram.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { metricValue, startCollector } from '../support/http.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

describe('request duration histogram', () => {
  it("writes the same exposition as prom-client's Histogram for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new RequestDurationHistogram('x_seconds', 'help text', BUCKETS, ours);
    const reference = new Histogram({ name: 'x_seconds', help: 'help text', labelNames: ['method', 'route', 'status_code'], buckets: BUCKETS, registers: [theirs] });
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const routes = ['/spans', '/traces', '/traces/:trace_id', 'unmatched'];
    for (let i = 0; i < 5000; i++) {
      const method = random() < 0.7 ? 'POST' : 'GET';
      const route = routes[Math.floor(random() * routes.length)]!;
      const status = [200, 202, 400, 404, 503][Math.floor(random() * 5)]!;
      // Exact bounds too: a bucket's bound counts as inside it.
      const seconds = random() < 0.1 ? BUCKETS[Math.floor(random() * BUCKETS.length)]! : random() ** 3 * 2;
      fast.observe(method, route, status, seconds);
      reference.observe({ method, route, status_code: status }, seconds);
    }
    const sortLines = (text: string) => text.split('\n').sort().join('\n');
    expect(sortLines(await ours.metrics())).toBe(sortLines(await theirs.metrics()));
    expect(await ours.metrics()).toContain('x_seconds_bucket{le="+Inf",method="POST",route="/spans",status_code="202"}');
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('x_seconds_count');
  });

  it('counts each request by method, route and status code', async () => {
    const api = await startCollector();
    try {
      const start = BigInt(api.clock.nowMs()) * 1_000_000n;
      const span = `{"trace_id":"${'1'.repeat(8)}-0000-4000-8000-000000000001","span_id":"${'1'.repeat(8)}-0000-4000-8000-000000000002","service":"a","operation":"b","start_time":${start},"end_time":${start + 5n},"status":"ok"}`;
      expect((await api.postRaw(`{"spans":[${span}]}`)).status).toBe(202);
      expect((await api.postRaw('not json')).status).toBe(400);
      await api.get('/traces?limit=1');
      await api.get('/no/such/route');
      const text = await api.metricsText();
      const count = (method: string, route: string, status: string) =>
        metricValue(text, 'traced_http_request_duration_seconds_count', { method, route, status_code: status });
      expect(count('POST', '/spans', '202')).toBe(1);
      expect(count('POST', '/spans', '400')).toBe(1);
      expect(count('GET', '/traces', '200')).toBe(1);
      expect(count('GET', 'unmatched', '404')).toBe(1);
    } finally {
      await api.close();
    }
  });
});

describe('request logs', () => {
  it('has a debug line per request at LOG_LEVEL=debug, and none at info', async () => {
    for (const level of ['debug', 'info'] as const) {
      const lines: Array<Record<string, unknown>> = [];
      const stream = new Writable({
        write(chunk, _encoding, callback) {
          for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
          callback();
        },
      });
      const config = { ...loadConfig({ LOG_LEVEL: level, INGEST_DELAY_TARGET_MS: '0' }), port: 0, host: '127.0.0.1' };
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const { app } = await buildApp({ config, store: new BucketStore({ clock, windowMinutes: 30 }), clock, logger: { level, stream } });
      try {
        const res = await app.inject({ method: 'GET', url: '/health' });
        expect(res.statusCode).toBe(200);
        const requestLines = lines.filter((l) => l.msg === 'request');
        if (level === 'debug') expect(requestLines).toEqual([expect.objectContaining({ method: 'GET', url: '/health', statusCode: 200 })]);
        else expect(requestLines).toEqual([]);
      } finally {
        await app.close();
      }
    }
  });
});
