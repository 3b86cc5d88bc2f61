import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonLossless, type JsonObject } from './json.js';
import { seededRandom } from './random.js';
import {
  BatchBuilder,
  CATALOGUE,
  ROOT_MAX_NS,
  ROOT_MIN_NS,
  encodeBatch,
  expectedSummary,
  generateTrace,
  type Span,
  type Trace,
} from './traffic.js';

const NOW = 1_713_484_800_123_456_789n;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function traces(seed: number, n: number, now = NOW): Trace[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => generateTrace(r, now + BigInt(i) * 7_919_000n, i % 3));
}

function checkTrace(t: Trace): void {
  expect(t.spans.length).toBeGreaterThanOrEqual(2);
  expect(t.spans.length).toBeLessThanOrEqual(5);
  const roots = t.spans.filter((s) => s.parent_span_id === undefined);
  expect(roots).toHaveLength(1);
  const root = roots[0]!;
  expect(root).toBe(t.spans[0]);
  expect('parent_span_id' in root).toBe(false);
  expect(root.end_time - root.start_time).toBeGreaterThanOrEqual(ROOT_MIN_NS);
  expect(root.end_time - root.start_time).toBeLessThanOrEqual(ROOT_MAX_NS);
  const byId = new Map(t.spans.map((s) => [s.span_id, s]));
  expect(byId.size).toBe(t.spans.length);
  t.spans.forEach((s, i) => {
    expect(s.trace_id).toBe(t.trace_id);
    expect(s.span_id).toMatch(UUID_V4);
    expect(CATALOGUE).toContainEqual({ service: s.service, operation: s.operation });
    expect(s.end_time).toBeGreaterThanOrEqual(s.start_time);
    expect(s.start_time).toBeGreaterThanOrEqual(root.start_time);
    expect(s.end_time).toBeLessThanOrEqual(root.end_time);
    expect(s.start_time.toString()).toHaveLength(19);
    expect(s.end_time.toString()).toHaveLength(19);
    if (s !== root) {
      const parent = byId.get(s.parent_span_id!);
      expect(parent).toBeDefined();
      // Generation order puts every parent before its children.
      expect(t.spans.indexOf(parent!)).toBeLessThan(i);
      expect(s.start_time).toBeGreaterThanOrEqual(parent!.start_time);
      expect(s.end_time).toBeLessThanOrEqual(parent!.end_time);
    }
  });
}

