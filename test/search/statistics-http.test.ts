// GET /services, /services/{service}/operations, /stats and /dependencies over HTTP: exact counts,
// percentiles within the stated error of the exact ones, exact int64 range bounds, and the 4xx.

import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_NOW_MS, startCollector, type Api, type JsonObject, type WireSpanInput } from '../support/http.js';
import { uuid } from '../support/spans.js';

const NOW_NS = BigInt(DEFAULT_NOW_MS) * 1_000_000n;
const MS = 1_000_000n;
const NOW_MINUTE = BigInt(Math.floor(DEFAULT_NOW_MS / 60_000));
const minuteNs = (m: bigint): string => (m * 60_000_000_000n).toString();

let api: Api;
afterEach(async () => {
  await api?.close();
});

interface Sent {
  service: string;
  operation: string;
  durationNs: bigint;
  error: boolean;
}

/** Emitter-like traffic with known durations: traces of a root and two children. */
function traffic(traces: number): { spans: WireSpanInput[]; sent: Sent[] } {
  const spans: WireSpanInput[] = [];
  const sent: Sent[] = [];
  const kinds = [
    ['checkout', 'place_order'],
    ['payment', 'charge_card'],
    ['payment', 'refund'],
    ['inventory', 'reserve_stock'],
  ] as const;
  for (let n = 0; n < traces; n++) {
    const start = NOW_NS - BigInt(1 + (n % 600)) * 1000n * MS;
    const trace = uuid(n, 0x57a7);
    for (let k = 0; k < 3; k++) {
      const [service, operation] = k === 0 ? kinds[0] : kinds[1 + ((n + k) % 3)]!;
      // Durations spread over three orders of magnitude, deterministic.
      const durationNs = BigInt(Math.floor(1e6 * Math.exp(((n * 7 + k * 13) % 100) / 14)));
      const error = (n + k) % 17 === 0;
      spans.push({
        trace_id: trace,
        span_id: uuid(n * 3 + k, 0x57a8),
        parent_span_id: k === 0 ? undefined : uuid(n * 3, 0x57a8),
        service,
        operation,
        start_time: (start + BigInt(k) * MS).toString(),
        end_time: (start + BigInt(k) * MS + durationNs).toString(),
        status: error ? 'error' : 'ok',
      });
      sent.push({ service, operation, durationNs, error });
    }
  }
  return { spans, sent };
}

async function post(spans: WireSpanInput[]): Promise<void> {
  for (let i = 0; i < spans.length; i += 500) {
    const res = await api.postSpans(spans.slice(i, i + 500));
    expect(res.status, res.text).toBe(202);
  }
}

function exactQuantileMs(durations: bigint[], q: number): number {
  const sorted = [...durations].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Number(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!) / 1e6;
}

function expectWithin(actual: unknown, exact: number, label: string): void {
  expect(typeof actual, label).toBe('number');
  expect(Math.abs((actual as number) - exact), `${label}: ${actual} vs exact ${exact}`).toBeLessThanOrEqual(0.01 * exact * (1 + 1e-9));
}

