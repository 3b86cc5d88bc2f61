// Tail sampling across a restart, in process: the collector with a real ingest log on a temp
// dir, tail sampling on, its clock moved by hand; traces decided keep and drop (the "slow" rule
// by the root service's p99, which only history sets), then a fresh collector replays the log.
// Every kept trace is back whole, no dropped one is back, and the traces undecided at the stop
// are kept. Deciding again at replay instead (the sampler without logged decisions) loses the
// slow traces: the fresh sampler has no p99 yet, so it drops them.
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type Collector } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { ReplayClock } from '../../src/ingest-log/replay-clock.js';
import { SegmentLog } from '../../src/ingest-log/segment-log.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { Api, DEFAULT_NOW_MS, spansBody, type WireSpanInput } from '../support/http.js';
import { nsAt, uuid } from '../support/spans.js';
import { tailTrace } from '../support/tail-trace.js';

const dirs: string[] = [];
const running: Array<{ api: Api; log: SegmentLog }> = [];
afterEach(async () => {
  for (const { api, log } of running.splice(0)) await stop(api, log);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function stop(api: Api, log: SegmentLog): Promise<void> {
  await api.close();
  await log.close();
}

const DECISION_SECONDS = 5;

/** A collector as main.ts builds it (stores on a ReplayClock over the wall clock, here a manual one). */
const TAIL_ENV = { TAIL_SAMPLING: 'on', TAIL_KEEP_RATE: '0', TAIL_DECISION_SECONDS: String(DECISION_SECONDS) };

async function startDurable(dir: string, clock: ManualClock, samplingEnv: Record<string, string> = TAIL_ENV): Promise<{ api: Api; log: SegmentLog; collector: Collector }> {
  const config: Config = {
    ...loadConfig({ LOG_LEVEL: 'silent', INGEST_DELAY_TARGET_MS: '0', ...samplingEnv }),
    port: 0,
    host: '127.0.0.1',
    windowMinutes: 30,
  };
  const replayClock = new ReplayClock(clock);
  const store = new BucketStore({ clock: replayClock, windowMinutes: config.windowMinutes });
  const log = new SegmentLog({ dir, clock, windowMinutes: config.windowMinutes });
  const collector = await buildApp({ config, store, clock: replayClock, replayClock, ingestLog: log, logger: false });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  const address = collector.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const api = new Api(`http://127.0.0.1:${address.port}`, collector, clock, store, config);
  running.push({ api, log });
  return { api, log, collector };
}

const traceId = (n: number): string => uuid(n, 0x7a11);

/** A root of `rootMs` in service checkout, and two children, started a second before `nowMs`. */
function trace(nowMs: number, n: number, rootMs: number, error = false): WireSpanInput[] {
  return tailTrace({ n, startNs: BigInt(nsAt(nowMs - 1000)), rootMs, traceSalt: 0x7a11, spanSalt: 0x5, error, extraNs: 123n });
}

async function post(api: Api, spans: WireSpanInput[]): Promise<void> {
  const res = await api.postSpans(spans);
  expect(res.status, res.text).toBe(202);
}

/** Every listed trace id with its GET /traces/{id} answer. */
async function listed(api: Api): Promise<Map<string, string>> {
  const { traces, total } = await api.listTraces('limit=1000');
  expect(traces.length).toBe(total);
  const out = new Map<string, string>();
  for (const t of traces) {
    const id = t.trace_id as string;
    const res = await api.get(`/traces/${id}`);
    expect(res.status).toBe(200);
    out.set(id, res.text);
  }
  return out;
}

/**
 * Round 1: 200 ordinary traces (roots 10–209 ms) and one failed one, decided: the failed one
 * kept, the rest dropped (no p99 yet, no TAIL_KEEP_RATE). Round 2: 5 traces with 1 s roots, kept
 * as slow by round 1's p99, and 20 with 20 ms roots, dropped. Round 3: 10 traces posted and not
 * decided before the stop.
 */
async function liveTraffic(api: Api, clock: ManualClock, collector: Collector) {
  const ordinary = [...Array(200).keys()];
  for (let k = 0; k < ordinary.length; k += 50) await post(api, ordinary.slice(k, k + 50).flatMap((n) => trace(clock.nowMs(), n, 10 + n)));
  await post(api, trace(clock.nowMs(), 500, 15, true));
  clock.advance(DECISION_SECONDS * 1000);
  expect(await collector.sampling!.sweep()).toBe(201);
  const slow = [600, 601, 602, 603, 604];
  const quick = [...Array(20).keys()].map((k) => 700 + k);
  await post(api, [...slow.flatMap((n) => trace(clock.nowMs(), n, 1000)), ...quick.flatMap((n) => trace(clock.nowMs(), n, 20))]);
  clock.advance(DECISION_SECONDS * 1000);
  expect(await collector.sampling!.sweep()).toBe(25);
  const undecided = [...Array(10).keys()].map((k) => 800 + k);
  await post(api, undecided.flatMap((n) => trace(clock.nowMs(), n, 20)));
  return { kept: [500, ...slow].map(traceId), dropped: [...ordinary, ...quick].map(traceId), undecided: undecided.map(traceId) };
}

describe('tail sampling across a restart', () => {
  it('brings back every kept trace whole and no dropped one, and keeps the traces undecided at the stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-replay-'));
    dirs.push(dir);
    const clock = new ManualClock(DEFAULT_NOW_MS);
    const first = await startDurable(dir, clock);
    const { kept, dropped, undecided } = await liveTraffic(first.api, clock, first.collector);
    const before = await listed(first.api);
    // The slow rule mattered: the 1 s roots were kept by the p99 alone (no TAIL_SLOW_MS).
    expect([...before.keys()].sort()).toEqual([...kept].sort());
    await stop(first.api, first.log);
    running.splice(0);

    clock.advance(2000);
    const second = await startDurable(dir, clock);
    await second.collector.replay();
    // Whatever the sweeper still finds is decided (without logged decisions, everything: the
    // fresh sampler has no p99 yet and drops the slow traces).
    clock.advance(DECISION_SECONDS * 1000);
    await second.collector.sampling!.sweep();
    const after = await listed(second.api);
    for (const id of kept) expect(after.get(id), `kept trace ${id}`).toBe(before.get(id));
    for (const id of dropped) expect(after.has(id), `dropped trace ${id}`).toBe(false);
    for (const id of undecided) expect(after.has(id), `undecided trace ${id}`).toBe(true);
    expect(after.size).toBe(kept.length + undecided.length);
    expect(second.collector.sampling!.state().bufferedSpans).toBe(0);
    expect(await second.api.metric('traced_tail_decisions_total', { decision: 'keep', reason: 'replay' })).toBe(undecided.length);

    // Later spans follow the decisions replay took: a dropped trace stays out, a kept one grows.
    const late = (n: number): WireSpanInput => ({ trace_id: traceId(n), span_id: uuid(n * 10 + 9, 0x5), parent_span_id: uuid(n * 10, 0x5), service: 'payment', operation: 'late', start_time: nsAt(clock.nowMs() - 500) });
    await post(second.api, [late(3), late(600), late(800)]);
    expect((await second.api.get(`/traces/${traceId(3)}`)).status).toBe(404);
    for (const n of [600, 800]) expect(((await second.api.get(`/traces/${traceId(n)}`)).json as { spans: unknown[] }).spans).toHaveLength(4);
    const grown = await listed(second.api);
    await stop(second.api, second.log);
    running.splice(0);

    // A second restart replays the decisions the first one logged at its end, and the late spans.
    clock.advance(2000);
    const third = await startDurable(dir, clock);
    await third.collector.replay();
    expect(await listed(third.api)).toEqual(grown);
    expect(third.collector.sampling!.state().bufferedSpans).toBe(0);
  });

  it('keeps the traces of a decision record lost in the crash, the kept one and the dropped ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-replay-'));
    dirs.push(dir);
    const clock = new ManualClock(DEFAULT_NOW_MS);
    const first = await startDurable(dir, clock);
    const quick = [...Array(20).keys()];
    await post(first.api, [...trace(clock.nowMs(), 100, 15, true), ...quick.flatMap((n) => trace(clock.nowMs(), n, 20))]);
    clock.advance(DECISION_SECONDS * 1000);
    expect(await first.collector.sampling!.sweep()).toBe(21);
    const before = await listed(first.api);
    expect([...before.keys()]).toEqual([traceId(100)]);
    await stop(first.api, first.log);
    running.splice(0);
    // The decision record is the last one: cut it off whole, as if its group never reached the disk.
    // Frame (8) + kind (1) + append time (6) + two counts (2) + 21 ids of 16 bytes.
    const segments = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    expect(segments).toHaveLength(1);
    const file = join(dir, segments[0]!);
    truncateSync(file, statSync(file).size - (8 + 1 + 6 + 2 + 21 * 16));

    const second = await startDurable(dir, clock);
    await second.collector.replay();
    // Cut at the record's start: nothing torn or corrupt, the decision simply absent.
    expect(await second.api.metric('traced_ingest_log_torn_tails_total')).toBe(0);
    expect(await second.api.metric('traced_ingest_log_corrupt_records_total')).toBe(0);
    const after = await listed(second.api);
    expect(after.get(traceId(100))).toBe(before.get(traceId(100)));
    for (const n of quick) expect(after.has(traceId(n)), `trace ${n}, dropped in a decision that was lost`).toBe(true);
  });

  it('keeps traces early, never drops them, when the buffer overflows during replay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-replay-'));
    dirs.push(dir);
    const clock = new ManualClock(DEFAULT_NOW_MS);
    const first = await startDurable(dir, clock);
    // 40 traces of 3 spans, none decided before the stop.
    for (let n = 0; n < 40; n++) await post(first.api, trace(clock.nowMs(), n, 20));
    await stop(first.api, first.log);
    running.splice(0);

    // Restarted with room for 30 spans: replay overflows it and must keep, not drop.
    const config = loadConfig({ LOG_LEVEL: 'silent', TAIL_SAMPLING: 'on', TAIL_KEEP_RATE: '0', TAIL_BUFFER_SPANS: '30' });
    const replayClock = new ReplayClock(clock);
    const store = new BucketStore({ clock: replayClock, windowMinutes: config.windowMinutes });
    const log = new SegmentLog({ dir, clock, windowMinutes: config.windowMinutes });
    const collector = await buildApp({ config: { ...config, port: 0, host: '127.0.0.1' }, store, clock: replayClock, replayClock, ingestLog: log, logger: false });
    try {
      await collector.replay();
      expect((await store.listTraces({ limit: 1000 })).total).toBe(40);
      expect(collector.sampling!.state().bufferedSpans).toBe(0);
    } finally {
      await collector.app.close();
      await log.close();
    }
  });

  it('with head sampling alone, brings back exactly the traces it kept and remembers no decision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-replay-'));
    dirs.push(dir);
    const clock = new ManualClock(DEFAULT_NOW_MS);
    const first = await startDurable(dir, clock, { SAMPLING_RATE: '0.5' });
    await post(first.api, [...Array(40).keys()].flatMap((n) => trace(clock.nowMs(), n, 20)));
    const before = await listed(first.api);
    expect(before.size).toBeGreaterThan(0);
    expect(before.size).toBeLessThan(40);
    await stop(first.api, first.log);
    running.splice(0);

    clock.advance(2000);
    const second = await startDurable(dir, clock, { SAMPLING_RATE: '0.5' });
    await second.collector.replay();
    expect(await listed(second.api)).toEqual(before);
    expect(second.collector.sampling!.state()).toMatchObject({ bufferedSpans: 0, rememberedDecisions: 0 });
  });
});
