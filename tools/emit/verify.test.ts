import { describe, expect, it } from 'vitest';
import type { GetResult } from './client.js';
import { parseJsonLossless } from './json.js';
import { Ledger, verdictOf } from './ledger.js';
import { seededRandom } from './random.js';
import { expectedSummary, generateTrace, type Span, type Trace } from './traffic.js';
import { formatReport } from './verify-report.js';
import type { TraceApi, VerifyOptions } from './verify-run.js';
import { verify } from './verify.js';

const S = 1_000_000_000n;
const NOW = 1_713_484_800_000_000_000n + 123_456_789n;
const WINDOW_MINUTES = 30;

/** JSON text with bigints as bare integers, like a correct server writes it. */
function encode(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `@@${x}@@` : x)).replace(/"@@(-?\d+)@@"/g, '$1');
}

interface FakeOptions {
  noLimitZero?: boolean;
  /** Mutate a summary before it is served. */
  summary?: (s: Record<string, unknown>) => void;
  /** Mutate the detail span list before it is served. */
  detail?: (spans: Array<Record<string, unknown>>, traceId: string) => void;
  /** Serve the list in this order instead of start_time desc. */
  misorder?: boolean;
  /** Evict roots older than this (fixed, or read at each request). */
  windowStartNs?: bigint | (() => bigint);
  /** Called at the start of every request (e.g. to advance a fake clock). */
  onRequest?: () => void;
  /** Evict span by span in GET /traces/{id} (a root can go before its children). */
  perSpanEviction?: boolean;
}

/** An in-memory server that follows the contract, with knobs to break it. */
class FakeServer implements TraceApi {
  readonly traces = new Map<string, Span[]>();
  requests: string[] = [];
  constructor(private readonly opts: FakeOptions = {}) {}

  store(spans: readonly Span[]): void {
    for (const s of spans) this.traces.set(s.trace_id, [...(this.traces.get(s.trace_id) ?? []), structuredClone(s)]);
  }

  async get(path: string): Promise<GetResult> {
    this.requests.push(path);
    this.opts.onRequest?.();
    const windowStart = typeof this.opts.windowStartNs === 'function' ? this.opts.windowStartNs() : this.opts.windowStartNs;
    const url = new URL(path, 'http://fake');
    const answer = (status: number, body: unknown): GetResult => {
      const text = encode(body);
      return { status, text, body: parseJsonLossless(text) };
    };
    if (url.pathname === '/traces') {
      const limit = Number(url.searchParams.get('limit') ?? '20');
      if (limit < (this.opts.noLimitZero === true ? 1 : 0) || limit > 1000) return answer(400, { error: 'bad limit' });
      const after = url.searchParams.has('after') ? BigInt(url.searchParams.get('after')!) : undefined;
      const before = url.searchParams.has('before') ? BigInt(url.searchParams.get('before')!) : undefined;
      const list: Array<Record<string, unknown>> = [];
      for (const [id, spans] of this.traces) {
        const root = spans.find((s) => s.parent_span_id === undefined);
        if (root === undefined) continue;
        if (windowStart !== undefined && root.start_time < windowStart) continue;
        if ((after !== undefined && root.start_time < after) || (before !== undefined && root.start_time >= before)) continue;
        const summary: Record<string, unknown> = { ...expectedSummary({ trace_id: id, spans }) };
        this.opts.summary?.(summary);
        list.push(summary);
      }
      list.sort((a, b) => ((a.start_time as bigint) < (b.start_time as bigint) ? 1 : (a.start_time as bigint) > (b.start_time as bigint) ? -1 : 0));
      if (this.opts.misorder === true) list.reverse();
      return answer(200, { traces: list.slice(0, limit), total: list.length });
    }
    const m = /^\/traces\/(.+)$/.exec(url.pathname);
    if (m !== null) {
      const spans = this.traces.get(m[1]!);
      const root = spans?.find((s) => s.parent_span_id === undefined);
      const evicted = root !== undefined && windowStart !== undefined && root.start_time < windowStart;
      const kept = this.opts.perSpanEviction === true ? spans?.filter((s) => windowStart === undefined || s.start_time >= windowStart) : spans;
      if (spans === undefined || kept === undefined || kept.length === 0 || (evicted && this.opts.perSpanEviction !== true)) return answer(404, { error: 'not found' });
      const out = kept
        .map((s) => ({ ...s }) as Record<string, unknown>)
        .sort((a, b) => ((a.start_time as bigint) < (b.start_time as bigint) ? -1 : (a.start_time as bigint) > (b.start_time as bigint) ? 1 : 0));
      this.opts.detail?.(out, m[1]!);
      return answer(200, { trace_id: m[1], spans: out });
    }
    return answer(404, { error: 'no route' });
  }
}

