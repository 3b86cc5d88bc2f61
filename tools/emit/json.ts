/**
 * Lossless JSON reading for server answers.
 *
 * JSON.parse turns `1713484800000000123` into 1713484800000000000 (a double
 * has ~16 significant digits), which would make every start_time comparison
 * meaningless. Quoting the fields with a regex before JSON.parse is fragile
 * (a key like `a"start_time` or a tag value can fool it), so this is a small
 * strict recursive-descent parser instead: integer literals come back exact
 * — as `number` when they fit in a safe integer, as `bigint` otherwise —
 * and everything else behaves like JSON.parse.
 */

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export class JsonSyntaxError extends SyntaxError {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const MAX_DEPTH = 256;

export function parseJsonLossless(text: string): JsonValue {
  let pos = 0;

  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, pos);
  };

  const skipWs = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos += 1;
      else break;
    }
  };

  const parseString = (): string => {
    // Find the closing quote ourselves, then let JSON.parse do the escape
    // decoding and reject control characters: strings are never lossy.
    const start = pos;
    pos += 1;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      pos += c === 0x5c ? 2 : 1;
    }
    pos += 1;
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      pos = start;
      return fail('invalid string');
    }
  };

  const parseNumber = (): number | bigint => {
    NUMBER_RE.lastIndex = pos;
    const m = NUMBER_RE.exec(text);
    if (m === null) return fail('invalid number');
    pos += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const big = BigInt(m[0]);
      const asNumber = Number(big);
      return Number.isSafeInteger(asNumber) ? asNumber : big;
    }
    return Number(m[0]);
  };

  const expectWord = (word: string): void => {
    if (text.startsWith(word, pos)) pos += word.length;
    else fail('unexpected token');
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipWs();
    const c = text[pos];
    switch (c) {
      case '{': {
        pos += 1;
        const obj: JsonObject = {};
        skipWs();
        if (text[pos] === '}') {
          pos += 1;
          return obj;
        }
        for (;;) {
          skipWs();
          if (text[pos] !== '"') fail('expected a string key');
          const key = parseString();
          skipWs();
          if (text[pos] !== ':') fail("expected ':'");
          pos += 1;
          // defineProperty keeps a "__proto__" key an ordinary own property.
          Object.defineProperty(obj, key, { value: parseValue(depth + 1), enumerable: true, writable: true, configurable: true });
          skipWs();
          if (text[pos] === ',') {
            pos += 1;
            continue;
          }
          if (text[pos] === '}') {
            pos += 1;
            return obj;
          }
          fail("expected ',' or '}'");
        }
      }
      case '[': {
        pos += 1;
        const arr: JsonValue[] = [];
        skipWs();
        if (text[pos] === ']') {
          pos += 1;
          return arr;
        }
        for (;;) {
          arr.push(parseValue(depth + 1));
          skipWs();
          if (text[pos] === ',') {
            pos += 1;
            continue;
          }
          if (text[pos] === ']') {
            pos += 1;
            return arr;
          }
          fail("expected ',' or ']'");
        }
      }
      case '"':
        return parseString();
      case 't':
        expectWord('true');
        return true;
      case 'f':
        expectWord('false');
        return false;
      case 'n':
        expectWord('null');
        return null;
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return parseNumber();
        return fail(c === undefined ? 'unexpected end of input' : 'unexpected character');
    }
  };

  const value = parseValue(0);
  skipWs();
  if (pos !== text.length) fail('trailing characters');
  return value;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The exact integer value of a JSON number, or undefined when the field is
 * missing, not a number, or was written lossily (a fraction or an exponent
 * that does not land on a safe integer, e.g. `1.7134848e18`).
 */
export function asBigInt(v: JsonValue | undefined): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return undefined;
}

/** A safe (small) integer field such as span_count, total or duration_ms. */
export function asSafeInt(v: JsonValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
}
