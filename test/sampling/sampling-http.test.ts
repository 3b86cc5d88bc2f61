// Sampling configured from the environment, through the HTTP API: POST /spans answers 202 for
// sampled-out spans, /metrics counts them and the tail decisions, queries see the kept traces.
import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type Collector } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { keepThreshold, samplingHash } from '../../src/sampling/hash.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { contractValidator, DEFAULT_NOW_MS, metricValue, spansBody, type WireSpanInput } from '../support/http.js';
import { uuid } from '../support/spans.js';

const NOW_NS = BigInt(DEFAULT_NOW_MS) * 1_000_000n;
const traceId = (n: number): string => uuid(n, 0x5a3);

function trace(n: number, opts: { error?: boolean; rootMs?: number } = {}): WireSpanInput[] {
  const start = NOW_NS - 1_000_000_000n;
  return [
    { trace_id: traceId(n), span_id: uuid(n * 2, 0x5a4), start_time: start.toString(), end_time: (start + BigInt(opts.rootMs ?? 100) * 1_000_000n).toString() },
    {
      trace_id: traceId(n),
      span_id: uuid(n * 2 + 1, 0x5a4),
      parent_span_id: uuid(n * 2, 0x5a4),
      service: 'payment',
      start_time: (start + 1_000_000n).toString(),
      status: opts.error === true ? 'error' : 'ok',
    },
  ];
}

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.app.close();
  collector = undefined;
});

async function start(env: Record<string, string>): Promise<{ clock: ManualClock; collector: Collector }> {
  const clock = new ManualClock(DEFAULT_NOW_MS);
  const config = loadConfig({ LOG_LEVEL: 'silent', INGEST_DELAY_TARGET_MS: '0', ...env });
  collector = await buildApp({ config, store: new BucketStore({ clock, windowMinutes: config.windowMinutes }), clock, logger: false });
  return { clock, collector };
}

/** A request through inject, checked against openapi.yaml like the contract tests' requests. */
async function call(c: Collector, method: 'GET' | 'POST', url: string, body?: string): Promise<{ status: number; json: any; text: string }> {
  const res = await c.app.inject({ method, url, payload: body, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const problems = contractValidator().check(method, url, res.statusCode, String(res.headers['content-type'] ?? ''), res.body);
  expect(problems).toEqual([]);
  return { status: res.statusCode, json: res.headers['content-type']?.toString().startsWith('application/json') ? JSON.parse(res.body) : undefined, text: res.body };
}

describe('sampling over HTTP', () => {
  it('is off by default: every span is accepted and no sampler sits in front of the store', async () => {
    const { collector: c } = await start({});
    expect(c.sampling).toBeUndefined();
    const res = await call(c, 'POST', '/spans', spansBody(trace(1)));
    expect(res.json).toEqual({ status: 'ok', accepted: 2, discarded: 0 });
  });

  it('head sampling answers 202, accepts only the kept traces and counts the rest in /metrics', async () => {
    const { collector: c } = await start({ SAMPLING_RATE: '0.3' });
    const spans: WireSpanInput[] = [];
    for (let n = 0; n < 200; n++) spans.push(...trace(n));
    const kept = [...Array(200).keys()].filter((n) => samplingHash(traceId(n), 'head') < keepThreshold(0.3));
    const res = await call(c, 'POST', '/spans', spansBody(spans.slice(0, 400)));
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'ok', accepted: kept.length * 2, discarded: 0 });
    const metrics = (await call(c, 'GET', '/metrics')).text;
    expect(metricValue(metrics, 'traced_spans_sampled_out_total', { mode: 'head' })).toBe((200 - kept.length) * 2);
    expect(metricValue(metrics, 'traced_spans_accepted_total')).toBe(kept.length * 2);
    expect((await call(c, 'GET', '/traces?limit=0')).json.total).toBe(kept.length);
    // Statistics describe all the traffic.
    expect((await call(c, 'GET', '/stats')).json.request_count).toBe(400);
  });

  it('tail sampling keeps failed and slow traces, drops the rest, and shows its decisions in /metrics', async () => {
    const { clock, collector: c } = await start({ TAIL_SAMPLING: 'on', TAIL_KEEP_RATE: '0', TAIL_SLOW_MS: '1000', TAIL_DECISION_SECONDS: '5' });
    await call(c, 'POST', '/spans', spansBody([...trace(1, { error: true }), ...trace(2), ...trace(3, { rootMs: 1500 })]));
    expect((await call(c, 'GET', '/traces?limit=0')).json.total).toBe(0);
    let metrics = (await call(c, 'GET', '/metrics')).text;
    expect(metricValue(metrics, 'traced_tail_buffered_spans')).toBe(6);
    expect(metricValue(metrics, 'traced_tail_buffered_traces')).toBe(3);
    clock.advance(5000);
    expect(await c.sampling!.sweep()).toBe(3);
    const listed = (await call(c, 'GET', '/traces')).json.traces.map((t: { trace_id: string }) => t.trace_id);
    expect(listed.sort()).toEqual([traceId(1), traceId(3)]);
    metrics = (await call(c, 'GET', '/metrics')).text;
    expect(metricValue(metrics, 'traced_tail_decisions_total', { decision: 'keep', reason: 'error' })).toBe(1);
    expect(metricValue(metrics, 'traced_tail_decisions_total', { decision: 'keep', reason: 'slow' })).toBe(1);
    expect(metricValue(metrics, 'traced_tail_decisions_total', { decision: 'drop', reason: 'none' })).toBe(1);
    expect(metricValue(metrics, 'traced_spans_sampled_out_total', { mode: 'tail' })).toBe(2);
    expect(metricValue(metrics, 'traced_tail_buffered_spans')).toBe(0);
    expect(metricValue(metrics, 'traced_tail_remembered_decisions')).toBe(3);
  });
});

