import { describe, expect, it } from 'vitest';
import { B3Propagator, parseB3Single } from '../src/b3-propagation.js';
import { CompositePropagator, W3CTraceContextPropagator } from '../src/propagation.js';
import { INVALID_SPAN_CONTEXT } from '../src/span.js';

const TRACE = '463ac35c9f6413ad48485a3953bb6124';
const TRACE64 = 'a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const PARENT = '0020000000000001';

describe('B3 single header', () => {
  it('reads trace, span, sampling state and parent', () => {
    expect(parseB3Single(`${TRACE}-${SPAN}-1-${PARENT}`)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(parseB3Single(`${TRACE}-${SPAN}-0`)?.traceFlags).toBe(0);
    expect(parseB3Single(`${TRACE}-${SPAN}-d`)?.traceFlags).toBe(1);
  });

  it('a deferred decision (no sampling state) is sampled', () => {
    expect(parseB3Single(`${TRACE}-${SPAN}`)?.traceFlags).toBe(1);
  });

  it('left-pads a 64-bit trace id to 128 bits, as the collector maps Zipkin spans', () => {
    expect(parseB3Single(`${TRACE64}-${SPAN}-1`)?.traceId).toBe(`0000000000000000${TRACE64}`);
  });

  it('accepts upper case and returns lower case', () => {
    expect(parseB3Single(`${TRACE.toUpperCase()}-${SPAN.toUpperCase()}-1`)).toMatchObject({ traceId: TRACE, spanId: SPAN });
  });

  it.each([
    ['a lone deny', '0'],
    ['a lone accept', '1'],
    ['a trace id of 20 digits', `${TRACE.slice(0, 20)}-${SPAN}-1`],
    ['a span id of 32 digits', `${TRACE}-${TRACE}-1`],
    ['an all-zero trace id', `${'0'.repeat(32)}-${SPAN}-1`],
    ['an all-zero span id', `${TRACE}-${'0'.repeat(16)}-1`],
    ['an unknown sampling state', `${TRACE}-${SPAN}-x`],
    ['a bad parent', `${TRACE}-${SPAN}-1-xyz`],
    ['too many fields', `${TRACE}-${SPAN}-1-${PARENT}-1`],
    ['non-hex', `${TRACE.replace('4', 'g')}-${SPAN}-1`],
  ])('rejects %s', (_name, value) => {
    expect(parseB3Single(value)).toBeUndefined();
  });
});

describe('B3Propagator', () => {
  const context = { traceId: TRACE, spanId: SPAN, traceFlags: 1 };

  it('injects the single header by default, and extracts what it injected', () => {
    const headers: Record<string, string> = {};
    const b3 = new B3Propagator();
    b3.inject(context, headers);
    expect(headers).toEqual({ b3: `${TRACE}-${SPAN}-1` });
    expect(b3.extract(headers)).toEqual({ ...context, isRemote: true });
    expect(b3.fields()).toEqual(['b3']);
  });

  it('injects the multi headers when asked, and extracts what it injected', () => {
    const headers: Record<string, string> = {};
    const b3 = new B3Propagator({ injectEncoding: 'multi' });
    b3.inject({ ...context, traceFlags: 0 }, headers);
    expect(headers).toEqual({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '0' });
    expect(b3.extract(headers)).toEqual({ ...context, traceFlags: 0, isRemote: true });
  });

  it('extracts multi headers as zipkin-js writes them (mixed case names, 64-bit ids, Flags)', () => {
    const b3 = new B3Propagator();
    expect(b3.extract({ 'X-B3-TraceId': TRACE64, 'X-B3-SpanId': SPAN, 'X-B3-ParentSpanId': PARENT, 'X-B3-Sampled': '1' })).toEqual({
      traceId: `0000000000000000${TRACE64}`,
      spanId: SPAN,
      traceFlags: 1,
      isRemote: true,
    });
    expect(b3.extract({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '0', 'x-b3-flags': '1' })?.traceFlags).toBe(1);
    expect(b3.extract({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': 'true' })?.traceFlags).toBe(1);
    expect(b3.extract(new Headers({ 'X-B3-TraceId': TRACE, 'X-B3-SpanId': SPAN })))
      .toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
  });

  it('prefers the single header over the multi headers', () => {
    const other = 'b7ad6b7169203331';
    expect(new B3Propagator().extract({ b3: `${TRACE}-${SPAN}-1`, 'x-b3-traceid': TRACE, 'x-b3-spanid': other })?.spanId).toBe(SPAN);
  });

  it('extracts nothing from missing, partial or malformed headers, and never throws', () => {
    const b3 = new B3Propagator();
    expect(b3.extract({})).toBeUndefined();
    expect(b3.extract({ 'x-b3-traceid': TRACE })).toBeUndefined();
    expect(b3.extract({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': 'maybe' })).toBeUndefined();
    expect(b3.extract({ 'x-b3-traceid': TRACE, 'x-b3-spanid': [SPAN, SPAN] })).toBeUndefined();
    expect(b3.extract({}, { get: () => { throw new Error('hostile'); } })).toBeUndefined();
  });

  it('injects nothing for an invalid context', () => {
    const headers: Record<string, string> = {};
    new B3Propagator().inject(INVALID_SPAN_CONTEXT, headers);
    new B3Propagator({ injectEncoding: 'multi' }).inject(INVALID_SPAN_CONTEXT, headers);
    expect(headers).toEqual({});
  });

  it('composes with W3C: both headers out, either one in', () => {
    const both = new CompositePropagator([new W3CTraceContextPropagator(), new B3Propagator()]);
    const headers: Record<string, string> = {};
    both.inject(context, headers);
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01`, b3: `${TRACE}-${SPAN}-1` });
    expect(both.extract({ b3: `${TRACE}-${SPAN}-1` })?.spanId).toBe(SPAN);
  });
});
