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

import { MAX_SPANS_PER_BATCH, MAX_TAGS_PER_SPAN } from '../../schemas/span.js';
import type { IngestSpan } from '../store/trace-store.js';
import { INT64_MAX } from '../time/nanos.js';

const MAX_NAME = 256;
const MAX_TAG_VALUE = 1024;

// Module-level cursor: the parser is synchronous and not re-entrant, and closures or a cursor
// object would cost an allocation or an indirection per character.
let src = '';
let pos = 0;

const enum Ch {
  Tab = 9, Lf = 10, Cr = 13, Space = 32, Quote = 34, Comma = 44, Minus = 45, Zero = 48, Nine = 57,
  Colon = 58, A = 65, F = 70, Backslash = 92, LowerA = 97, LowerF = 102, OpenBracket = 91,
  CloseBracket = 93, OpenBrace = 123, CloseBrace = 125,
}

function skipWhitespace(): void {
  let c = src.charCodeAt(pos);
  while (c === Ch.Space || c === Ch.Lf || c === Ch.Cr || c === Ch.Tab) c = src.charCodeAt(++pos);
}

function consume(ch: number): boolean {
  skipWhitespace();
  if (src.charCodeAt(pos) !== ch) return false;
  pos++;
  return true;
}

/** A string without escapes or control characters (JSON.parse gives exactly these chars). */
function readPlainString(maxLength: number): string | undefined {
  skipWhitespace();
  if (src.charCodeAt(pos) !== Ch.Quote) return undefined;
  const start = pos + 1;
  let i = start;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === Ch.Quote) break;
    // NaN (end of text) fails both comparisons below, so test it explicitly.
    if (c < Ch.Space || c === Ch.Backslash || c !== c) return undefined;
    i++;
  }
  // UTF-16 units ≥ code points, so within the limit here is within the schema's limit.
  if (i - start > maxLength) return undefined;
  pos = i + 1;
  return src.slice(start, i);
}

function isHex(c: number): boolean {
  return (c >= Ch.Zero && c <= Ch.Nine) || (c >= Ch.LowerA && c <= Ch.LowerF) || (c >= Ch.A && c <= Ch.F);
}

/** A UUID string, lowercased. */
function readUuid(): string | undefined {
  skipWhitespace();
  if (src.charCodeAt(pos) !== Ch.Quote || src.charCodeAt(pos + 37) !== Ch.Quote) return undefined;
  const start = pos + 1;
  let upper = false;
  for (let k = 0; k < 36; k++) {
    const c = src.charCodeAt(start + k);
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (c !== Ch.Minus) return undefined;
    } else {
      if (!isHex(c)) return undefined;
      if (c <= Ch.F && c >= Ch.A) upper = true;
    }
  }
  pos = start + 37;
  const text = src.slice(start, start + 36);
  return upper ? text.toLowerCase() : text;
}

/** A non-negative int64 written as plain digits. */
function readInt64(): string | undefined {
  skipWhitespace();
  const start = pos;
  let i = pos;
  let c = src.charCodeAt(i);
  while (c >= Ch.Zero && c <= Ch.Nine) c = src.charCodeAt(++i);
  const length = i - start;
  if (length === 0 || length > 19) return undefined;
  // A fraction, exponent or sign: the general path decides.
  if (c !== Ch.Comma && c !== Ch.CloseBrace && c !== Ch.Space && c !== Ch.Lf && c !== Ch.Cr && c !== Ch.Tab) return undefined;
  if (length > 1 && src.charCodeAt(start) === Ch.Zero) return undefined;
  const digits = src.slice(start, i);
  if (length === 19 && digits > INT64_MAX) return undefined;
  pos = i;
  return digits;
}

