// Builders shared by the tests: spans with exact nanosecond times, and uuids from small numbers.
import type { IngestSpan } from '../../src/store/trace-store.js';

/** A deterministic UUID from a number, e.g. uuid(5) = 00000000-0000-4000-8000-000000000005. */
export function uuid(n: number, prefix = 0): string {
  const hex = n.toString(16).padStart(12, '0');
  const head = prefix.toString(16).padStart(8, '0');
  return `${head}-0000-4000-8000-${hex}`;
}

/** Nanoseconds (as exact text) for a millisecond clock reading plus extra nanoseconds. */
export function nsAt(ms: number, extraNs = 0n): string {
  return (BigInt(ms) * 1_000_000n + extraNs).toString();
}

export function span(overrides: Partial<IngestSpan> & Pick<IngestSpan, 'traceId' | 'spanId' | 'startTime'>): IngestSpan {
  return {
    parentSpanId: undefined,
    service: 'checkout',
    operation: 'place_order',
    endTime: (BigInt(overrides.startTime) + 150_000_000n).toString(),
    error: false,
    tags: undefined,
    ...overrides,
  };
}
