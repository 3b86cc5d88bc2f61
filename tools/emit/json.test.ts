import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asBigInt, asSafeInt, parseJsonLossless, type JsonObject, type JsonValue } from './json.js';

describe('parseJsonLossless', () => {
  it('keeps 19-digit integers exact where JSON.parse rounds them', () => {
    const text = '{"traces":[{"start_time":1713484800000000123,"span_count":4}],"total":1}';
    expect((JSON.parse(text) as { traces: Array<{ start_time: number }> }).traces[0]!.start_time).toBe(1713484800000000000);
    const v = parseJsonLossless(text) as JsonObject;
    const item = (v.traces as JsonObject[])[0]!;
    expect(item.start_time).toBe(1_713_484_800_000_000_123n);
    expect(item.span_count).toBe(4);
    expect(v.total).toBe(1);
  });

  it('handles int64 extremes and negative numbers', () => {
    expect(parseJsonLossless('[9223372036854775807,-9223372036854775808,-1,0]')).toEqual([9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n, -1, 0]);
  });

  it('returns safe integers as numbers and non-integers as JSON.parse would', () => {
    expect(parseJsonLossless('[9007199254740991,9007199254740992,1.5,1e3,-0.25E-2]')).toEqual([9007199254740991, 9007199254740992n, 1.5, 1000, -0.0025]);
  });

  it('is not fooled by numbers or field names inside strings', () => {
    const text = '{"tags":{"a\\"start_time":"\\"start_time\\":1713484800000000123"},"a\\"start_time":1713484800000000124}';
    const v = parseJsonLossless(text) as JsonObject;
    expect(v.tags).toEqual({ 'a"start_time': '"start_time":1713484800000000123' });
    expect(v['a"start_time']).toBe(1_713_484_800_000_000_124n);
  });

  it('decodes escapes and unicode like JSON.parse', () => {
    const text = '{"s":"\\u00e9\\n\\t\\\\\\/ \\ud83d\\ude00","e":"","b":[true,false,null]}';
    expect(parseJsonLossless(text)).toEqual(JSON.parse(text));
  });

  it('keeps __proto__ as a plain key', () => {
    const v = parseJsonLossless('{"__proto__":{"x":1}}') as JsonObject;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
  });

  it.each(['', '{', '{"a":1,}', '[1,]', '01', '1.', '.5', '+1', 'tru', '"unterminated', '{"a" 1}', '[1] x', '"\u0001"', 'NaN', '{a:1}'])(
    'rejects %j like JSON.parse does',
    (text) => {
      expect(() => JSON.parse(text)).toThrow();
      expect(() => parseJsonLossless(text)).toThrow(SyntaxError);
    },
  );

  it('agrees with JSON.parse once big integers are rounded the same way (property)', () => {
    const anyJson = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));
    const rounded = (v: JsonValue): unknown =>
      typeof v === 'bigint'
        ? Number(v)
        : Array.isArray(v)
          ? v.map(rounded)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rounded(x)]))
            : v;
    fc.assert(
      fc.property(anyJson, (text) => {
        expect(rounded(parseJsonLossless(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('reads back any int64 exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const v = parseJsonLossless(`{"start_time":${n}}`) as JsonObject;
        expect(asBigInt(v.start_time)).toBe(n);
      }),
    );
  });
});

describe('asBigInt / asSafeInt', () => {
  it('refuses lossy or non-integer encodings', () => {
    expect(asBigInt(parseJsonLossless('1.713484800000000123e18'))).toBeUndefined();
    expect(asBigInt('1713484800000000123')).toBeUndefined();
    expect(asBigInt(2.5)).toBeUndefined();
    expect(asBigInt(undefined)).toBeUndefined();
    expect(asBigInt(42)).toBe(42n);
    expect(asSafeInt(7)).toBe(7);
    expect(asSafeInt(7.5)).toBeUndefined();
    expect(asSafeInt(10n ** 20n)).toBeUndefined();
  });
});