function readTags(): Record<string, string> | undefined {
  if (!consume(Ch.OpenBrace)) return undefined;
  const tags: Record<string, string> = {};
  if (consume(Ch.CloseBrace)) return tags;
  let count = 0;
  for (;;) {
    const key = readPlainString(Infinity);
    // `__proto__` needs defineProperty and repeats need last-wins: both rare, both general path.
    if (key === undefined || key === '__proto__' || Object.hasOwn(tags, key)) return undefined;
    if (!consume(Ch.Colon)) return undefined;
    const value = readPlainString(MAX_TAG_VALUE);
    if (value === undefined || ++count > MAX_TAGS_PER_SPAN) return undefined;
    tags[key] = value;
    if (consume(Ch.CloseBrace)) return tags;
    if (!consume(Ch.Comma)) return undefined;
  }
}

const F_TRACE = 1, F_SPAN = 2, F_PARENT = 4, F_SERVICE = 8, F_OPERATION = 16, F_START = 32, F_END = 64, F_STATUS = 128, F_TAGS = 256;
const REQUIRED = F_TRACE | F_SPAN | F_SERVICE | F_OPERATION | F_START | F_END | F_STATUS;

function readSpan(): IngestSpan | undefined {
  if (!consume(Ch.OpenBrace)) return undefined;
  let seen = 0;
  let traceId: string | undefined;
  let spanId: string | undefined;
  let parentSpanId: string | undefined;
  let service: string | undefined;
  let operation: string | undefined;
  let startTime: string | undefined;
  let endTime: string | undefined;
  let error = false;
  let tags: Record<string, string> | undefined;
  for (;;) {
    const key = readPlainString(16);
    if (key === undefined || !consume(Ch.Colon)) return undefined;
    let field: number;
    switch (key) {
      case 'trace_id': field = F_TRACE; traceId = readUuid(); if (traceId === undefined) return undefined; break;
      case 'span_id': field = F_SPAN; spanId = readUuid(); if (spanId === undefined) return undefined; break;
      case 'parent_span_id': field = F_PARENT; parentSpanId = readUuid(); if (parentSpanId === undefined) return undefined; break;
      case 'service': field = F_SERVICE; service = readPlainString(MAX_NAME); if (service === undefined) return undefined; break;
      case 'operation': field = F_OPERATION; operation = readPlainString(MAX_NAME); if (operation === undefined) return undefined; break;
      case 'start_time': field = F_START; startTime = readInt64(); if (startTime === undefined) return undefined; break;
      case 'end_time': field = F_END; endTime = readInt64(); if (endTime === undefined) return undefined; break;
      case 'status': {
        field = F_STATUS;
        const status = readPlainString(5);
        if (status === 'error') error = true;
        else if (status !== 'ok') return undefined;
        break;
      }
      case 'tags': field = F_TAGS; tags = readTags(); if (tags === undefined) return undefined; break;
      default: return undefined;
    }
    if ((seen & field) !== 0) return undefined;
    seen |= field;
    if (consume(Ch.CloseBrace)) break;
    if (!consume(Ch.Comma)) return undefined;
  }
  if ((seen & REQUIRED) !== REQUIRED) return undefined;
  // end_time >= start_time, compared as digit strings (no leading zeros, so length first).
  if (endTime!.length < startTime!.length || (endTime!.length === startTime!.length && endTime! < startTime!)) return undefined;
  return { traceId: traceId!, spanId: spanId!, parentSpanId, service: service!, operation: operation!, startTime: startTime!, endTime: endTime!, error, tags };
}

/** The spans of a well-formed, valid, common-shape body; undefined for anything else. */
export function parseSpanBatchFast(text: string): IngestSpan[] | undefined {
  src = text;
  pos = 0;
  try {
    if (!consume(Ch.OpenBrace) || readPlainString(5) !== 'spans' || !consume(Ch.Colon) || !consume(Ch.OpenBracket)) return undefined;
    const spans: IngestSpan[] = [];
    for (;;) {
      const span = readSpan();
      if (span === undefined || spans.push(span) > MAX_SPANS_PER_BATCH) return undefined;
      if (consume(Ch.CloseBracket)) break;
      if (!consume(Ch.Comma)) return undefined;
    }
    if (!consume(Ch.CloseBrace)) return undefined;
    skipWhitespace();
    return pos === text.length ? spans : undefined;
  } finally {
    src = '';
  }
}
