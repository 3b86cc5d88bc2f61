// Tail decisions remembered for the retention time, compactly, without mixing ids up.
import { describe, expect, it } from 'vitest';
import { DecisionMemory } from '../../src/sampling/decision-memory.js';
import { uuid } from '../support/spans.js';

const RETAIN_MS = 35 * 60_000;
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

describe('DecisionMemory', () => {
  it('answers kept, dropped or undecided, and a later decision replaces an earlier one', () => {
    const memory = new DecisionMemory(RETAIN_MS);
    memory.set(uuid(1), true, T0);
    memory.set(uuid(2), false, T0);
    expect(memory.get(uuid(1), T0)).toBe(true);
    expect(memory.get(uuid(2), T0)).toBe(false);
    expect(memory.get(uuid(3), T0)).toBeUndefined();
    memory.set(uuid(2), true, T0 + 1);
    expect(memory.get(uuid(2), T0 + 2)).toBe(true);
  });

  it('remembers at least the retention time, then forgets whole generations', () => {
    const memory = new DecisionMemory(RETAIN_MS);
    memory.set(uuid(1), false, T0);
    expect(memory.get(uuid(1), T0 + RETAIN_MS)).toBe(false);
    memory.set(uuid(2), true, T0 + RETAIN_MS);
    // A generation goes once its newest possible decision is older than the retention.
    expect(memory.get(uuid(1), T0 + RETAIN_MS + RETAIN_MS / 4 + 1)).toBeUndefined();
    expect(memory.get(uuid(2), T0 + RETAIN_MS + RETAIN_MS / 4 + 1)).toBe(true);
  });

  it('holds a million decisions in about 16 bytes each, with no id mistaken for another', () => {
    const memory = new DecisionMemory(RETAIN_MS);
    const n = 1_000_000;
    for (let i = 0; i < n; i++) memory.set(uuid(i, 0xde), i % 3 === 0, T0 + i);
    expect(memory.size).toBe(n);
    expect(memory.bytes() / n).toBeLessThan(24);
    for (let i = 0; i < n; i += 997) expect(memory.get(uuid(i, 0xde), T0 + n)).toBe(i % 3 === 0);
    let mistaken = 0;
    for (let i = 0; i < 200_000; i++) if (memory.get(uuid(i, 0xdf), T0 + n) !== undefined) mistaken++;
    expect(mistaken).toBe(0);
  });
});
