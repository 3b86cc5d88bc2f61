import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfter } from '../src/retry.js';

describe('retry policy', () => {
  it('backs off exponentially up to the cap, with jitter between half and full', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, maxBackoffMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n, undefined, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelayMs(policy, 3, undefined, () => 0)).toBe(200);
  });

  it('prefers the server Retry-After, capped', () => {
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 1, 7_000, () => 1)).toBe(7_000);
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 1, 3_600_000, () => 1)).toBe(DEFAULT_RETRY_POLICY.maxRetryAfterMs);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
