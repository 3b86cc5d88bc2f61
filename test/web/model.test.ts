// The dashboard's pure pieces: lossless JSON, the span tree, URL state, filters, summary numbers
// and the service-map layout.

import { describe, expect, it } from 'vitest';
import { parseLossless, quoteLongIntegers, nsField } from '../../web/src/api/lossless-json.js';
import type { TraceSummary } from '../../web/src/api/types.js';
import { deriveEdges } from '../../web/src/model/dependencies.js';
import { layoutGraph } from '../../web/src/model/graph-layout.js';
import { latencyShape } from '../../web/src/model/latency-shape.js';
import { msToNs, nsToMs } from '../../web/src/model/ns.js';
import { buildSpanTree, visibleRows } from '../../web/src/model/span-tree.js';
import { percentile, ratePerSec, readCounter, summarize } from '../../web/src/model/summary.js';
import { matchesInBrowser, serverFilterParams } from '../../web/src/model/trace-filter.js';
import { DEFAULT_VIEW, EMPTY_FILTERS, formatViewState, parseViewState } from '../../web/src/model/view-state.js';

describe('lossless JSON', () => {
  it('keeps every digit of an int64 nanosecond time', () => {
    const body = parseLossless('{"start_time":1713484800123456789,"span_count":4}') as Record<string, unknown>;
    expect(body.start_time).toBe('1713484800123456789');
    expect(body.span_count).toBe(4);
  });

  it('leaves digits inside strings, floats and short integers alone', () => {
    const text = '{"a":"12345678901234567890","b":1.5e18,"c":-12,"d":"x\\"1234567890123456789"}';
    expect(quoteLongIntegers(text)).toBe(text);
  });

  it('quotes negative and nested long integers', () => {
    expect(parseLossless('[-9223372036854775808,{"x":[1713484800000000001]}]')).toEqual(['-9223372036854775808', { x: ['1713484800000000001'] }]);
  });

  it('reads a nanosecond field from text or a safe number', () => {
    expect(nsField('1713484800123456789')).toBe('1713484800123456789');
    expect(nsField(42)).toBe('42');
    expect(nsField('12a')).toBeUndefined();
  });

  it('converts nanoseconds to milliseconds and back to the microsecond', () => {
    expect(nsToMs('1713484800123456789')).toBeCloseTo(1713484800123.4568, 3);
    expect(msToNs(1713484800123.5)).toBe('1713484800123500000');
  });
});

describe('span tree', () => {
  const span = (id: string, parent: string | undefined, start: number, end: number) => ({
    span_id: id,
    parent_span_id: parent,
    start_time: String(1000 + start),
    end_time: String(1000 + end),
  });

  it('orders children by start time and computes depth', () => {
    const tree = buildSpanTree([span('c2', 'r', 50, 60), span('r', undefined, 0, 100), span('c1', 'r', 10, 20), span('g', 'c1', 11, 12)]);
    expect(visibleRows(tree, new Set()).map((n) => [n.span.span_id, n.depth])).toEqual([
      ['r', 0],
      ['c1', 1],
      ['g', 2],
      ['c2', 1],
    ]);
    expect(tree.root?.span.span_id).toBe('r');
    expect(tree.byId.get('r')!.descendants).toBe(3);
  });

  it('flags a span whose parent never arrived and lists it after the tree', () => {
    const tree = buildSpanTree([span('r', undefined, 0, 100), span('o', 'gone', 5, 10), span('oc', 'o', 6, 7)]);
    expect(tree.orphans.map((n) => n.span.span_id)).toEqual(['o']);
    expect(visibleRows(tree, new Set()).map((n) => [n.span.span_id, n.orphan, n.depth])).toEqual([
      ['r', false, 0],
      ['o', true, 0],
      ['oc', false, 1],
    ]);
  });

  it('hides the subtree of a collapsed span', () => {
    const tree = buildSpanTree([span('r', undefined, 0, 100), span('a', 'r', 1, 50), span('b', 'a', 2, 40), span('c', 'r', 60, 70)]);
    expect(visibleRows(tree, new Set(['a'])).map((n) => n.span.span_id)).toEqual(['r', 'a', 'c']);
  });

  it('breaks a parent cycle instead of losing the spans', () => {
    const tree = buildSpanTree([span('x', 'y', 0, 10), span('y', 'x', 1, 5)]);
    expect(visibleRows(tree, new Set()).map((n) => n.span.span_id).sort()).toEqual(['x', 'y']);
    expect(tree.orphans.length).toBe(1);
  });

  it('spans the whole trace on its time axis', () => {
    const tree = buildSpanTree([span('r', undefined, 5, 100), span('late', 'r', 90, 130)]);
    expect(tree.startNs).toBe(1005n);
    expect(tree.endNs).toBe(1130n);
  });
});

