// exact-json must read every text exactly as JSON.parse does (value, errors, duplicate keys,
// __proto__), and additionally keep each number's literal digits.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseExactJson } from '../../src/codec/exact-json.js';

function jsonParseOutcome(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function exactOutcome(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: parseExactJson(text).value };
  } catch (error) {
    expect(error).toBeInstanceOf(JsonSyntaxError);
    return { ok: false };
  }
}

describe('parseExactJson', () => {
  it('agrees with JSON.parse on generated JSON texts', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(exactOutcome(text)).toEqual(jsonParseOutcome(text));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with JSON.parse on mutated texts: accepts what it accepts, refuses what it refuses', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ' ', '"', '\\', ',', ':', '{', '}', '[', ']', '-', '0', '1e', '.', '\u0001', 'tru', '\\u12'))
      .map(([text, at, insert]) => {
        const i = text.length === 0 ? 0 : at % text.length;
        return text.slice(0, i) + insert + text.slice(i + 1);
      });
    fc.assert(
      fc.property(mutated, (text) => {
        expect(exactOutcome(text)).toEqual(jsonParseOutcome(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the literal text of every number, including ones a double cannot hold', () => {
    const text = '{"t":1713484800123456789,"list":[9007199254740993,-0,1.5e3],"nested":{"x":"1","y":12}}';
    const { value, numberText } = parseExactJson(text);
    const v = value as { t: number; list: number[]; nested: { x: string; y: number } };
    expect(v.t).toBe(1713484800123456800); // the double, as JSON.parse has it
    expect(numberText(v, 't')).toBe('1713484800123456789');
    expect([0, 1, 2].map((i) => numberText(v.list, i))).toEqual(['9007199254740993', '-0', '1.5e3']);
    expect(numberText(v.nested, 'x')).toBeUndefined(); // a string, not a number
    expect(numberText(v.nested, 'y')).toBe('12');
  });

  it('lets the last duplicate key win, for the literal too, and keeps __proto__ an own key', () => {
    const { value, numberText } = parseExactJson('{"a":1,"a":"two","b":"x","b":3,"__proto__":{"polluted":true}}');
    const v = value as Record<string, unknown>;
    expect(v.a).toBe('two');
    expect(numberText(v, 'a')).toBeUndefined();
    expect(numberText(v, 'b')).toBe('3');
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(v)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than 256 levels with a JsonSyntaxError, not a stack overflow', () => {
    expect(() => parseExactJson('['.repeat(257) + ']'.repeat(257))).toThrow(/nested deeper than 256 levels/);
    expect(() => parseExactJson('['.repeat(100_000))).toThrow(JsonSyntaxError);
    expect(parseExactJson('['.repeat(256) + ']'.repeat(256)).value).toBeInstanceOf(Array);
  });

  it('says where the text stops being JSON', () => {
    expect(() => parseExactJson('{"a":1,}')).toThrow(/expected a property name at position 7/);
  });
});
