// Graceful overload: 503 + Retry-After at the memory budget, the heap limit, or under event-loop
// lag; queries keep answering; ingest resumes by itself once eviction frees room.
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type Collector } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { BucketStore } from '../../src/store/compact/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';

const NOW = Date.UTC(2026, 10, 21, 8, 0, 0);

function body(n: number, from = 0): string {
  const spans = Array.from({ length: n }, (_, i) => {
    const id = (from + i).toString(16).padStart(12, '0');
    const start = BigInt(NOW - 1000) * 1_000_000n + BigInt(i);
    return `{"trace_id":"00000000-0000-4000-8000-${id}","span_id":"00000000-0000-4000-9000-${id}","service":"s","operation":"o","start_time":${start},"end_time":${start + 5n},"status":"ok"}`;
  });
  return `{"spans":[${spans.join(',')}]}`;
}

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.app.close();
  collector = undefined;
});

async function start(env: Record<string, string>, heapShare?: () => number): Promise<{ c: Collector; clock: ManualClock }> {
  const clock = new ManualClock(NOW);
  const config = loadConfig({ WINDOW_MINUTES: '5', ...env });
  const c = await buildApp({ config, store: new BucketStore({ clock, windowMinutes: 5 }), logger: false, heapShare });
  await c.app.ready();
  collector = c;
  return { c, clock };
}

const post = (c: Collector, payload: string) =>
  c.app.inject({ method: 'POST', url: '/spans', headers: { 'content-type': 'application/json' }, payload });

describe('admission control', () => {
  it('refuses ingest at MAX_SPANS with 503 and Retry-After, keeps queries up, and resumes after eviction', async () => {
    const { c, clock } = await start({ MAX_SPANS: '10' });
    expect((await post(c, body(10))).statusCode).toBe(202);
    const refused = await post(c, body(1, 100));
    expect(refused.statusCode).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.json().error).toMatch(/MAX_SPANS=10/);
    expect((await c.app.inject({ method: 'GET', url: '/traces?limit=0' })).json()).toEqual({ traces: [], total: 10 });
    const metrics = (await c.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/traced_batches_rejected_total\{reason="memory"\} 1/);
    expect(metrics).toMatch(/traced_store_max_spans 10/);

    clock.advance(7 * 60_000);
    await c.eviction.tick();
    await c.admission.sample();
    expect((await post(c, body(1, 200).replace(/"start_time":(\d+),"end_time":(\d+)/, () => {
      const t = BigInt(clock.nowMs()) * 1_000_000n;
      return `"start_time":${t},"end_time":${t}`;
    }))).statusCode).toBe(202);
  });

  it('refuses ingest when the JavaScript heap is nearly full', async () => {
    let share = 0.9;
    const { c } = await start({}, () => share);
    await c.admission.sample();
    const refused = await post(c, body(1));
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatch(/heap/);
    share = 0.5;
    await c.admission.sample();
    expect((await post(c, body(1))).statusCode).toBe(202);
  });

  it('sheds ingest while the event loop lags, and answers queries meanwhile', async () => {
    const { c } = await start({ MAX_EVENT_LOOP_LAG_MS: '50' });
    await c.admission.sample();
    // Block the loop for 200 ms so the delay monitor records a long stall.
    const until = Date.now() + 200;
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        while (Date.now() < until);
        resolve();
      }, 0),
    );
    // The admission timer is overdue now; it samples the stall before this timeout fires.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(c.admission.eventLoopLagMs).toBeGreaterThan(50);
    const refused = await post(c, body(1));
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect((await c.app.inject({ method: 'GET', url: '/traces' })).statusCode).toBe(200);
    // Once a calm sample has been taken, ingest resumes by itself (bounded wait).
    let status = 0;
    for (let attempt = 0; attempt < 40 && status !== 202; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await post(c, body(1))).statusCode;
    }
    expect(status).toBe(202);
  });

  it('sheds a growing share of ingest while the loop stays saturated, and none once it has room', async () => {
    const { c } = await start({ MAX_EVENT_LOOP_UTILIZATION: '90' });
    // A burst (under half a second of saturated samples) is not overload.
    for (let i = 0; i < 4; i++) c.admission.noteUtilization(1);
    expect(c.admission.shedShare).toBe(0);
    expect((await post(c, body(1))).statusCode).toBe(202);
    // Sustained saturation: the refused share climbs to its ceiling.
    for (let i = 0; i < 40; i++) c.admission.noteUtilization(0.99);
    expect(c.admission.shedShare).toBeCloseTo(0.9);
    const statuses: number[] = [];
    let message = '';
    for (let i = 0; i < 20; i++) {
      const r = await post(c, body(1, 300 + i));
      statuses.push(r.statusCode);
      if (r.statusCode === 503) {
        message = r.json().error;
        expect(r.headers['retry-after']).toBe('1');
      }
    }
    const refused = statuses.filter((s) => s === 503).length;
    // 90% of 20, give or take the real sampler folding in a calm sample meanwhile.
    expect(refused).toBeGreaterThanOrEqual(14);
    expect(refused).toBeLessThan(20);
    expect(message).toMatch(/saturated.*MAX_EVENT_LOOP_UTILIZATION/);
    // Queries are never shed.
    expect((await c.app.inject({ method: 'GET', url: '/traces' })).statusCode).toBe(200);
    const metrics = (await c.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(new RegExp(`traced_batches_rejected_total\\{reason="saturated"\\} ${refused}`));
    expect(Number(/^traced_ingest_shed_ratio (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0.5);
    // Room again: the share falls step by step to nothing, and every batch gets in.
    for (let i = 0; i < 20; i++) c.admission.noteUtilization(0.3);
    expect(c.admission.shedShare).toBe(0);
    for (let i = 0; i < 10; i++) expect((await post(c, body(1, 400 + i))).statusCode).toBe(202);
  });

  it('does not shed for saturation when MAX_EVENT_LOOP_UTILIZATION=0', async () => {
    const { c } = await start({ MAX_EVENT_LOOP_UTILIZATION: '0' });
    for (let i = 0; i < 40; i++) c.admission.noteUtilization(1);
    expect(c.admission.shedShare).toBe(0);
    expect((await post(c, body(1))).statusCode).toBe(202);
  });
});
