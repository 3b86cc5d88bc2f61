// Lossless JSON body parsing for POST /spans.
//
// JSON.parse turns 1713484800123456789 into 1713484800123456800. Node 20 has no
// JSON.parse source-text access, so after JSON.parse has accepted the text (and so proved it
// well-formed) one linear scan picks out the literal text of every `spans[i].start_time` and
// `spans[i].end_time`. Validation then runs on the parsed object as usual, and the exact digits
// replace the rounded doubles. The scan follows JSON.parse's rules where they matter: the last
// of duplicate keys wins, and keys spelled with escapes (`"start\u005ftime"`) are the same key.

/** Literal number text of each span's times, indexed like `body.spans`. */
export interface SpanTimeLiterals {
  start: Array<string | undefined>;
  end: Array<string | undefined>;
}

const QUOTE = 34;
const BACKSLASH = 92;

function isWhitespace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function isTokenEnd(c: number): boolean {
  return c === 44 /* , */ || c === 125 /* } */ || c === 93 /* ] */ || isWhitespace(c);
}

/** Index of the quote closing the string that opens at `open`. */
function stringEnd(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  for (;;) {
    let backslashes = 0;
    for (let k = close - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return close;
    close = text.indexOf('"', close + 1);
  }
}

/**
 * Scans well-formed JSON text (call only after JSON.parse accepted it) for the literal values of
 * `spans[i].start_time` / `spans[i].end_time` in a root object.
 */
export function scanSpanTimeLiterals(text: string): SpanTimeLiterals {
  let start: Array<string | undefined> = [];
  let end: Array<string | undefined> = [];
  // isObject[d] says whether the container entered at depth d+1 is an object.
  const isObject: boolean[] = [];
  let depth = 0;
  let expectKey = false;
  let rootKey = '';
  let spanKey = '';
  let inSpans = false;
  let index = -1;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isWhitespace(c)) {
      i++;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (depth === 2 && inSpans) index++;
      if (c === 91 && depth === 1 && isObject[0] === true && rootKey === 'spans') {
        // A repeated "spans" key replaces the earlier array, as in JSON.parse.
        inSpans = true;
        index = -1;
        start = [];
        end = [];
      }
      isObject[depth] = c === 123;
      depth++;
      expectKey = c === 123;
      spanKey = '';
      i++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth === 1) inSpans = false;
      expectKey = false;
      i++;
    } else if (c === 44 /* , */) {
      expectKey = isObject[depth - 1] === true;
      i++;
    } else if (c === 58 /* : */) {
      expectKey = false;
      i++;
    } else if (c === QUOTE) {
      const close = stringEnd(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, close);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, close + 1)) as string) : raw;
        if (depth === 1) rootKey = key;
        else if (depth === 3 && inSpans) spanKey = key;
      } else if (depth === 2 && inSpans) {
        index++;
      }
      i = close + 1;
    } else {
      // A number or true/false/null.
      if (depth === 2 && inSpans) index++;
      let j = i + 1;
      while (j < n && !isTokenEnd(text.charCodeAt(j))) j++;
      if (depth === 3 && inSpans && (c === 45 || (c >= 48 && c <= 57))) {
        if (spanKey === 'start_time') start[index] = text.slice(i, j);
        else if (spanKey === 'end_time') end[index] = text.slice(i, j);
      }
      i = j;
    }
  }
  return { start, end };
}
