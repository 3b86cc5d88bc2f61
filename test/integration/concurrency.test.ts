// Concurrency over the real HTTP server: 64 clients, thousands of batches with roots and
// children deliberately split across requests, interleaved with queries, eviction ticks and a
// clock jump that ages part of the data out. Afterwards every trace is exactly what was sent.
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Collector } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { parseJsonLossless, spansBody } from '../support/http.js';

const W = 30;
const NOW = Date.UTC(2026, 10, 21, 9, 0, 10, 0);
const CLIENTS = 64;

interface SentSpan {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  service: string;
  operation: string;
  start: bigint;
  end: bigint;
  status: 'ok' | 'error';
}

/** The shared lossless parse, typed loosely for the field access below. */
const losslessJson = (text: string): any => parseJsonLossless(text);

function bodyOf(spans: SentSpan[]): string {
  return spansBody(spans.map(({ start, end, ...rest }) => ({ ...rest, start_time: String(start), end_time: String(end) })));
}

function makeTrace(rootStart: bigint, n: number): SentSpan[] {
  const traceId = randomUUID();
  const rootId = randomUUID();
  const spans: SentSpan[] = [
    { trace_id: traceId, span_id: rootId, service: 'checkout', operation: 'place_order', start: rootStart, end: rootStart + 400_000_000n + BigInt(n), status: 'ok' },
  ];
  const children = 1 + (n % 4);
  for (let c = 0; c < children; c++) {
    spans.push({
      trace_id: traceId,
      span_id: randomUUID(),
      parent_span_id: c === 0 ? rootId : spans[c]!.span_id,
      service: ['inventory', 'payment', 'shipping', 'notification'][c]!,
      operation: 'work' + c,
      start: rootStart + BigInt(10_000_000 * (c + 1)),
      end: rootStart + BigInt(10_000_000 * (c + 2)),
      status: (n * 7 + c) % 19 === 0 ? 'error' : 'ok',
    });
  }
  return spans;
}

function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed;
  for (let i = items.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

describe('concurrent ingest over HTTP', () => {
  const clock = new ManualClock(NOW);
  let collector: Collector;
  let pool: Pool;

  beforeAll(async () => {
    const store = new BucketStore({ clock, windowMinutes: W, releaseSliceSpans: 500 });
    // Load shedding off: a busy CI machine is not an overloaded collector, and every batch must land.
    const config = loadConfig({ WINDOW_MINUTES: String(W), INGEST_DELAY_TARGET_MS: '0' });
    collector = await buildApp({ config, store, logger: false, evictionIntervalMs: 5 });
    const address = await collector.app.listen({ port: 0, host: '127.0.0.1' });
    pool = new Pool(address, { connections: CLIENTS });
  });

  afterAll(async () => {
    await pool?.close();
    await collector?.app.close();
  });

  it('stores every trace exactly, whatever the interleaving', async () => {
    const nowNs = BigInt(NOW) * 1_000_000n;
    // Traces that stay, and traces near the edge that the clock jump below ages out.
    const keep = Array.from({ length: 2500 }, (_, i) => makeTrace(nowNs - 20_000_000_000n + BigInt(i) * 1_000_003n, i));
    const doomed = Array.from({ length: 400 }, (_, i) =>
      makeTrace(nowNs - BigInt(W * 60_000 - 20_000) * 1_000_000n + BigInt(i) * 1_000_003n, i),
    );
    const spans = shuffle([...keep.flat(), ...doomed.flat()], 42);
    const batches: SentSpan[][] = [];
    for (let i = 0, size = 10; i < spans.length; i += size, size = 10 + (i % 5)) batches.push(spans.slice(i, i + size));
    expect(batches.length).toBeGreaterThan(1000);

    let next = 0;
    let advanced = false;
    let queries = 0;
    const statuses = new Map<number, number>();
    const client = async (id: number): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const res = await pool.request({ method: 'POST', path: '/spans', headers: { 'content-type': 'application/json' }, body: bodyOf(batch) });
        await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        // The doomed traces age out mid-run. `next` moves on while this client awaits, so test
        // for having passed the half, once, not for being at it.
        if (!advanced && next >= Math.floor(batches.length / 2)) {
          advanced = true;
          clock.advance(60_000);
        }
        if ((next + id) % 7 === 0) {
          const list = await pool.request({ method: 'GET', path: '/traces?limit=1000' });
          const body = losslessJson(await list.body.text());
          expect(list.statusCode).toBe(200);
          expect(body.traces.length).toBeLessThanOrEqual(1000);
          queries++;
        }
        if ((next + id) % 11 === 0) await collector.eviction.tick();
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(id)));
    expect([...statuses.keys()]).toEqual([202]);
    expect(queries).toBeGreaterThan(50);
    await collector.eviction.tick();

    // Every kept trace: listed once, with the exact summary, and its exact spans.
    const listed = new Map<string, any>();
    let before: string | undefined;
    for (;;) {
      const res = await pool.request({ method: 'GET', path: `/traces?limit=1000${before ? `&before=${before}` : ''}` });
      const page = losslessJson(await res.body.text());
      if (before === undefined) expect(page.total).toBe(keep.length);
      for (const t of page.traces) listed.set(t.trace_id, t);
      if (page.traces.length < 1000) break;
      before = page.traces[page.traces.length - 1].start_time;
    }
    expect(listed.size).toBe(keep.length);
    for (const sent of keep) {
      const root = sent[0]!;
      expect(listed.get(root.trace_id)).toEqual({
        trace_id: root.trace_id,
        root_service: 'checkout',
        root_operation: 'place_order',
        span_count: sent.length,
        duration_ms: Number((root.end - root.start) / 1_000_000n),
        start_time: root.start.toString(),
        status: sent.some((s) => s.status === 'error') ? 'error' : 'ok',
        services: [...new Set(sent.map((s) => s.service))].sort(),
        error_count: sent.filter((s) => s.status === 'error').length,
        partial: false,
      });
    }
    for (const sent of keep.slice(0, 300)) {
      const res = await pool.request({ method: 'GET', path: `/traces/${sent[0]!.trace_id}` });
      const detail = losslessJson(await res.body.text());
      expect(detail.spans.map((s: any) => s.span_id).sort()).toEqual(sent.map((s) => s.span_id).sort());
      expect(detail.spans.map((s: any) => s.end_time).sort()).toEqual(sent.map((s) => s.end.toString()).sort());
    }
    for (const sent of doomed.slice(0, 50)) {
      const res = await pool.request({ method: 'GET', path: `/traces/${sent[0]!.trace_id}` });
      await res.body.text();
      expect(res.statusCode).toBe(404);
    }
    const stats = await collector.app.inject({ method: 'GET', url: '/metrics' });
    expect(stats.body).toMatch(/traced_evicted_spans_total [1-9]/);
  });
});