describe('sampling configuration', () => {
  it('defaults keep everything', () => {
    expect(loadConfig({}).sampling).toEqual({
      rate: 1,
      tail: false,
      tailSlowMs: undefined,
      tailKeepRate: 0.1,
      tailDecisionSeconds: 10,
      tailBufferSpans: 250_000,
      tailBufferBytes: Math.floor(getHeapStatistics().heap_size_limit / 8),
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({ SAMPLING_RATE: '0.05', TAIL_SAMPLING: 'on', TAIL_SLOW_MS: '750', TAIL_KEEP_RATE: '.5', TAIL_DECISION_SECONDS: '30', TAIL_BUFFER_SPANS: '1000' }).sampling,
    ).toEqual({ rate: 0.05, tail: true, tailSlowMs: 750, tailKeepRate: 0.5, tailDecisionSeconds: 30, tailBufferSpans: 1000, tailBufferBytes: expect.any(Number) });
    expect(loadConfig({ SAMPLING_RATE: '1', TAIL_KEEP_RATE: '0', TAIL_SAMPLING: 'off' }).sampling).toMatchObject({ rate: 1, tailKeepRate: 0, tail: false });
  });

  it.each([
    ['SAMPLING_RATE', '0'],
    ['SAMPLING_RATE', '1.5'],
    ['SAMPLING_RATE', '-0.5'],
    ['SAMPLING_RATE', 'half'],
    ['TAIL_KEEP_RATE', '2'],
    ['TAIL_SAMPLING', 'maybe'],
    ['TAIL_SLOW_MS', '-1'],
    ['TAIL_DECISION_SECONDS', '0'],
    ['TAIL_BUFFER_SPANS', '0'],
  ])('%s=%j is refused, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('refuses a decision time as long as the window', () => {
    expect(() => loadConfig({ TAIL_SAMPLING: 'on', WINDOW_MINUTES: '1', TAIL_DECISION_SECONDS: '60' })).toThrow(/TAIL_DECISION_SECONDS/);
  });
});