describe('RED statistics over HTTP', () => {
  it('GET /services lists every service with exact counts and percentiles within 1%', async () => {
    api = await startCollector();
    const { spans, sent } = traffic(1200);
    await post(spans);
    const res = await api.get('/services');
    expect(res.status).toBe(200);
    const rows = (res.json as { services: JsonObject[] }).services;
    expect(rows.map((r) => r.service)).toEqual(['checkout', 'inventory', 'payment']);
    for (const row of rows) {
      const mine = sent.filter((s) => s.service === row.service);
      expect(row.span_count).toBe(mine.length);
      expect(row.error_count).toBe(mine.filter((s) => s.error).length);
      expect(row.error_rate).toBeCloseTo(mine.filter((s) => s.error).length / mine.length, 12);
      for (const [field, q] of [['p50_ms', 0.5], ['p95_ms', 0.95], ['p99_ms', 0.99]] as const) {
        expectWithin(row[field], exactQuantileMs(mine.map((s) => s.durationNs), q), `${String(row.service)} ${field}`);
      }
    }
  });

  it('GET /services/{service}/operations lists the operations of one service, and 404s for an unknown one', async () => {
    api = await startCollector();
    const { spans, sent } = traffic(300);
    await post(spans);
    const res = await api.get('/services/payment/operations');
    expect(res.status).toBe(200);
    const body = res.json as { service: string; operations: JsonObject[] };
    expect(body.service).toBe('payment');
    expect(body.operations.map((o) => [o.operation, o.span_count])).toEqual([
      ['charge_card', sent.filter((s) => s.operation === 'charge_card').length],
      ['refund', sent.filter((s) => s.operation === 'refund').length],
    ]);
    const missing = await api.get('/services/nobody/operations');
    expect(missing.status).toBe(404);
    expect((missing.json as { error: string }).error).toMatch(/nobody/);
  });

  it('GET /stats gives RED metrics for a service, operation and range, with the exact range used', async () => {
    api = await startCollector();
    const { spans, sent } = traffic(1200);
    await post(spans);
    const res = await api.get('/stats?service=payment&operation=charge_card');
    expect(res.status).toBe(200);
    const stats = res.json as JsonObject;
    const mine = sent.filter((s) => s.operation === 'charge_card');
    expect(stats.request_count).toBe(mine.length);
    expect(stats.error_count).toBe(mine.filter((s) => s.error).length);
    expect(stats.relative_error).toBe(0.01);
    expect(stats.max_ms).toBe(Number(mine.reduce((m, s) => (s.durationNs > m ? s.durationNs : m), 0n)) / 1e6);
    for (const [field, q] of [['p50_ms', 0.5], ['p90_ms', 0.9], ['p95_ms', 0.95], ['p99_ms', 0.99]] as const) {
      expectWithin(stats[field], exactQuantileMs(mine.map((s) => s.durationNs), q), field);
    }
    // The default range: whole minutes inside the 30-minute window, through the future limit.
    expect(stats.after).toBe(minuteNs(NOW_MINUTE - 30n));
    expect(stats.before).toBe(minuteNs(NOW_MINUTE + 6n));
    expect(stats.request_rate_per_sec).toBeCloseTo(mine.length / (30 * 60), 9);

    // A range aligned outward to whole minutes: the last two minutes before now.
    const after = (NOW_NS - 120_000n * MS + 1n).toString();
    const ranged = (await api.get(`/stats?after=${after}&before=${NOW_NS - 1n}`)).json as JsonObject;
    expect([ranged.after, ranged.before]).toEqual([minuteNs(NOW_MINUTE - 2n), minuteNs(NOW_MINUTE)]);
    // Roots start 1..600 s before now, children 1–2 ms later: minutes -2 and -1 hold 120 s of them.
    expect(ranged.request_count).toBe(3 * 1200 * (120 / 600));
  });

  it('GET /stats refuses bad ranges, naming the parameter', async () => {
    api = await startCollector();
    for (const [query, name] of [
      ['after=-1', /after/],
      ['before=1.5', /before/],
      ['after=10&before=10', /after/],
    ] as const) {
      const res = await api.get(`/stats?${query}`);
      expect(res.status, query).toBe(400);
      expect((res.json as { error: string }).error).toMatch(name);
    }
    const empty = (await api.get('/stats?service=nobody')).json as JsonObject;
    expect(empty).toMatchObject({ request_count: 0, error_rate: 0, p99_ms: 0, max_ms: 0 });
  });

  it('GET /dependencies gives the service graph, sorted by parent then child', async () => {
    api = await startCollector();
    const { spans, sent } = traffic(600);
    await post(spans);
    const res = await api.get('/dependencies');
    expect(res.status).toBe(200);
    const edges = (res.json as { edges: JsonObject[] }).edges;
    // Every child is called by checkout (the root).
    const calls = (service: string) => sent.filter((s, i) => i % 3 !== 0 && s.service === service);
    expect(edges.map((e) => [e.parent, e.child, e.call_count, e.error_count])).toEqual([
      ['checkout', 'inventory', calls('inventory').length, calls('inventory').filter((s) => s.error).length],
      ['checkout', 'payment', calls('payment').length, calls('payment').filter((s) => s.error).length],
    ]);
    expectWithin(edges[1]!.p95_ms, exactQuantileMs(calls('payment').map((s) => s.durationNs), 0.95), 'p95_ms');
    const old = (await api.get(`/dependencies?before=${minuteNs(NOW_MINUTE - 40n)}`)).json as { edges: unknown[] };
    expect(old.edges).toEqual([]);
  });
});