describe('view state in the URL', () => {
  it('round-trips filters, a pinned range and options', () => {
    const state = {
      ...DEFAULT_VIEW,
      view: 'live' as const,
      filters: {
        service: 'checkout',
        operation: 'pay',
        status: 'error' as const,
        minMs: 100,
        maxMs: 2500,
        tags: ['region:eu', 'http.status:500'],
        partialOnly: true,
      },
      range: { kind: 'fixed' as const, after: '1713484800000000000', before: '1713484900000000000' },
      colorBy: 'service' as const,
      logY: true,
    };
    const text = formatViewState(state);
    expect(text).toContain('service=checkout');
    expect(text).toContain('tag=region%3Aeu');
    expect(parseViewState(`?${text}`)).toEqual(state);
  });

  it('keeps the default view out of the URL', () => {
    expect(formatViewState(DEFAULT_VIEW)).toBe('');
    expect(parseViewState('')).toEqual(DEFAULT_VIEW);
  });

  it('opens a trace only with an id, and ignores nonsense', () => {
    expect(parseViewState('?view=trace').view).toBe('live');
    const s = parseViewState('?view=trace&trace=ABC&status=maybe&min_ms=-3&after=5&before=2&last=1h');
    expect(s).toMatchObject({ view: 'trace', traceId: 'abc', filters: { status: '', minMs: undefined }, range: { kind: 'live', lastMs: 3_600_000 } });
  });
});

describe('filters', () => {
  const t: TraceSummary = {
    trace_id: 't',
    root_service: 'checkout',
    root_operation: 'place_order',
    span_count: 3,
    duration_ms: 120,
    start_time: '1',
    status: 'error',
  };

  it('are sent with the search extension’s parameter names', () => {
    expect(serverFilterParams({ ...EMPTY_FILTERS, service: 's', status: 'ok', minMs: 5, tags: ['a:b'], partialOnly: true })).toEqual([
      ['service', 's'],
      ['status', 'ok'],
      ['min_duration_ms', '5'],
      ['tag', 'a:b'],
      ['partial', 'true'],
    ]);
  });

  it('send whole-millisecond duration bounds, rounded inward', () => {
    expect(serverFilterParams({ ...EMPTY_FILTERS, minMs: 12.5, maxMs: 99.9 })).toEqual([
      ['min_duration_ms', '13'],
      ['max_duration_ms', '99'],
    ]);
  });

  it('are checked in the browser against what a summary carries', () => {
    expect(matchesInBrowser(t, { ...EMPTY_FILTERS, service: 'checkout', status: 'error', minMs: 100, maxMs: 120 })).toBe(true);
    expect(matchesInBrowser(t, { ...EMPTY_FILTERS, service: 'payment' })).toBe(false);
    expect(matchesInBrowser({ ...t, services: ['checkout', 'payment'] }, { ...EMPTY_FILTERS, service: 'payment' })).toBe(true);
    expect(matchesInBrowser(t, { ...EMPTY_FILTERS, maxMs: 119 })).toBe(false);
  });
});

