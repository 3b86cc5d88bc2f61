// Contract tests for reading traces: GET /traces (default and explicit limits, total counted
// before the limit, listing order, only rooted traces, 400 for bad query parameters) and
// GET /traces/{trace_id} (span order, 400 and 404, ids matched case-insensitively and returned in
// lowercase, 404 once the window has passed). Answers are validated against openapi.yaml by
// test/support/http.ts.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add, child, closeStarted, errorOf, expectAccepted, root, spanId, T, traceDetail, traceId, WINDOW_MINUTES } from '../support/contract-fixtures.js';
import { LOWERCASE_UUID, nsText, startCollector, type Api } from '../support/http.js';

/** The collector of the running test; closed (once) after each test that started one. */
let api: Api;
afterEach(() => closeStarted(api, () => (api = undefined as unknown as Api)));

describe('GET /traces', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('defaults to 20, limit=0 gives only the total, total counts before the limit', async () => {
    const spans = Array.from({ length: 25 }, (_, i) => root(100 + i, add(T, BigInt(i) * 1_000_000n)));
    await expectAccepted(api, spans);
    const list = await api.listTraces();
    expect(list.total).toBe(25);
    expect(list.traces).toHaveLength(20);
    // The newest 20, newest first.
    expect(list.traces.map((t) => t.trace_id)).toEqual(Array.from({ length: 20 }, (_, i) => traceId(124 - i)));

    expect(await api.listTraces('limit=0')).toEqual({ traces: [], total: 25 });
    const three = await api.listTraces('limit=3');
    expect(three.total).toBe(25);
    expect(three.traces.map((t) => t.trace_id)).toEqual([traceId(124), traceId(123), traceId(122)]);
    expect((await api.listTraces('limit=1000')).traces).toHaveLength(25);

    const after = add(T, 10n * 1_000_000n);
    const filtered = await api.listTraces(`after=${after}&limit=2`);
    expect(filtered.total).toBe(15);
    expect(filtered.traces.map((t) => t.trace_id)).toEqual([traceId(124), traceId(123)]);
    const bounded = await api.listTraces(`after=${after}&before=${add(after, 5n * 1_000_000n)}&limit=0`);
    expect(bounded).toEqual({ traces: [], total: 5 });
  });

  it('orders by start_time descending, ties by trace_id ascending', async () => {
    const S = add(T, 7n);
    await expectAccepted(api, [
      root(3, S),
      root(50, add(S, -1n)),
      root(1, S),
      root(60, add(S, 1n)),
      root(2, S),
    ]);
    const list = await api.listTraces();
    expect(list.traces.map((t) => t.trace_id)).toEqual([traceId(60), traceId(1), traceId(2), traceId(3), traceId(50)]);
    expect(list.traces.map((t) => nsText(t.start_time))).toEqual([add(S, 1n), S, S, S, add(S, -1n)]);
  });

  it('lists only rooted traces, counts every span received, and reports error from any span', async () => {
    // Children before their root; a child in error under an ok root; an orphan that never gets a root.
    await expectAccepted(api, [child(7, 1, add(T, 5n)), child(7, 2, add(T, 6n), { status: 'error' }), child(8, 1, T)]);
    expect(await api.listTraces()).toEqual({ traces: [], total: 0 });
    await expectAccepted(api, [root(7, T, { status: 'ok' })]);
    const list = await api.listTraces();
    expect(list.total).toBe(1);
    expect(list.traces[0]).toMatchObject({ trace_id: traceId(7), span_count: 3, status: 'error' });
    // The orphan's trace is still readable by id, with the spans that arrived.
    const orphan = await traceDetail(api, traceId(8));
    expect(orphan.spans.map((s) => s.span_id)).toEqual([spanId(801)]);
  });

  it.each([
    ['limit=1001', /limit/],
    ['limit=-1', /limit/],
    ['limit=1.5', /limit/],
    ['limit=abc', /limit/],
    ['limit=0x10', /limit/],
    ['limit=1e1', /limit/],
    ['limit=%205', /limit/],
    ['after=-1', /after/],
    ['before=-5', /before/],
    ['after=abc', /after/],
    ['after=1.5', /after/],
    ['before=9223372036854775808', /before/],
    ['after=99999999999999999999', /after/],
    [`after=${T}&before=${T}`, /after.*before|before.*after/],
    [`after=${add(T, 1n)}&before=${T}`, /after.*before|before.*after/],
  ])('%s → 400 {error}', async (query, message) => {
    await expectAccepted(api, [root(1, T)]);
    const res = await api.get(`/traces?${query}`);
    expect(res.status, res.text).toBe(400);
    expect(errorOf(res)).toMatch(message);
  });
});

