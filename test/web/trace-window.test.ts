// How the scatter's traces are paged out of GET /traces (web/src/api/trace-window.ts): with the
// extension's cursor, by moving `before` on a contract-only server, filters on the server or in
// the browser.

import { describe, expect, it } from 'vitest';
import type { Params, TracedApi } from '../../web/src/api/client.js';
import { loadTraceWindow } from '../../web/src/api/trace-window.js';
import { NO_CAPABILITIES, type TraceList, type TraceSummary } from '../../web/src/api/types.js';
import { EMPTY_FILTERS } from '../../web/src/model/view-state.js';

const RANGE = { kind: 'fixed' as const, after: '1000000000000000000', before: '2000000000000000000' };

/** `n` summaries, newest first, start times 10 ns apart from `top` down. */
function summaries(n: number, top = 1_500_000_000_000_000_000n, service = 'checkout'): TraceSummary[] {
  return Array.from({ length: n }, (_, i) => ({
    trace_id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    root_service: i % 2 === 0 ? service : 'search',
    root_operation: 'op',
    span_count: 2,
    duration_ms: i,
    start_time: (top - BigInt(i) * 10n).toString(),
    status: i % 5 === 0 ? 'error' : 'ok',
  }));
}

/** A fake API answering from a list, recording every query. */
function fakeApi(answer: (params: Map<string, string[]>) => TraceList): { api: TracedApi; calls: Array<Map<string, string[]>> } {
  const calls: Array<Map<string, string[]>> = [];
  const api = {
    listTraces: async (params: Params) => {
      const map = new Map<string, string[]>();
      for (const [k, v] of params) map.set(k, [...(map.get(k) ?? []), v]);
      calls.push(map);
      return answer(map);
    },
  } as unknown as TracedApi;
  return { api, calls };
}

describe('loading the trace window', () => {
  it('follows next_cursor with the same query until the point budget', async () => {
    const all = summaries(3500);
    const { api, calls } = fakeApi((q) => {
      const from = Number(q.get('cursor')?.[0] ?? '0');
      const page = all.slice(from, from + 1000);
      return { traces: page, total: all.length, next_cursor: from + 1000 < all.length ? String(from + 1000) : undefined };
    });
    const caps = { ...NO_CAPABILITIES, search: true };
    const window = await loadTraceWindow(api, caps, RANGE, { ...EMPTY_FILTERS, service: 'checkout' }, 2500, undefined);
    expect(window.traces.length).toBe(2500);
    expect(window.total).toBe(3500);
    expect(window.truncated).toBe(true);
    expect(calls.map((c) => c.get('cursor')?.[0])).toEqual([undefined, '1000', '2000']);
    for (const c of calls) {
      expect(c.get('after')).toEqual([RANGE.after]);
      expect(c.get('before')).toEqual([RANGE.before]);
      expect(c.get('service')).toEqual(['checkout']);
    }
  });

  it('pages a contract-only server by moving before down, keeping ties and dropping repeats', async () => {
    const all = summaries(1500);
    const { api, calls } = fakeApi((q) => {
      const before = BigInt(q.get('before')![0]!);
      const page = all.filter((t) => BigInt(t.start_time) < before).slice(0, 1000);
      return { traces: page, total: all.length };
    });
    const window = await loadTraceWindow(api, NO_CAPABILITIES, RANGE, EMPTY_FILTERS, 5000, undefined);
    expect(window.traces.map((t) => t.trace_id)).toEqual(all.map((t) => t.trace_id));
    expect(calls).toHaveLength(2);
    expect(calls[1]!.get('before')).toEqual([(BigInt(all[999]!.start_time) + 1n).toString()]);
    expect(calls[0]!.has('service')).toBe(false);
  });

  it('filters in the browser when the server cannot, and never sends the filters', async () => {
    const all = summaries(40);
    const { api, calls } = fakeApi(() => ({ traces: all, total: all.length }));
    const window = await loadTraceWindow(api, NO_CAPABILITIES, RANGE, { ...EMPTY_FILTERS, service: 'search', status: 'ok' }, 1000, undefined);
    expect(window.filteredInBrowser).toBe(true);
    expect(window.traces.every((t) => t.root_service === 'search' && t.status === 'ok')).toBe(true);
    expect(window.traces.length).toBe(all.filter((t) => t.root_service === 'search' && t.status === 'ok').length);
    expect([...calls[0]!.keys()].sort()).toEqual(['after', 'before', 'limit']);
  });

  it('stops when more than a page of traces share one nanosecond', async () => {
    const same = summaries(1000).map((t) => ({ ...t, start_time: '1500000000000000000' }));
    const { api, calls } = fakeApi(() => ({ traces: same, total: 5000 }));
    const window = await loadTraceWindow(api, NO_CAPABILITIES, RANGE, EMPTY_FILTERS, 5000, undefined);
    expect(window.traces.length).toBe(1000);
    expect(calls.length).toBeLessThanOrEqual(2);
  });
});