describe('summary numbers', () => {
  it('uses the nearest-rank percentile', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
    expect(percentile([], 95)).toBeUndefined();
  });

  it('counts error traces', () => {
    const base = { trace_id: 'x', root_service: 's', root_operation: 'o', span_count: 1, start_time: '1' };
    const s = summarize([
      { ...base, duration_ms: 10, status: 'ok' },
      { ...base, duration_ms: 20, status: 'error' },
    ]);
    expect(s).toMatchObject({ count: 2, errors: 1, errorRate: 0.5, p95Ms: 20 });
  });

  it('reads a Prometheus counter and turns two samples into a rate', () => {
    const text = [
      '# HELP traced_spans_accepted_total Spans accepted',
      '# TYPE traced_spans_accepted_total counter',
      'traced_spans_accepted_total 1200',
      'traced_spans_accepted_total_other 5',
    ].join('\n');
    expect(readCounter(text, 'traced_spans_accepted_total')).toBe(1200);
    expect(readCounter('x{a="1"} 2\nx{a="2"} 3\n', 'x')).toBe(5);
    expect(readCounter(text, 'missing')).toBeUndefined();
    expect(ratePerSec({ value: 1000, atMs: 0 }, { value: 1600, atMs: 3000 })).toBe(200);
    expect(ratePerSec({ value: 1000, atMs: 0 }, { value: 10, atMs: 3000 })).toBeUndefined();
  });

  it('spreads the known share of requests between percentiles', () => {
    const bins = latencyShape({ p50_ms: 10, p90_ms: 40, p95_ms: 60, p99_ms: 100, max_ms: 400 });
    const total = bins.reduce((sum, b) => sum + b.share, 0);
    expect(total).toBeCloseTo(1, 6);
    const belowP50 = bins.filter((b) => b.toMs <= 10 + 1e-9).reduce((sum, b) => sum + b.share, 0);
    expect(belowP50).toBeGreaterThan(0.45);
    expect(belowP50).toBeLessThanOrEqual(0.5 + 1e-9);
  });
});

describe('service map layout', () => {
  it('puts callers left of their callees', () => {
    const layout = layoutGraph([
      { parent: 'checkout', child: 'inventory' },
      { parent: 'checkout', child: 'payment' },
      { parent: 'payment', child: 'fraud' },
    ]);
    const x = (id: string) => layout.nodes.get(id)!.x;
    expect(x('checkout')).toBeLessThan(x('inventory'));
    expect(x('payment')).toBeLessThan(x('fraud'));
    expect(layout.nodes.size).toBe(4);
  });

  it('survives cycles and self-calls', () => {
    const layout = layoutGraph([
      { parent: 'a', child: 'b' },
      { parent: 'b', child: 'a' },
      { parent: 'b', child: 'b' },
    ]);
    expect([...layout.nodes.keys()].sort()).toEqual(['a', 'b']);
    expect(layout.nodes.get('a')!.x).not.toBe(layout.nodes.get('b')!.x);
  });
});

describe('calls read from traces', () => {
  const span = (id: string, parent: string | undefined, service: string, ms: number, status: 'ok' | 'error' = 'ok') => ({
    span_id: id,
    parent_span_id: parent,
    service,
    start_time: '0',
    end_time: String(ms * 1_000_000),
    status,
  });

  it('counts one call per span whose parent is in another service', () => {
    const edges = deriveEdges([
      [span('r', undefined, 'checkout', 100), span('p', 'r', 'payment', 40, 'error'), span('b', 'p', 'bank', 30), span('p2', 'p', 'payment', 5)],
      [span('r', undefined, 'checkout', 100), span('p', 'r', 'payment', 60), span('o', 'gone', 'cache', 1)],
    ]);
    expect(edges).toEqual([
      { parent: 'checkout', child: 'payment', call_count: 2, error_count: 1, p95_ms: 60 },
      { parent: 'payment', child: 'bank', call_count: 1, error_count: 0, p95_ms: 30 },
    ]);
  });
});
