import { describe, expect, it } from 'vitest';
import { arrivals, inSurge, nextArrivalMs, planSurges, rateAt, SURGE_FACTOR, type Surge } from './poisson.js';
import { seededRandom } from './random.js';

describe('planSurges', () => {
  it('plans ordered, non-overlapping 2–6 s surges inside the horizon', () => {
    for (let seed = 0; seed < 50; seed += 1) {
      const surges = planSurges(seededRandom(seed), 600_000);
      let previousEnd = 0;
      for (const s of surges) {
        expect(s.startMs).toBeGreaterThanOrEqual(previousEnd);
        expect(s.startMs).toBeLessThan(600_000);
        expect(s.endMs - s.startMs).toBeGreaterThanOrEqual(2_000);
        expect(s.endMs - s.startMs).toBeLessThanOrEqual(6_000);
        previousEnd = s.endMs;
      }
    }
  });

  it('averages one surge per ~19 s (15 s gap + 4 s surge)', () => {
    let count = 0;
    for (let seed = 0; seed < 20; seed += 1) count += planSurges(seededRandom(seed), 600_000).length;
    const perRun = count / 20;
    expect(perRun).toBeGreaterThan(600 / 19 - 6);
    expect(perRun).toBeLessThan(600 / 19 + 6);
  });
});

describe('arrivals', () => {
  it('are strictly increasing and inside the horizon', () => {
    const r = seededRandom(1);
    const surges = planSurges(r, 60_000);
    const times = [...arrivals(r, 60_000, 5, surges)];
    times.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(60_000);
      if (i > 0) expect(t).toBeGreaterThan(times[i - 1]!);
    });
  });

  it('average the base rate without surges', () => {
    const n = [...arrivals(seededRandom(2), 1_000_000, 5, [])].length; // expect 5000, sd ~71
    expect(n).toBeGreaterThan(4700);
    expect(n).toBeLessThan(5300);
  });

  it('have exponential gaps (coefficient of variation ~1, not a fixed tick)', () => {
    const times = [...arrivals(seededRandom(3), 2_000_000, 5, [])];
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeGreaterThan(190);
    expect(mean).toBeLessThan(210);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
  });

  it('run 4x faster inside surges', () => {
    const surges: Surge[] = [];
    for (let t = 10_000; t < 1_000_000; t += 20_000) surges.push({ startMs: t, endMs: t + 10_000 });
    const times = [...arrivals(seededRandom(4), 1_000_000, 5, surges)];
    const inside = times.filter((t) => inSurge(t, surges)).length;
    const outside = times.length - inside;
    // equal time inside and outside, so the counts should be ~4:1
    expect(inside / outside).toBeGreaterThan(SURGE_FACTOR * 0.9);
    expect(inside / outside).toBeLessThan(SURGE_FACTOR * 1.1);
  });
});

describe('rateAt / nextArrivalMs', () => {
  it('switches rate exactly at surge boundaries', () => {
    const surges = [{ startMs: 1000, endMs: 3000 }];
    expect(rateAt(999.9, 5, surges)).toBe(5);
    expect(rateAt(1000, 5, surges)).toBe(20);
    expect(rateAt(2999.9, 5, surges)).toBe(20);
    expect(rateAt(3000, 5, surges)).toBe(5);
  });

  it('always moves forward', () => {
    const r = seededRandom(5);
    const surges = planSurges(r, 100_000);
    let t = 0;
    for (let i = 0; i < 1000; i += 1) {
      const next = nextArrivalMs(r, t, 5, surges);
      expect(next).toBeGreaterThan(t);
      t = next;
    }
  });
});
