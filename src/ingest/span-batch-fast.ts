// The fast path for POST /spans bodies.
//
// The general path costs JSON.parse (a tree of objects), a schema walk over that tree, the int64
// scan and a conversion pass: four traversals and two sets of objects per span. Nearly every body
// a collector sees has one shape, so this parser reads that shape in a single pass straight into
// IngestSpans, validating as it goes. It accepts only what the general path accepts and returns
// exactly what the general path would return (test/ingest/span-batch-fast.test.ts checks both
// claims on random and mutated bodies). Anything unusual (an escape sequence, an unknown or
// repeated key, a number written as 1e18, an error to report) returns undefined, and the general
// path, which owns every 400 message, takes the body from the start.
//
// Written for speed: the cursor is a local passed into and returned from small functions (a
// module-level cursor would be a memory load and store per character), keys are recognised in
// place without allocating a string, and only values the span keeps are sliced out.

import { MAX_SPANS_PER_BATCH, MAX_TAGS_PER_SPAN } from '../../schemas/span.js';
import type { IngestSpan } from '../store/trace-store.js';
import { INT64_MAX } from '../time/nanos.js';

const MAX_NAME = 256;
const MAX_TAG_VALUE = 1024;

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const BACKSLASH = 92;
const ZERO = 48;
const NINE = 57;
const MINUS = 45;

/** Index of the first non-whitespace character at or after i. */
function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

/**
 * With s[i] a quote: the index of the closing quote of a string that has no escapes and no
 * control characters (so JSON.parse yields exactly its characters), or -1.
 */
function plainStringEnd(s: string, i: number): number {
  for (let j = i + 1; ; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) return j;
    // NaN (past the end) fails `c >= 32`, so it is caught here too.
    if (!(c >= 32) || c === BACKSLASH) return -1;
  }
}

// Per character code: 1 for a lowercase hex digit, 2 for an uppercase one, 0 otherwise.
const HEX_CLASS = new Uint8Array(128);
for (let c = ZERO; c <= NINE; c++) HEX_CLASS[c] = 1;
for (let c = 97; c <= 102; c++) HEX_CLASS[c] = 1;
for (let c = 65; c <= 70; c++) HEX_CLASS[c] = 2;

/** Set by uuidEnd: whether the UUID it accepted has uppercase digits. */
let uuidHasUpper = false;

/** OR of the hex classes of s[from, to), or -1 when one is not a hex digit. */
function hexRun(s: string, from: number, to: number): number {
  let any = 0;
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    const cls = c < 128 ? HEX_CLASS[c]! : 0;
    if (cls === 0) return -1;
    any |= cls;
  }
  return any;
}

/** With s[i] at a value: a UUID string's closing quote index, or -1. */
function uuidEnd(s: string, i: number): number {
  if (s.charCodeAt(i) !== QUOTE || s.charCodeAt(i + 37) !== QUOTE) return -1;
  if (s.charCodeAt(i + 9) !== MINUS || s.charCodeAt(i + 14) !== MINUS || s.charCodeAt(i + 19) !== MINUS || s.charCodeAt(i + 24) !== MINUS) {
    return -1;
  }
  const a = hexRun(s, i + 1, i + 9);
  const b = hexRun(s, i + 10, i + 14);
  const c = hexRun(s, i + 15, i + 19);
  const d = hexRun(s, i + 20, i + 24);
  const e = hexRun(s, i + 25, i + 37);
  if ((a | b | c | d | e) < 0) return -1;
  uuidHasUpper = ((a | b | c | d | e) & 2) !== 0;
  return i + 37;
}

/** The text of the UUID uuidEnd just accepted at s[open], in lowercase. */
function uuidText(s: string, open: number): string {
  const text = s.slice(open + 1, open + 37);
  return uuidHasUpper ? text.toLowerCase() : text;
}

/** With s[i] at a value: the end (exclusive) of a plain non-negative int64 literal, or -1. */
function int64End(s: string, i: number): number {
  let j = i;
  let c = s.charCodeAt(j);
  while (c >= ZERO && c <= NINE) c = s.charCodeAt(++j);
  const length = j - i;
  if (length === 0 || length > 19) return -1;
  // A fraction, exponent or sign: the general path decides.
  if (c !== COMMA && c !== CLOSE_BRACE && c !== 32 && c !== 10 && c !== 13 && c !== 9) return -1;
  if (length > 1 && s.charCodeAt(i) === ZERO) return -1;
  if (length === 19 && s.slice(i, j) > INT64_MAX) return -1;
  return j;
}