describe('GET /traces/{trace_id}', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('returns spans by start_time ascending, one nanosecond apart', async () => {
    await expectAccepted(api, [child(5, 2, add(T, 2n)), root(5, T), child(5, 3, add(T, 3n)), child(5, 1, add(T, 1n))]);
    const detail = await traceDetail(api, traceId(5));
    expect(detail.spans.map((s) => nsText(s.start_time))).toEqual([T, add(T, 1n), add(T, 2n), add(T, 3n)]);
    expect(detail.spans.map((s) => s.span_id)).toEqual([spanId(500), spanId(501), spanId(502), spanId(503)]);
  });

  it('400 for a non-UUID id, 404 for an unknown one', async () => {
    await expectAccepted(api, [root(5, T)]);
    for (const bad of ['not-a-uuid', '12345', `${traceId(5)}0`, encodeURIComponent(`urn:uuid:${traceId(5)}`)]) {
      const res = await api.get(`/traces/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(errorOf(res)).toMatch(/trace_id/);
    }
    const missing = await api.get(`/traces/${traceId(6)}`);
    expect(missing.status).toBe(404);
    expect(errorOf(missing)).not.toBe('');
  });

  it('matches ids case-insensitively and returns them in lowercase', async () => {
    const upperTrace = traceId(0xabc).toUpperCase();
    await expectAccepted(api, [
      { trace_id: upperTrace, span_id: 'ABCDEF00-0000-4000-8000-0000000000AA', start_time: T },
      { trace_id: upperTrace, span_id: 'abcdef00-0000-4000-8000-0000000000bb', parent_span_id: 'ABCDEF00-0000-4000-8000-0000000000AA', start_time: add(T, 1n) },
    ]);
    for (const id of [upperTrace, upperTrace.toLowerCase()]) {
      const detail = await traceDetail(api, id);
      expect(detail.trace_id).toBe(upperTrace.toLowerCase());
      for (const s of detail.spans) {
        expect(s.trace_id).toMatch(LOWERCASE_UUID);
        expect(s.span_id).toMatch(LOWERCASE_UUID);
      }
      expect(detail.spans.map((s) => [s.span_id, s.parent_span_id])).toEqual([
        ['abcdef00-0000-4000-8000-0000000000aa', undefined],
        ['abcdef00-0000-4000-8000-0000000000bb', 'abcdef00-0000-4000-8000-0000000000aa'],
      ]);
    }
    expect((await api.listTraces()).traces[0]!.trace_id).toBe(upperTrace.toLowerCase());
  });

  it('404 once the window has passed the trace', async () => {
    await expectAccepted(api, [root(5, T), child(5, 1, add(T, 1n))]);
    expect((await api.get(`/traces/${traceId(5)}`)).status).toBe(200);
    // T is 10 minutes before now; the window edge passes it after 20 more minutes.
    api.clock.advance((WINDOW_MINUTES - 10) * 60_000 - 1000);
    expect((await api.get(`/traces/${traceId(5)}`)).status).toBe(200);
    api.clock.advance(2000);
    const gone = await api.get(`/traces/${traceId(5)}`);
    expect(gone.status).toBe(404);
    expect(errorOf(gone)).not.toBe('');
    expect(await api.listTraces()).toEqual({ traces: [], total: 0 });
  });
});
