import { describe, expect, it } from 'vitest';
import {
  CompositePropagator,
  LegacyTraceHeadersPropagator,
  W3CTraceContextPropagator,
  defaultPropagator,
  formatTraceparent,
  parseTraceparent,
} from '../src/propagation.js';
import { INVALID_SPAN_CONTEXT } from '../src/span.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${SPAN}-01`;

describe('traceparent parsing', () => {
  it('parses a valid version 00 header', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.traceFlags).toBe(0);
  });

  it('ignores optional whitespace around the value, as HTTP does', () => {
    expect(parseTraceparent(`  ${VALID}\t`)?.traceId).toBe(TRACE);
  });

  it.each([
    ['empty', ''],
    ['uppercase trace id', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['uppercase span id', `00-${TRACE}-${SPAN.toUpperCase()}-01`],
    ['uppercase flags', `00-${TRACE}-${SPAN}-0A`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['non-hex version', `0g-${TRACE}-${SPAN}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['long span id', `00-${TRACE}-${SPAN}0-01`],
    ['54 characters', VALID.slice(0, 54)],
    ['version 00 with trailing data', `${VALID}-extra`],
    ['version 00 with a trailing character', `${VALID}0`],
    ['wrong delimiter', `00_${TRACE}_${SPAN}_01`],
    ['non-hex flags', `00-${TRACE}-${SPAN}-xy`],
    ['whitespace inside', `00-${TRACE} -${SPAN}-01`],
    ['two headers joined by Node', `${VALID}, ${VALID}`],
    ['future version, junk right after flags', `cc-${TRACE}-${SPAN}-01x`],
  ])('rejects %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('rejects non-strings and repeated headers', () => {
    expect(parseTraceparent(undefined)).toBeUndefined();
    expect(parseTraceparent(null)).toBeUndefined();
    expect(parseTraceparent([VALID, VALID])).toBeUndefined();
  });

  it('accepts a future version by its first four fields', () => {
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 1,
    });
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-03`)?.traceFlags).toBe(3);
  });

  it('formats version 00 with lowercase hex and two-digit flags', () => {
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 1 })).toBe(VALID);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0 })).toBe(`00-${TRACE}-${SPAN}-00`);
  });
});

describe('W3CTraceContextPropagator', () => {
  const w3c = new W3CTraceContextPropagator();

  it('extracts from Node-style headers and passes tracestate through unchanged', () => {
    const tracestate = 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7';
    expect(w3c.extract({ traceparent: VALID, tracestate })).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 1,
      traceState: tracestate,
      isRemote: true,
    });
  });

  it('extracts from fetch Headers and from records with unusual casing', () => {
    expect(w3c.extract(new Headers({ TraceParent: VALID }))?.spanId).toBe(SPAN);
    expect(w3c.extract({ TraceParent: VALID })?.spanId).toBe(SPAN);
  });

  it('ignores tracestate when traceparent is malformed', () => {
    expect(w3c.extract({ traceparent: 'garbage', tracestate: 'a=b' })).toBeUndefined();
  });

  it('never throws on hostile carriers', () => {
    const throwing = { get traceparent(): string { throw new Error('boom'); } };
    expect(w3c.extract(throwing)).toBeUndefined();
    expect(w3c.extract(undefined)).toBeUndefined();
    expect(w3c.extract(42)).toBeUndefined();
    expect(w3c.extract({ traceparent: 42 as unknown as string })).toBeUndefined();
  });

  it('injects traceparent and the unchanged tracestate', () => {
    const headers = new Headers();
    w3c.inject({ traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: 'a=1,b=2' }, headers);
    expect(headers.get('traceparent')).toBe(VALID);
    expect(headers.get('tracestate')).toBe('a=1,b=2');
    const record: Record<string, string> = {};
    w3c.inject({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }, record);
    expect(record).toEqual({ traceparent: VALID });
  });

  it('injects nothing for an invalid context', () => {
    const record: Record<string, string> = {};
    w3c.inject(INVALID_SPAN_CONTEXT, record);
    expect(record).toEqual({});
  });
});

describe('legacy X-Trace-ID / X-Span-ID', () => {
  const legacy = new LegacyTraceHeadersPropagator();

  it('accepts UUID and hex forms, any case, and lowercases them', () => {
    const fromUuids = legacy.extract({
      'x-trace-id': '4BF92F35-77B3-4DA6-A3CE-929D0E0E4736',
      'x-span-id': '00000000-0000-0000-00F0-67AA0BA902B7',
    });
    expect(fromUuids).toMatchObject({ traceId: TRACE, spanId: SPAN, isRemote: true });
    expect(fromUuids?.tracedSpanId).toBeUndefined();
    const fromHex = legacy.extract({ 'X-Trace-ID': TRACE.toUpperCase(), 'X-Span-ID': SPAN });
    expect(fromHex).toMatchObject({ traceId: TRACE, spanId: SPAN });
  });

  it('keeps a full random span UUID verbatim for the Traced parent link', () => {
    const context = legacy.extract({
      'x-trace-id': '550e8400-e29b-41d4-a716-446655440000',
      'x-span-id': '6BA7B810-9DAD-11D1-80B4-00C04FD430C8',
    });
    expect(context?.traceId).toBe('550e8400e29b41d4a716446655440000');
    expect(context?.tracedSpanId).toBe('6ba7b810-9dad-11d1-80b4-00c04fd430c8');
    expect(context?.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('needs both headers, valid and non-zero', () => {
    expect(legacy.extract({ 'x-trace-id': TRACE })).toBeUndefined();
    expect(legacy.extract({ 'x-span-id': SPAN })).toBeUndefined();
    expect(legacy.extract({ 'x-trace-id': '0'.repeat(32), 'x-span-id': SPAN })).toBeUndefined();
    expect(legacy.extract({ 'x-trace-id': TRACE, 'x-span-id': 'nope' })).toBeUndefined();
  });
});

describe('default propagator', () => {
  it('prefers traceparent over legacy headers', () => {
    const other = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const context = defaultPropagator.extract({ traceparent: VALID, 'x-trace-id': other, 'x-span-id': SPAN });
    expect(context?.traceId).toBe(TRACE);
  });

  it('falls back to legacy headers when traceparent is malformed', () => {
    const context = defaultPropagator.extract({ traceparent: 'bad', 'x-trace-id': TRACE, 'x-span-id': SPAN });
    expect(context?.traceId).toBe(TRACE);
  });

  it('injects only W3C headers', () => {
    const record: Record<string, string> = {};
    defaultPropagator.inject({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }, record);
    expect(Object.keys(record)).toEqual(['traceparent']);
  });

  it('survives a member that throws on inject', () => {
    const composite = new CompositePropagator([
      { inject: () => { throw new Error('boom'); }, extract: () => undefined, fields: () => [] },
      new W3CTraceContextPropagator(),
    ]);
    const record: Record<string, string> = {};
    composite.inject({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }, record);
    expect(record.traceparent).toBe(VALID);
  });
});