/** Whether the key at s[open+1 .. close) is exactly `name`. */
function keyIs(s: string, open: number, close: number, name: string): boolean {
  if (close - open - 1 !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (s.charCodeAt(open + 1 + k) !== name.charCodeAt(k)) return false;
  return true;
}

function isArrayIndexKey(s: string, open: number, close: number): boolean {
  // JSON.stringify (and object spread) put integer-like keys first: such tags must not keep
  // their textual order. Anything starting with a digit is treated as such, conservatively.
  const c = s.charCodeAt(open + 1);
  return close > open + 1 && c >= ZERO && c <= NINE;
}

// Tag parsing results, written by readTags (one call at a time: the parser is synchronous).
let parsedTags: Record<string, string> | undefined;
let parsedTagsJson: string | undefined;

/** With s[i] at '{': reads a tag object, returning the index after it, or -1. */
function readTags(s: string, i: number): number {
  const start = i;
  const tags: Record<string, string> = {};
  // The raw text equals JSON.stringify(tags) when it has no whitespace and no integer-like key.
  let canonical = true;
  let j = skipWs(s, i + 1);
  if (j !== i + 1) canonical = false;
  if (s.charCodeAt(j) === CLOSE_BRACE) {
    parsedTags = tags;
    parsedTagsJson = canonical ? '{}' : undefined;
    return j + 1;
  }
  let count = 0;
  for (;;) {
    if (s.charCodeAt(j) !== QUOTE) return -1;
    const keyClose = plainStringEnd(s, j);
    if (keyClose < 0) return -1;
    const key = s.slice(j + 1, keyClose);
    // `__proto__` needs defineProperty and repeats need last-wins: both rare, both general path.
    if (key === '__proto__' || Object.hasOwn(tags, key)) return -1;
    if (isArrayIndexKey(s, j, keyClose)) canonical = false;
    let k = keyClose + 1;
    if (s.charCodeAt(k) !== COLON) {
      canonical = false;
      k = skipWs(s, k);
      if (s.charCodeAt(k) !== COLON) return -1;
    }
    let v = k + 1;
    if (s.charCodeAt(v) !== QUOTE) {
      canonical = false;
      v = skipWs(s, v);
      if (s.charCodeAt(v) !== QUOTE) return -1;
    }
    const valueClose = plainStringEnd(s, v);
    // UTF-16 units ≥ code points, so within the limit here is within the schema's limit.
    if (valueClose < 0 || valueClose - v - 1 > MAX_TAG_VALUE || ++count > MAX_TAGS_PER_SPAN) return -1;
    tags[key] = s.slice(v + 1, valueClose);
    j = valueClose + 1;
    let c = s.charCodeAt(j);
    if (c !== COMMA && c !== CLOSE_BRACE) {
      canonical = false;
      j = skipWs(s, j);
      c = s.charCodeAt(j);
    }
    if (c === CLOSE_BRACE) {
      parsedTags = tags;
      parsedTagsJson = canonical ? s.slice(start, j + 1) : undefined;
      return j + 1;
    }
    if (c !== COMMA) return -1;
    const next = skipWs(s, j + 1);
    if (next !== j + 1) canonical = false;
    j = next;
  }
}

const F_TRACE = 1;
const F_SPAN = 2;
const F_PARENT = 4;
const F_SERVICE = 8;
const F_OPERATION = 16;
const F_START = 32;
const F_END = 64;
const F_STATUS = 128;
const F_TAGS = 256;
const REQUIRED = F_TRACE | F_SPAN | F_SERVICE | F_OPERATION | F_START | F_END | F_STATUS;

/** The spans of a well-formed, valid, common-shape body; undefined for anything else. */
export function parseSpanBatchFast(s: string): IngestSpan[] | undefined {
  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipWs(s, i + 1);
  if (!s.startsWith('"spans"', i)) return undefined;
  i = skipWs(s, i + 7);
  if (s.charCodeAt(i) !== COLON) return undefined;
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) !== OPEN_BRACKET) return undefined;
  const spans: IngestSpan[] = [];
  for (;;) {
    i = skipWs(s, i + 1);
    if (s.charCodeAt(i) !== OPEN_BRACE) return undefined;
    let seen = 0;
    let traceId = '';
    let spanId = '';
    let parentSpanId: string | undefined;
    let service = '';
    let operation = '';
    let startTime = '';
    let endTime = '';
    let error = false;
    let tags: Record<string, string> | undefined;
    let tagsJson: string | undefined;
    for (;;) {
      i = skipWs(s, i + 1);
      if (s.charCodeAt(i) !== QUOTE) return undefined;
      const keyClose = plainStringEnd(s, i);
      if (keyClose < 0) return undefined;
      const keyOpen = i;
      i = skipWs(s, keyClose + 1);
      if (s.charCodeAt(i) !== COLON) return undefined;
      i = skipWs(s, i + 1);
      let field: number;
      let end: number;
      // Dispatch on length and first letters; keyIs() confirms the whole key.
      switch (keyClose - keyOpen - 1) {
        case 8: // trace_id, end_time
          if (keyIs(s, keyOpen, keyClose, 'trace_id')) {
            field = F_TRACE;
            end = uuidEnd(s, i);
            if (end < 0) return undefined;
            traceId = uuidText(s, i);
            end++;
          } else if (keyIs(s, keyOpen, keyClose, 'end_time')) {
            field = F_END;
            end = int64End(s, i);
            if (end < 0) return undefined;
            endTime = s.slice(i, end);
          } else return undefined;
          break;
        case 7: // span_id, service
          if (keyIs(s, keyOpen, keyClose, 'span_id')) {
            field = F_SPAN;
            end = uuidEnd(s, i);
            if (end < 0) return undefined;
            spanId = uuidText(s, i);
            end++;
          } else if (keyIs(s, keyOpen, keyClose, 'service')) {
            field = F_SERVICE;
            if (s.charCodeAt(i) !== QUOTE) return undefined;
            end = plainStringEnd(s, i);
            if (end < 0 || end - i - 1 > MAX_NAME) return undefined;
            service = s.slice(i + 1, end);
            end++;
          } else return undefined;
          break;
        case 14:
          if (!keyIs(s, keyOpen, keyClose, 'parent_span_id')) return undefined;
          field = F_PARENT;
          end = uuidEnd(s, i);
          if (end < 0) return undefined;
          parentSpanId = uuidText(s, i);
          end++;
          break;
        case 9:
          if (!keyIs(s, keyOpen, keyClose, 'operation')) return undefined;
          field = F_OPERATION;
          if (s.charCodeAt(i) !== QUOTE) return undefined;
          end = plainStringEnd(s, i);
          if (end < 0 || end - i - 1 > MAX_NAME) return undefined;
          operation = s.slice(i + 1, end);
          end++;
          break;
        case 10:
          if (!keyIs(s, keyOpen, keyClose, 'start_time')) return undefined;
          field = F_START;
          end = int64End(s, i);
          if (end < 0) return undefined;
          startTime = s.slice(i, end);
          break;
        case 6:
          if (!keyIs(s, keyOpen, keyClose, 'status')) return undefined;
          field = F_STATUS;
          if (s.startsWith('"ok"', i)) end = i + 4;
          else if (s.startsWith('"error"', i)) {
            end = i + 7;
            error = true;
          } else return undefined;
          break;
        case 4:
          if (!keyIs(s, keyOpen, keyClose, 'tags') || s.charCodeAt(i) !== OPEN_BRACE) return undefined;
          field = F_TAGS;
          end = readTags(s, i);
          if (end < 0) return undefined;
          tags = parsedTags;
          tagsJson = parsedTagsJson;
          break;
        default:
          return undefined;
      }
      if ((seen & field) !== 0) return undefined;
      seen |= field;
      i = skipWs(s, end);
      const c = s.charCodeAt(i);
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) return undefined;
    }
    if ((seen & REQUIRED) !== REQUIRED) return undefined;
    // end_time >= start_time, compared as digit strings (no leading zeros, so length first).
    if (endTime.length < startTime.length || (endTime.length === startTime.length && endTime < startTime)) return undefined;
    if (spans.push({ traceId, spanId, parentSpanId, service, operation, startTime, endTime, error, tags, tagsJson }) > MAX_SPANS_PER_BATCH) {
      return undefined;
    }
    i = skipWs(s, i + 1);
    const c = s.charCodeAt(i);
    if (c === CLOSE_BRACKET) break;
    if (c !== COMMA) return undefined;
  }
  i = skipWs(s, i + 1);
  if (s.charCodeAt(i) !== CLOSE_BRACE) return undefined;
  return skipWs(s, i + 1) === s.length ? spans : undefined;
}
