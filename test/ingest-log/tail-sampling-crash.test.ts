// Tail sampling across a SIGKILL: a collector process with TAIL_SAMPLING=on on a temp DATA_DIR
// decides traces on its own timer (TAIL_DECISION_SECONDS=1), some of them kept only by the
// "slow" rule (a root at or above the root service's p99, which only the traffic before sets);
// it is killed with SIGKILL, started again on the same directory, and every trace it had kept is
// back whole, the traces it had dropped are not, and slow traces posted just before the kill
// (decided or not when it died) are kept. A collector that decided again at replay would drop
// the slow traces: its fresh sampler has no p99 yet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { metricValue, spansBody, waitFor, type WireSpanInput } from '../support/http.js';
import { uuid } from '../support/spans.js';
import { tailTrace } from '../support/tail-trace.js';
import { freePort, startCollectorProcess, waitForLog, type CollectorProcess } from './collector-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tail-crash-'));
const started: CollectorProcess[] = [];

afterAll(() => {
  for (const proc of started) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const traceId = (n: number): string => uuid(n, 0x7a12);

/** A root of `rootMs` in service checkout and two children, started a second ago. */
function trace(n: number, rootMs: number, error = false): WireSpanInput[] {
  return tailTrace({ n, startNs: BigInt(Date.now() - 1000) * 1_000_000n + BigInt(n), rootMs, traceSalt: 0x7a12, spanSalt: 0x6, error });
}

async function post(pool: Pool, spans: WireSpanInput[]): Promise<void> {
  const res = await pool.request({ method: 'POST', path: '/spans', headers: { 'content-type': 'application/json' }, body: spansBody(spans) });
  const text = await res.body.text();
  expect(res.statusCode, text).toBe(202);
}

async function getText(pool: Pool, path: string): Promise<{ status: number; text: string }> {
  const res = await pool.request({ method: 'GET', path });
  return { status: res.statusCode, text: await res.body.text() };
}

/** Waits (bounded) until the sampler holds no trace: every one posted so far is decided. */
async function allDecided(pool: Pool): Promise<void> {
  await waitFor('every trace decided (traced_tail_buffered_traces 0)', async () => metricValue((await getText(pool, '/metrics')).text, 'traced_tail_buffered_traces') === 0, 20_000, 100);
}

/** Every listed trace id with its GET /traces/{id} body. */
async function keptTraces(pool: Pool): Promise<Map<string, string>> {
  const list = JSON.parse((await getText(pool, '/traces?limit=1000')).text) as { traces: Array<{ trace_id: string }>; total: number };
  expect(list.traces.length).toBe(list.total);
  const out = new Map<string, string>();
  for (const { trace_id: id } of list.traces) {
    const res = await getText(pool, `/traces/${id}`);
    expect(res.status).toBe(200);
    out.set(id, res.text);
  }
  return out;
}

describe('tail sampling across a SIGKILL', () => {
  it('brings back every trace kept before the kill, whole, and none of those dropped', async () => {
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: dataDir, TAIL_SAMPLING: 'on', TAIL_KEEP_RATE: '0', TAIL_DECISION_SECONDS: '1' };
    const first = startCollectorProcess(env);
    started.push(first);
    await waitForLog(first, 'traced-collector ready', 30_000);
    let pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });

    // History for the p99 rule: 200 ordinary traces (roots 10–209 ms) and two failed ones.
    const ordinary = [...Array(200).keys()];
    // (Two requests: at most 500 spans each. Should a sweep fall between them, the second half is
    // judged by the first half's p99 and kept: the checks below read what was kept.)
    await post(pool, ordinary.slice(0, 100).flatMap((n) => trace(n, 10 + n)));
    await post(pool, [...ordinary.slice(100).flatMap((n) => trace(n, 10 + n)), ...trace(300, 12, true), ...trace(301, 12, true)]);
    await allDecided(pool);
    // Then 5 slow traces (1 s roots, kept by that p99 alone: no TAIL_SLOW_MS) and 20 quick ones.
    const slow = [400, 401, 402, 403, 404];
    const quick = [...Array(20).keys()].map((k) => 500 + k);
    await post(pool, [...slow.flatMap((n) => trace(n, 1000)), ...quick.flatMap((n) => trace(n, 20))]);
    await allDecided(pool);
    // Slow traces posted last, killed while the sampler may or may not have decided them.
    const last = [600, 601, 602];
    await post(pool, last.flatMap((n) => trace(n, 1000)));

    const before = await keptTraces(pool);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await pool.close();
    for (const id of [300, 301, ...slow].map(traceId)) expect(before.has(id), `trace ${id} kept before the kill`).toBe(true);
    const dropped = [...ordinary, ...quick].map(traceId).filter((id) => !before.has(id));
    for (const id of quick.map(traceId)) expect(dropped).toContain(id);

    const second = startCollectorProcess(env);
    started.push(second);
    await waitForLog(second, 'traced-collector ready', 30_000);
    pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });
    try {
      await allDecided(pool);
      const after = await keptTraces(pool);
      for (const [id, body] of before) expect(after.get(id), `trace ${id}, kept before the kill`).toBe(body);
      for (const id of dropped) expect(after.has(id), `trace ${id}, dropped before the kill`).toBe(false);
      for (const id of last.map(traceId)) expect(after.has(id), `slow trace ${id}, posted just before the kill`).toBe(true);
    } finally {
      await pool.close();
      second.child.kill('SIGKILL');
      await second.exited;
    }
  }, 90_000);
});
