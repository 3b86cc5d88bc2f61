// The latency sketch: every quantile within the stated relative error of the exact value at the
// same rank, merges equal to the sketch of the union, exact counts and maximum.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencySketch, LatencyStats, RELATIVE_ERROR } from '../../src/store/sketch.js';

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

/** The nearest-rank q-quantile in ms (rank ceil(q · n), 1-based): what quantileMs estimates. */
function exactMs(sortedNs: number[], q: number): number {
  return sortedNs[Math.max(0, Math.ceil(q * sortedNs.length) - 1)]! / 1e6;
}

function withinError(estimate: number, exact: number): boolean {
  // The bound itself plus floating-point slack of a few ulps.
  return Math.abs(estimate - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9);
}

// Durations as services produce them: mostly around a typical latency, a long tail, some
// instant spans, and values across the whole int64-ns range.
const durationNs = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1_000_000, max: 500_000_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 20, noNaN: true }).map((e) => Math.floor(Math.exp(e) * 1000)) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 999_999, 1_000_000, 4_294_967_295, 9_000_000_000_000_000_000) },
);

describe('LatencySketch', () => {
  it('answers every quantile within 1% of the exact value at that rank', () => {
    fc.assert(
      fc.property(fc.array(durationNs, { minLength: 1, maxLength: 2000 }), (values) => {
        const sketch = new LatencySketch();
        for (const v of values) sketch.add(v);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of QUANTILES) {
          const estimate = sketch.quantileMs(q);
          const exact = exactMs(sorted, q);
          if (!withinError(estimate, exact)) throw new Error(`q=${q}: sketch ${estimate} ms, exact ${exact} ms`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holds the bound on a realistic million-span minute', () => {
    // Log-normal latencies around 80 ms with a heavy tail, deterministic.
    let seed = 42;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed + 0.5) / 2 ** 32;
    };
    const values: number[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const normal = Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
      values.push(Math.round(80e6 * Math.exp(0.6 * normal)));
    }
    const sketch = new LatencySketch();
    for (const v of values) sketch.add(v);
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.95, 0.99]) expect(withinError(sketch.quantileMs(q), exactMs(values, q)), `q=${q}`).toBe(true);
    // A few hundred bins, not a million values.
    expect(sketch.bytes()).toBeLessThan(8 * 1024);
  });

  it('merges into the sketch of all the values, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(durationNs, { maxLength: 200 }), { minLength: 1, maxLength: 8 }), (parts) => {
        const whole = new LatencySketch();
        for (const part of parts) for (const v of part) whole.add(v);
        const merged = new LatencySketch();
        for (const part of [...parts].reverse()) {
          const s = new LatencySketch();
          for (const v of part) s.add(v);
          merged.merge(s);
        }
        expect(merged.entries()).toEqual(whole.entries());
        expect([merged.count, merged.zeros]).toEqual([whole.count, whole.zeros]);
        for (const q of QUANTILES) expect(merged.quantileMs(q)).toBe(whole.quantileMs(q));
      }),
      { numRuns: 200 },
    );
  });

  it('gives a lower bound of every quantile within twice the relative error', () => {
    fc.assert(
      fc.property(fc.array(durationNs, { minLength: 1, maxLength: 500 }), (values) => {
        const sketch = new LatencySketch();
        for (const v of values) sketch.add(v);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of QUANTILES) {
          const exact = exactMs(sorted, q);
          const bound = sketch.quantileLowerBoundMs(q);
          if (bound > exact * (1 + 1e-9) || (exact > 0 && bound < exact * (1 - 2 * RELATIVE_ERROR) * (1 - 1e-9))) {
            throw new Error(`q=${q}: bound ${bound} ms, exact ${exact} ms`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('answers 0 for zero durations and for an empty sketch', () => {
    const s = new LatencySketch();
    expect(s.quantileMs(0.99)).toBe(0);
    s.add(0);
    s.add(0);
    s.add(5_000_000);
    expect(s.quantileMs(0.5)).toBe(0);
    expect(withinError(s.quantileMs(1), 5)).toBe(true);
  });
});

describe('LatencyStats', () => {
  it('counts spans and errors exactly and keeps the exact maximum', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(durationNs, fc.boolean()), { maxLength: 500 }), (spans) => {
        const stats = new LatencyStats();
        const half = new LatencyStats();
        const rest = new LatencyStats();
        spans.forEach(([d, e], i) => {
          stats.add(d, e);
          (i % 2 === 0 ? half : rest).add(d, e);
        });
        half.merge(rest);
        for (const s of [stats, half]) {
          expect(s.spans).toBe(spans.length);
          expect(s.errors).toBe(spans.filter(([, e]) => e).length);
          expect(s.maxNs).toBe(spans.reduce((m, [d]) => Math.max(m, d), 0));
        }
      }),
    );
  });
});
