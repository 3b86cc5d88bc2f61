import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  RandomIdGenerator,
  isUuid,
  spanIdBytesToUuid,
  spanIdToUuid,
  traceIdBytesToUuid,
  traceIdToUuid,
  uuidToSpanId,
  uuidToTraceId,
} from '../src/ids.js';

const hexDigits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'.split('')), minLength: length, maxLength: length });
const nonZero = (s: string) => /[1-9a-fA-F]/.test(s);

describe('id mapping between W3C and Traced', () => {
  it('maps a trace id to the same 32 digits dashed 8-4-4-4-12, lowercased', () => {
    expect(traceIdToUuid('4BF92F3577B34DA6A3CE929D0E0E4736')).toBe('4bf92f35-77b3-4da6-a3ce-929d0e0e4736');
    expect(uuidToTraceId('4BF92F35-77B3-4DA6-A3CE-929D0E0E4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('maps a span id into the lower 64 bits of a UUID whose upper 64 bits are zero', () => {
    expect(spanIdToUuid('00F067AA0BA902B7')).toBe('00000000-0000-0000-00f0-67aa0ba902b7');
    expect(uuidToSpanId('00000000-0000-0000-00F0-67AA0BA902B7')).toBe('00f067aa0ba902b7');
  });

  it('round-trips any non-zero trace id, both directions', () => {
    fc.assert(
      fc.property(hexDigits(32).filter(nonZero), (hex) => {
        const uuid = traceIdToUuid(hex)!;
        expect(isUuid(uuid)).toBe(true);
        expect(uuid).toBe(uuid.toLowerCase());
        expect(uuidToTraceId(uuid)).toBe(hex.toLowerCase());
        expect(traceIdToUuid(uuidToTraceId(uuid.toUpperCase())!)).toBe(uuid);
      }),
    );
  });

  it('round-trips any non-zero span id, both directions', () => {
    fc.assert(
      fc.property(hexDigits(16).filter(nonZero), (hex) => {
        const uuid = spanIdToUuid(hex)!;
        expect(uuid.startsWith('00000000-0000-0000-')).toBe(true);
        expect(uuidToSpanId(uuid)).toBe(hex.toLowerCase());
        expect(spanIdToUuid(uuidToSpanId(uuid.toUpperCase())!)).toBe(uuid);
      }),
    );
  });

  it('gives no span id for a UUID with a non-zero upper half (it cannot travel in traceparent)', () => {
    fc.assert(
      fc.property(hexDigits(16).filter(nonZero), hexDigits(16), (upper, lower) => {
        const hex = upper + lower;
        const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        expect(uuidToSpanId(uuid)).toBeUndefined();
      }),
    );
    expect(uuidToSpanId('6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBeUndefined();
  });

  it('rejects all-zero and malformed ids in every direction', () => {
    expect(traceIdToUuid('0'.repeat(32))).toBeUndefined();
    expect(spanIdToUuid('0'.repeat(16))).toBeUndefined();
    expect(uuidToTraceId('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(uuidToSpanId('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    for (const bad of ['', 'xyz', '4bf92f3577b34da6a3ce929d0e0e473', '4bf92f3577b34da6a3ce929d0e0e47366', 'g'.repeat(32)]) {
      expect(traceIdToUuid(bad)).toBeUndefined();
    }
    for (const bad of ['', '00f067aa0ba902b', '00f067aa0ba902b77', '00f067aa-ba902b7']) expect(spanIdToUuid(bad)).toBeUndefined();
    for (const bad of ['4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f35-77b3-4da6-a3ce-929d0e0e473', '{4bf92f35-77b3-4da6-a3ce-929d0e0e4736}']) {
      expect(uuidToTraceId(bad)).toBeUndefined();
    }
  });

  it('maps OTLP byte ids the same way as their hex', () => {
    const trace = Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex');
    const span = Buffer.from('00f067aa0ba902b7', 'hex');
    expect(traceIdBytesToUuid(new Uint8Array(trace))).toBe('4bf92f35-77b3-4da6-a3ce-929d0e0e4736');
    expect(spanIdBytesToUuid(new Uint8Array(span))).toBe('00000000-0000-0000-00f0-67aa0ba902b7');
    expect(spanIdBytesToUuid(new Uint8Array(8))).toBeUndefined();
    expect(traceIdBytesToUuid(new Uint8Array(15))).toBeUndefined();
  });
});

describe('RandomIdGenerator', () => {
  afterEach(() => vi.restoreAllMocks());

  it('generates lowercase hex ids of 128 and 64 bits without repeats', () => {
    const ids = new RandomIdGenerator();
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      traces.add(ids.generateTraceId());
      spans.add(ids.generateSpanId());
    }
    expect(traces.size).toBe(5_000);
    expect(spans.size).toBe(5_000);
    for (const id of traces) expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const id of spans) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('never uses Math.random', () => {
    const random = vi.spyOn(Math, 'random');
    const ids = new RandomIdGenerator();
    for (let i = 0; i < 2_000; i++) {
      ids.generateTraceId();
      ids.generateSpanId();
    }
    expect(random).not.toHaveBeenCalled();
  });

  it('skips an all-zero draw instead of returning an invalid id', () => {
    // First pool all zeros, then a pattern: a generator that trusted its source would return zeros.
    const zerosFirst = () => {
      let fills = 0;
      return (buffer: Buffer) => void buffer.fill(fills++ === 0 ? 0 : 0xab);
    };
    expect(new RandomIdGenerator(zerosFirst()).generateSpanId()).toBe('abababababababab');
    expect(new RandomIdGenerator(zerosFirst()).generateTraceId()).toBe('ab'.repeat(16));
  });
});
