// The shed controller in a simulated server (virtual time, fixed service times): it refuses the
// excess over capacity, not a fixed ceiling; it never refuses a closed loop whose standing queue
// is under the target; and its shedding ends soon after the overload does.
import { describe, expect, it } from 'vitest';
import { MAX_SHED, OVERDUE_TARGETS, ShedController, UPDATE_MS } from '../../src/http/admission/shed-controller.js';
import { simulate, type SimulationOptions } from './simulated-server.js';

// 108-span batches as measured here: about 250 µs of work each, a refusal a tenth of that.
const server = { targetDelayMs: 30, serviceMs: 0.23, readMs: 0.02, refuseMs: 0.025, dropMs: 0.04 } as const;
const capacityPerSec = 1000 / (server.serviceMs + server.readMs);

/** The share of arrivals an ideal controller refuses at `rate`: the rest exactly fills the core. */
function excessShare(ratePerSec: number): number {
  const s = (server.serviceMs + server.readMs) / 1000;
  const r = server.refuseMs / 1000;
  return Math.max(0, (ratePerSec * s - 1) / (ratePerSec * (s - r)));
}

function steady(result: ReturnType<typeof simulate>, fromMs: number, toMs: number) {
  const windows = result.windows.filter((w) => w.fromMs >= fromMs && w.fromMs < toMs);
  const accepted = windows.reduce((a, w) => a + w.accepted, 0);
  const refused = windows.reduce((a, w) => a + w.refused, 0);
  const sojourns = windows.map((w) => w.maxSojournMs).sort((a, b) => a - b);
  return {
    acceptedPerSec: accepted / ((toMs - fromMs) / 1000),
    refusedShare: refused / Math.max(1, accepted + refused),
    p90WindowSojournMs: sojourns[Math.floor(sojourns.length * 0.9)] ?? 0,
  };
}

describe('shed controller in a simulated server', () => {
  it.each([2, 3, 5])('at %i× capacity refuses close to the excess, and the rest fills the core', (multiple) => {
    const rate = capacityPerSec * multiple;
    const result = simulate({ ...server, durationMs: 12_000, ratePerSec: () => rate });
    const s = steady(result, 4000, 12_000);
    const ideal = excessShare(rate);
    expect(s.refusedShare).toBeGreaterThan(ideal - 0.05);
    expect(s.refusedShare).toBeLessThan(ideal + 0.05);
    expect(s.refusedShare).toBeLessThan(MAX_SHED - 0.02);
    const gStar = (1 - (rate * server.refuseMs) / 1000) / ((server.serviceMs + server.readMs - server.refuseMs) / 1000);
    expect(s.acceptedPerSec).toBeGreaterThan(0.9 * gStar);
    // The queue is held near the target, not left to grow: an accepted batch waits at most
    // OVERDUE_TARGETS targets behind other ingest, plus the poll phase before its first turn.
    expect(s.p90WindowSojournMs).toBeLessThan(server.targetDelayMs * (OVERDUE_TARGETS + 0.5));
  });

  it('stops refusing within 2 s once the load falls below capacity, and refuses nothing after', () => {
    const result = simulate({ ...server, durationMs: 12_000, ratePerSec: (t) => capacityPerSec * (t < 6000 ? 4 : 0.5) });
    expect(steady(result, 3000, 6000).refusedShare).toBeGreaterThan(0.5);
    const after = result.windows.filter((w) => w.fromMs >= 8000);
    expect(after.every((w) => w.shedShare === 0)).toBe(true);
    expect(after.reduce((a, w) => a + w.refused, 0)).toBe(0);
    expect(steady(result, 8000, 12_000).acceptedPerSec).toBeGreaterThan(capacityPerSec * 0.45);
  });

  it.each([16, 64])('never refuses a closed loop of %i clients whose standing queue is under the target', (clients) => {
    const result = simulate({ ...server, durationMs: 6000, clients });
    expect(result.refused).toBe(0);
    expect(result.accepted / 6).toBeGreaterThan(capacityPerSec * 0.95);
  });

  it('does not shed at all when the target is 0', () => {
    const result = simulate({ ...server, targetDelayMs: 0, durationMs: 4000, ratePerSec: () => capacityPerSec * 3 });
    expect(result.refused).toBe(0);
  });

  it('does not take a short stall for overload', () => {
    // A 10 ms pause (a major garbage collection, say) every second, at 70% load.
    const options: SimulationOptions = { ...server, durationMs: 6000, ratePerSec: () => capacityPerSec * 0.7, pauseEveryMs: 1000, pauseMs: 10 };
    expect(simulate(options).refused).toBe(0);
  });
});

describe('ShedController', () => {
  it('reads a stalled queue as delay even when nothing leaves it', () => {
    const c = new ShedController({ targetDelayMs: 20 });
    c.update(0, 0);
    for (let t = UPDATE_MS; t <= 300; t += UPDATE_MS) c.update(t, t);
    expect(c.shedShare).toBeGreaterThan(0.3);
    expect(c.delayMs).toBeGreaterThan(200);
  });

  it('acts on the shortest wait of each 100 ms: waves of a closed loop that empty the queue are not shed, a standing queue is', () => {
    // Every 10 ms a wave of 10 requests waits 0, 4, …, 36 ms (mean 18 ms against a 10 ms target),
    // as a group's clients do when they come back together.
    const waves = new ShedController({ targetDelayMs: 10 });
    // The same waits, all 12 ms longer: the queue never empties.
    const standing = new ShedController({ targetDelayMs: 10 });
    waves.update(0, 0);
    standing.update(0, 0);
    for (let t = UPDATE_MS; t <= 3000; t += UPDATE_MS) {
      for (let i = 0; i < 10; i++) {
        waves.observeSojourn(i * 4);
        standing.observeSojourn(12 + i * 4);
      }
      waves.update(t, 0);
      standing.update(t, 12);
    }
    expect(waves.shedShare).toBe(0);
    expect(waves.overdue(1000)).toBe(false);
    expect(standing.shedShare).toBeGreaterThan(0.5);
  });

  it('spreads refusals evenly at its share', () => {
    const c = new ShedController({ targetDelayMs: 20 });
    c.update(0, 0);
    for (let t = UPDATE_MS; c.shedShare < 0.25; t += UPDATE_MS) c.update(t, 100);
    const share = c.shedShare;
    let refused = 0;
    const pattern: boolean[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = c.refuseNext();
      pattern.push(r);
      if (r) refused++;
    }
    expect(refused).toBeGreaterThanOrEqual(Math.floor(share * 1000));
    expect(refused).toBeLessThanOrEqual(Math.ceil(share * 1000));
    // Never two refusals in a row at a share under one half.
    expect(pattern.some((r, i) => r && pattern[i + 1])).toBe(false);
  });

  it('refuses a queued request as overdue only while shedding and past OVERDUE_TARGETS targets, and never with shedding off', () => {
    const c = new ShedController({ targetDelayMs: 20 });
    // Not shedding: a wave of a closed loop may wait long, and is still worked.
    expect(c.overdue(20 * OVERDUE_TARGETS + 1)).toBe(false);
    for (let t = 0; t <= 1000; t += UPDATE_MS) c.update(t, 200);
    expect(c.shedShare).toBeGreaterThan(0);
    expect(c.overdue(20 * OVERDUE_TARGETS)).toBe(false);
    expect(c.overdue(20 * OVERDUE_TARGETS + 1)).toBe(true);
    expect(new ShedController({ targetDelayMs: 0 }).overdue(1e9)).toBe(false);
  });
});
