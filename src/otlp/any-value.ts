// AnyValue → the string a Traced tag holds. Deterministic: the same value always gives the same
// text, whichever encoding it arrived in.
//
//   string            as is
//   bool              true / false
//   int               exact decimal (int64, never rounded)
//   double            its JSON text (1.5, 1e+300); NaN, Infinity, -Infinity as those words
//   bytes             base64 (as proto3 JSON writes bytes)
//   array, kvlist     JSON: [1,"a",true], {"k":"v"}; ints as bare exact digits, kvlist in the
//                     order sent; an empty value inside is null
//   empty             no tag

import type { AnyValueView } from './otlp-request.js';

function doubleText(value: number): string {
  if (Number.isFinite(value)) return JSON.stringify(value);
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

function jsonOf(value: AnyValueView): string {
  switch (value.kind) {
    case 'string':
      return JSON.stringify(value.value);
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return value.value;
    case 'double':
      return Number.isFinite(value.value) ? JSON.stringify(value.value) : `"${doubleText(value.value)}"`;
    case 'bytes':
      return JSON.stringify(value.base64);
    case 'array': {
      let out = '[';
      for (let i = 0; i < value.values.length; i++) out += (i > 0 ? ',' : '') + jsonOf(value.values[i]!);
      return out + ']';
    }
    case 'kvlist': {
      let out = '{';
      for (let i = 0; i < value.values.length; i++) {
        const entry = value.values[i]!;
        out += (i > 0 ? ',' : '') + JSON.stringify(entry.key) + ':' + jsonOf(entry.value);
      }
      return out + '}';
    }
    case 'empty':
      return 'null';
  }
}

/** The tag text of an attribute value; undefined for an empty AnyValue (no tag is written). */
export function anyValueText(value: AnyValueView): string | undefined {
  switch (value.kind) {
    case 'string':
      return value.value;
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return value.value;
    case 'double':
      return doubleText(value.value);
    case 'bytes':
      return value.base64;
    case 'empty':
      return undefined;
    default:
      return jsonOf(value);
  }
}