function makeTraces(n: number, seed = 1, start = NOW - 60n * S): Trace[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => generateTrace(r, start + BigInt(i) * 10_000_123n));
}

/** Register and deliver every trace, to both the ledger and the fake. */
function deliverAll(traces: readonly Trace[], server: FakeServer, ledger = new Ledger()): Ledger {
  for (const t of traces) {
    ledger.register(t);
    ledger.settle(t.spans, 'delivered');
    server.store(t.spans);
  }
  return ledger;
}

const OPTS: VerifyOptions = { clock: () => NOW, windowMinutes: WINDOW_MINUTES, concurrency: 4, pageSize: 7 };

describe('verify', () => {
  it('passes a correct server and checks every trace', async () => {
    const server = new FakeServer();
    const traces = makeTraces(50);
    const ledger = deliverAll(traces, server);
    const report = await verify(server, ledger.all(), OPTS);
    expect(report).toMatchObject({ expected: 50, found: 50, listed: 50, missing: 0, spanMismatches: 0, summaryMismatches: 0, detailMismatches: 0, passed: true });
    expect(server.requests.filter((p) => p.startsWith('/traces/'))).toHaveLength(50);
    expect(formatReport(report)).toMatch(/^expected=50 found=50 missing=0 span_mismatches=0 summary_mismatches=0 /);
  });

  it('pages past several traces sharing one start_time at a page boundary', async () => {
    const server = new FakeServer();
    const traces = makeTraces(30, 2);
    // 5 traces share one start_time; with 7 per page (newest first) the third
    // page ends inside that group, so before=S alone would skip part of it.
    const shared = traces[9]!.spans[0]!.start_time;
    for (const t of traces.slice(7, 12)) {
      const shift = shared - t.spans[0]!.start_time;
      for (const s of t.spans) {
        s.start_time += shift;
        s.end_time += shift;
      }
    }
    const ledger = deliverAll(traces, server);
    const report = await verify(server, ledger.all(), OPTS);
    expect(report.missing).toBe(0);
    expect(report.listed).toBe(30);
    expect(report.passed).toBe(true);
    expect(server.requests.some((p) => p.includes(`after=${shared}&before=${shared + 1n}`))).toBe(true);
  });

  it('falls back to limit=1 when the server refuses limit=0', async () => {
    const server = new FakeServer({ noLimitZero: true });
    const report = await verify(server, deliverAll(makeTraces(5), server).all(), OPTS);
    expect(report.passed).toBe(true);
    expect(server.requests).toContain('/traces?limit=1');
  });

  it('catches a start_time rounded through a double', async () => {
    const server = new FakeServer({ summary: (s) => (s.start_time = BigInt(Number(s.start_time))) });
    const report = await verify(server, deliverAll(makeTraces(10, 3), server).all(), OPTS);
    expect(report.summaryMismatches).toBeGreaterThan(0);
    expect(report.passed).toBe(false);
  });

  it.each([
    ['duration_ms', (s: Record<string, unknown>) => (s.duration_ms = (s.duration_ms as number) + 1)],
    ['span_count', (s: Record<string, unknown>) => (s.span_count = (s.span_count as number) - 1)],
    ['status', (s: Record<string, unknown>) => (s.status = s.status === 'ok' ? 'error' : 'ok')],
    ['root_service', (s: Record<string, unknown>) => (s.root_service = 'nope')],
  ])('catches a wrong %s in the summary', async (_name, mutate) => {
    const server = new FakeServer({ summary: mutate });
    const report = await verify(server, deliverAll(makeTraces(8, 4), server).all(), OPTS);
    expect(report.summaryMismatches).toBe(8);
    expect(report.passed).toBe(false);
  });

  it('rejects a listing whose start_time is not an exact integer', async () => {
    const server = new FakeServer({ summary: (s) => (s.start_time = String(s.start_time)) });
    const report = await verify(server, deliverAll(makeTraces(3, 4), server).all(), OPTS);
    expect(report.listErrors).toBe(1);
    expect(report.examples.join('\n')).toMatch(/malformed summary/);
    expect(report.passed).toBe(false);
  });

  it('refuses to guess when a page is full of one start_time', async () => {
    const server = new FakeServer();
    const traces = makeTraces(12, 17);
    for (const t of traces) {
      const shift = traces[0]!.spans[0]!.start_time - t.spans[0]!.start_time;
      for (const s of t.spans) {
        s.start_time += shift;
        s.end_time += shift;
      }
    }
    const report = await verify(server, deliverAll(traces, server).all(), OPTS);
    expect(report.listErrors).toBe(1);
    expect(report.passed).toBe(false);
  });

  it('catches a missing trace', async () => {
    const server = new FakeServer();
    const traces = makeTraces(10, 5);
    const ledger = deliverAll(traces, server);
    server.traces.delete(traces[3]!.trace_id);
    const report = await verify(server, ledger.all(), OPTS);
    expect(report).toMatchObject({ expected: 10, found: 9, missing: 1, totalOk: false, passed: false });
  });

  it('catches a lost child and a foreign span', async () => {
    const server = new FakeServer();
    const traces = makeTraces(10, 6);
    const ledger = deliverAll(traces, server);
    server.traces.set(traces[0]!.trace_id, server.traces.get(traces[0]!.trace_id)!.slice(0, -1));
    const extra = { ...traces[1]!.spans[1]!, span_id: '00000000-0000-4000-8000-000000000000' };
    server.traces.get(traces[1]!.trace_id)!.push(extra);
    const report = await verify(server, ledger.all(), OPTS);
    expect(report.spanMismatches).toBe(2);
    expect(report.summaryMismatches).toBe(2); // span_count differs too
    expect(report.passed).toBe(false);
  });

  it.each([
    ['a rounded end_time', (spans: Array<Record<string, unknown>>) => (spans[0]!.end_time = BigInt(Number(spans[0]!.end_time)) + 1n)],
    ['a null parent on the root', (spans: Array<Record<string, unknown>>) => spans.forEach((s) => s.parent_span_id === undefined && (s.parent_span_id = null))],
    ['dropped tags', (spans: Array<Record<string, unknown>>) => delete spans[0]!.tags],
    ['a wrong status', (spans: Array<Record<string, unknown>>) => (spans[1]!.status = spans[1]!.status === 'ok' ? 'error' : 'ok')],
    ['descending order', (spans: Array<Record<string, unknown>>) => spans.reverse()],
  ])('catches %s in the detail', async (_name, mutate) => {
    const server = new FakeServer({ detail: mutate });
    const report = await verify(server, deliverAll(makeTraces(6, 7), server).all(), OPTS);
    expect(report.detailMismatches).toBe(6);
    expect(report.passed).toBe(false);
  });

  it('catches a listing that is not ordered by start_time desc', async () => {
    const server = new FakeServer({ misorder: true });
    const report = await verify(server, deliverAll(makeTraces(5, 8), server).all(), OPTS);
    expect(report.listErrors).toBeGreaterThan(0);
    expect(report.passed).toBe(false);
  });

  it('flags traces the run never sent (server not fresh)', async () => {
    const server = new FakeServer();
    const ledger = deliverAll(makeTraces(5, 9), server);
    server.store(makeTraces(1, 99)[0]!.spans);
    const report = await verify(server, ledger.all(), OPTS);
    expect(report).toMatchObject({ expected: 5, found: 6, unexpected: 1, passed: false });
  });

  it('tolerates traces whose delivery is uncertain, and forbids refused ones', async () => {
    const traces = makeTraces(6, 10);
    const make = (storeUncertain: boolean, storeRefused: boolean) => {
      const server = new FakeServer();
      const ledger = new Ledger();
      traces.forEach((t, i) => {
        ledger.register(t);
        const state = i === 0 ? 'uncertain' : i === 1 ? 'rejected' : 'delivered';
        ledger.settle(t.spans, state);
        if (state === 'delivered' || (state === 'uncertain' && storeUncertain) || (state === 'rejected' && storeRefused)) server.store(t.spans);
      });
      return { server, ledger };
    };
    for (const storeUncertain of [false, true]) {
      const { server, ledger } = make(storeUncertain, false);
      const report = await verify(server, ledger.all(), OPTS);
      expect(report).toMatchObject({ expected: 4, uncertain: 1, passed: true });
    }
    const { server, ledger } = make(false, true);
    const report = await verify(server, ledger.all(), OPTS);
    expect(report.unexpected).toBe(1);
    expect(report.passed).toBe(false);
  });

  it('requires only the root-derived summary fields of partially delivered traces', async () => {
    const t = makeTraces(1, 11)[0]!;
    const server = new FakeServer();
    const ledger = new Ledger();
    ledger.register(t);
    ledger.settle(t.spans.slice(0, -1), 'delivered');
    ledger.settle(t.spans.slice(-1), 'rejected');
    server.store(t.spans.slice(0, -1));
    expect(verdictOf(ledger.get(t.trace_id)!)).toBe('partial');
    const report = await verify(server, ledger.all(), OPTS);
    expect(report).toMatchObject({ expected: 1, found: 1, missing: 0, spanMismatches: 0, summaryMismatches: 0, passed: true });
  });

  it('expects traces older than the window to be gone', async () => {
    const windowNs = BigInt(WINDOW_MINUTES) * 60n * S;
    const old = makeTraces(3, 12, NOW - windowNs - 120n * S);
    const fresh = makeTraces(4, 13);
    // A server that evicts: passes.
    const evicting = new FakeServer({ windowStartNs: NOW - windowNs });
    const report = await verify(evicting, deliverAll([...old, ...fresh], evicting).all(), OPTS);
    expect(report).toMatchObject({ expected: 4, found: 4, passed: true, totalFilteredAfter: undefined });
    // A server that never evicts: the stale traces show up.
    const hoarding = new FakeServer();
    const bad = await verify(hoarding, deliverAll([...old, ...fresh], hoarding).all(), OPTS);
    expect(bad.unexpected).toBe(3);
    expect(bad.passed).toBe(false);
  });

  it('counts with after=… when traces sit right at the window edge', async () => {
    const windowNs = BigInt(WINDOW_MINUTES) * 60n * S;
    const edge = makeTraces(3, 14, NOW - windowNs + 1n * S);
    const fresh = makeTraces(4, 15);
    // Whether the server has evicted the edge traces yet is a matter of
    // timing; both must pass.
    for (const evicted of [false, true]) {
      const server = new FakeServer({ windowStartNs: evicted ? NOW - windowNs + 2n * S : undefined });
      const ledger = deliverAll([...edge, ...fresh], server);
      const report = await verify(server, ledger.all(), OPTS);
      // Listed edge traces are checked in full; evicted ones are skipped.
      expect(report).toMatchObject({ expected: 4, found: 4, edgeSkipped: evicted ? 3 : 0, passed: true });
      expect(report.totalFilteredAfter).toBe(NOW - windowNs + 12n * S); // skew 2 s + headroom 10 s
    }
  });

  it('judges each request by its own time, so traces ageing out mid-verification are not "missing"', async () => {
    const windowNs = BigInt(WINDOW_MINUTES) * 60n * S;
    let now = NOW;
    const run = async (loseFresh: boolean) => {
      now = NOW;
      // Every request takes one second of (fake) time; the server evicts as it goes.
      const server = new FakeServer({ onRequest: () => (now += S), windowStartNs: () => now - windowNs });
      const ageing = makeTraces(3, 20, NOW - windowNs + 3n * S + S / 2n); // inside at the first request, gone soon after
      const fresh = makeTraces(5, 21);
      const ledger = deliverAll([...ageing, ...fresh], server);
      if (loseFresh) server.traces.delete(fresh[0]!.trace_id);
      return verify(server, ledger.all(), { ...OPTS, clock: () => now, concurrency: 1 });
    };
    const ok = await run(false);
    expect(ok.missing).toBe(0);
    expect(ok.edgeSkipped).toBeGreaterThan(0);
    expect(ok.passed).toBe(true);
    const bad = await run(true);
    expect(bad.missing).toBe(1);
    expect(bad.passed).toBe(false);
  });

  it('accepts the surviving children of a trace whose root just aged out, but only at the edge', async () => {
    const windowNs = BigInt(WINDOW_MINUTES) * 60n * S;
    const t = makeTraces(1, 22, NOW - windowNs)[0]!;
    // Children start well after the root so they outlive it.
    t.spans.slice(1).forEach((c) => {
      c.start_time = t.spans[0]!.start_time + 100_000_000n;
      c.end_time = c.start_time + 1n;
    });
    t.spans[0]!.end_time = t.spans[0]!.start_time + 200_000_000n;
    const server = new FakeServer({ perSpanEviction: true, windowStartNs: t.spans[0]!.start_time + 1n });
    const ledger = deliverAll([t, ...makeTraces(3, 23)], server);
    const report = await verify(server, ledger.all(), OPTS);
    expect(report).toMatchObject({ spanMismatches: 0, edgeSkipped: 1, passed: true });
  });

  it('reports checks it could not make as unchecked', async () => {
    const server = new FakeServer();
    const ledger = deliverAll(makeTraces(5, 16), server);
    const failing: TraceApi = {
      get: (path) => (path.startsWith('/traces/') ? Promise.reject(new Error('socket hang up')) : server.get(path)),
    };
    const report = await verify(failing, ledger.all(), OPTS);
    expect(report.unchecked).toBe(5);
    expect(report.passed).toBe(false);
  });
});
