// A JSON parser that keeps the literal text of every number.
//
// JSON.parse rounds 1713484800123456789 to 1713484800123456800, and Node 20 has no way to see the
// source text from a reviver. OTLP/JSON allows int64 fields as numbers or strings, and POST /logs
// carries int64 nanosecond times, so both bodies go through this parser: it returns the same
// value JSON.parse would (numbers as doubles, the last of duplicate keys winning, `__proto__` an
// ordinary own key) plus a side table from (container, key) to the number's literal text.
// It accepts exactly RFC 8259 JSON, as JSON.parse does; string escapes are decoded by JSON.parse
// itself. Not a hot path: OTLP/JSON and log batches are secondary to POST /spans.

/** The body is not JSON; the message says where. */
export class JsonSyntaxError extends Error {}

export interface ExactJson {
  value: unknown;
  /** The literal text of the number stored at `container[key]`, or undefined if it is not a number. */
  numberText(container: object, key: string | number): string | undefined;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MAX_DEPTH = 256;

class Parser {
  private pos = 0;
  private depth = 0;
  readonly literals = new Map<object, Map<string | number, string>>();

  constructor(private readonly text: string) {}

  /** Returns the holder `{"": value}`, as a JSON.parse reviver sees it, so a top-level number has a container too. */
  parse(): Record<string, unknown> {
    const holder: Record<string, unknown> = {};
    holder[''] = this.member(holder, '');
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('unexpected data after the JSON value');
    return holder;
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(`${what} at position ${this.pos}`);
  }

  private skipWhitespace(): void {
    const text = this.text;
    let c = text.charCodeAt(this.pos);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++this.pos);
  }

  private value(): unknown {
    this.skipWhitespace();
    const c = this.text.charCodeAt(this.pos);
    if (c === 123 /* { */) return this.object();
    if (c === 91 /* [ */) return this.array();
    if (c === 34 /* " */) return this.string();
    if (c === 116 /* t */) return this.word('true', true);
    if (c === 102 /* f */) return this.word('false', false);
    if (c === 110 /* n */) return this.word('null', null);
    return this.fail(this.pos >= this.text.length ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(this.text[this.pos])}`);
  }

  /** A value inside a container: numbers are recorded with their literal text. */
  private member(container: object, key: string | number): unknown {
    this.skipWhitespace();
    const c = this.text.charCodeAt(this.pos);
    if (c === 45 || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = this.pos;
      const match = NUMBER.exec(this.text);
      if (match === null) this.fail('invalid number');
      const literal = match[0];
      this.pos += literal.length;
      let table = this.literals.get(container);
      if (table === undefined) this.literals.set(container, (table = new Map()));
      table.set(key, literal);
      return Number(literal);
    }
    this.literals.get(container)?.delete(key); // a later duplicate key that is not a number
    return this.value();
  }

  private word<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
    this.pos += word.length;
    return value;
  }

  private string(): string {
    const text = this.text;
    const start = this.pos;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c !== c) {
        this.pos = i;
        this.fail('unterminated string');
      }
      if (c < 32) {
        this.pos = i;
        this.fail('control character in string');
      }
      if (c === 92 /* \ */) {
        escaped = true;
        i += 2;
      } else {
        i++;
      }
    }
    this.pos = i + 1;
    if (!escaped) return text.slice(start + 1, i);
    try {
      return JSON.parse(text.slice(start, i + 1)) as string;
    } catch {
      this.pos = start;
      return this.fail('invalid escape in string');
    }
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
  }

  private object(): Record<string, unknown> {
    this.enter();
    this.pos++;
    const out: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 125 /* } */) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 34) this.fail('expected a property name');
      const key = this.string();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 58 /* : */) this.fail("expected ':'");
      this.pos++;
      const value = this.member(out, key);
      // As JSON.parse: an own data property, never the prototype setter.
      if (key === '__proto__') Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      else out[key] = value;
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 125) break;
      if (c !== 44 /* , */) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
    this.depth--;
    return out;
  }

  private array(): unknown[] {
    this.enter();
    this.pos++;
    const out: unknown[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 93 /* ] */) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.member(out, out.length));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 93) break;
      if (c !== 44) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
    this.depth--;
    return out;
  }
}

/** Parses `text` as JSON; throws JsonSyntaxError with a position when it is not. */
export function parseExactJson(text: string): ExactJson {
  const parser = new Parser(text);
  const holder = parser.parse();
  const literals = parser.literals;
  return {
    value: holder[''],
    numberText: (container, key) => literals.get(container)?.get(key),
  };
}