describe('generateTrace', () => {
  it('builds well-formed trees (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.bigInt({ min: 1_000_000_000_000_000_000n, max: 9_000_000_000_000_000_000n }), (seed, now) => {
        const t = generateTrace(seededRandom(seed), now);
        checkTrace(t);
        expect(t.spans[0]!.start_time).toBe(now);
        expect(t.trace_id).toMatch(UUID_V4);
      }),
      { numRuns: 300 },
    );
  });

  it('covers 1 to 4 children, the whole catalogue, and about 5% errors', () => {
    const all = traces(7, 4000);
    const sizes = new Set(all.map((t) => t.spans.length));
    expect([...sizes].sort()).toEqual([2, 3, 4, 5]);
    const kinds = new Set(all.flatMap((t) => t.spans.map((s) => `${s.service}/${s.operation}`)));
    expect(kinds.size).toBe(10);
    const spans = all.flatMap((t) => t.spans);
    const errorShare = spans.filter((s) => s.status === 'error').length / spans.length;
    expect(errorShare).toBeGreaterThan(0.03);
    expect(errorShare).toBeLessThan(0.07);
  });

  it('is reproducible from a seed', () => {
    expect(traces(42, 20)).toEqual(traces(42, 20));
    expect(traces(42, 20)).not.toEqual(traces(43, 20));
  });

  it('uses distinct ids across traces', () => {
    const ids = traces(3, 2000).flatMap((t) => [t.trace_id, ...t.spans.map((s) => s.span_id)]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('expectedSummary', () => {
  it('derives the list summary from the root and all spans', () => {
    const t = traces(11, 1)[0]!;
    const root = t.spans[0]!;
    root.start_time = 1_713_484_800_000_000_001n;
    root.end_time = 1_713_484_800_150_999_999n;
    t.spans.forEach((s) => (s.status = 'ok'));
    t.spans[t.spans.length - 1]!.status = 'error';
    expect(expectedSummary(t)).toEqual({
      trace_id: t.trace_id,
      root_service: root.service,
      root_operation: root.operation,
      span_count: t.spans.length,
      duration_ms: 150, // floor(150.999998 ms)
      start_time: 1_713_484_800_000_000_001n,
      status: 'error',
    });
  });
});

function runBuilder(seed: number, opts: { batchSize: number; disorder: number; straddle: number }, n: number) {
  const r = seededRandom(seed);
  const builder = new BatchBuilder(r, opts);
  const sent = traces(seed + 1, n);
  const batches: Span[][] = [];
  for (const t of sent) batches.push(...builder.add(t));
  const tail = builder.flush();
  return { sent, batches, tail };
}

describe('BatchBuilder', () => {
  it('emits batches of batch…batch+4 spans, loses and duplicates nothing (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 60 }),
        (seed, batchSize, disorder, straddle, n) => {
          const { sent, batches, tail } = runBuilder(seed, { batchSize, disorder, straddle }, n);
          for (const b of batches) {
            expect(b.length).toBeGreaterThanOrEqual(batchSize);
            expect(b.length).toBeLessThanOrEqual(batchSize + 4);
          }
          if (tail !== undefined) {
            expect(tail.length).toBeGreaterThan(0);
            expect(tail.length).toBeLessThan(batchSize);
          }
          const out = [...batches.flat(), ...(tail ?? [])].map((s) => s.span_id).sort();
          const want = sent.flatMap((t) => t.spans.map((s) => s.span_id)).sort();
          expect(out).toEqual(want);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps traces whole and in order without disorder or straddling', () => {
    const { batches } = runBuilder(5, { batchSize: 10, disorder: 0, straddle: 0 }, 300);
    for (const b of batches) {
      const seen = new Set<string>();
      for (const s of b) {
        if (s.parent_span_id !== undefined) expect(seen.has(s.parent_span_id)).toBe(true);
        seen.add(s.span_id);
      }
      // whole traces: every trace that appears has its root here
      const rootsHere = new Set(b.filter((s) => s.parent_span_id === undefined).map((s) => s.trace_id));
      for (const s of b) expect(rootsHere.has(s.trace_id)).toBe(true);
    }
  });

  it('shuffles with probability `disorder` so children often precede the root', () => {
    const childFirst = (disorder: number): number => {
      const { batches } = runBuilder(9, { batchSize: 10, disorder, straddle: 0 }, 2000);
      const firstOfTrace = new Map<string, Span>();
      for (const s of batches.flat()) if (!firstOfTrace.has(s.trace_id)) firstOfTrace.set(s.trace_id, s);
      return [...firstOfTrace.values()].filter((s) => s.parent_span_id !== undefined).length / firstOfTrace.size;
    };
    expect(childFirst(0)).toBe(0);
    const always = childFirst(1);
    expect(always).toBeGreaterThan(0.6); // a uniform shuffle of 2–5 spans puts the root first ~30% of the time
    const some = childFirst(0.3);
    expect(some).toBeGreaterThan(0.1);
    expect(some).toBeLessThan(0.35);
  });

  it('straddles traces across consecutive batches when asked to', () => {
    const split = (straddle: number): number => {
      const { batches } = runBuilder(13, { batchSize: 10, disorder: 0.3, straddle }, 1000);
      const batchesOf = new Map<string, Set<number>>();
      batches.forEach((b, i) => b.forEach((s) => batchesOf.set(s.trace_id, (batchesOf.get(s.trace_id) ?? new Set()).add(i))));
      for (const set of batchesOf.values()) {
        const [a, b] = [...set];
        if (b !== undefined) expect(b).toBe(a! + 1); // only ever two consecutive batches
        expect(set.size).toBeLessThanOrEqual(2);
      }
      return [...batchesOf.values()].filter((s) => s.size === 2).length;
    };
    expect(split(0)).toBe(0);
    expect(split(0.5)).toBeGreaterThan(50);
    // with straddle=1 every cut is exact
    const { batches } = runBuilder(13, { batchSize: 10, disorder: 0, straddle: 1 }, 500);
    expect(new Set(batches.map((b) => b.length))).toEqual(new Set([10]));
  });
});

describe('encodeBatch', () => {
  it('writes times as bare integers with every digit', () => {
    const t = traces(17, 1)[0]!;
    t.spans[0]!.start_time = 1_713_484_800_000_000_123n;
    t.spans[0]!.end_time = 9_223_372_036_854_775_807n; // int64 max: far beyond a double
    const text = encodeBatch(t.spans);
    expect(text).toContain('"start_time":1713484800000000123,');
    expect(text).toContain('"end_time":9223372036854775807,');
    expect(text).not.toMatch(/"(start|end)_time":"/);
    expect(text).not.toMatch(/e\+\d/);
  });

  it('round-trips losslessly and stays valid JSON (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 6 }), (seed, n) => {
        const r = seededRandom(seed);
        const spans = Array.from({ length: n }, () => generateTrace(r, NOW + BigInt(seed)).spans).flat();
        const text = encodeBatch(spans);
        expect(() => JSON.parse(text)).not.toThrow();
        const parsed = parseJsonLossless(text) as JsonObject;
        const got = parsed.spans as JsonObject[];
        expect(got).toHaveLength(spans.length);
        got.forEach((g, i) => {
          const s = spans[i]!;
          expect(g.start_time).toBe(s.start_time);
          expect(g.end_time).toBe(s.end_time);
          expect(g.span_id).toBe(s.span_id);
          expect(g.tags).toEqual(s.tags);
          expect('parent_span_id' in g).toBe(s.parent_span_id !== undefined);
          if (s.parent_span_id !== undefined) expect(g.parent_span_id).toBe(s.parent_span_id);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('escapes strings properly', () => {
    const t = traces(19, 1)[0]!;
    t.spans[0]!.tags = { 'a"b': 'line\nbreak \\ "quoted"' };
    const parsed = JSON.parse(encodeBatch(t.spans)) as { spans: Array<{ tags: Record<string, string> }> };
    expect(parsed.spans[0]!.tags).toEqual({ 'a"b': 'line\nbreak \\ "quoted"' });
  });
});
