// The fast path for POST /spans bodies.
//
// The general path costs JSON.parse (a tree of objects), a schema walk over that tree, the int64
// scan and a conversion pass: four traversals and two sets of objects per span. Nearly every body
// a collector sees has one shape, so this parser reads that shape in a single pass straight into
// a SpanBatch (span-batch.ts: ids as words, times as numbers, tags as text and hashes), validating
// as it goes. It accepts only what the general path accepts and yields exactly what the general
// path would (test/ingest/span-batch-fast.test.ts checks both claims on random and mutated
// bodies, column by column). Anything unusual (an escape sequence, an unknown or
// repeated key, a number written as 1e18, an error to report) returns undefined, and the general
// path, which owns every 400 message, takes the body from the start.
//
// Written for speed: it reads the body's bytes, not a decoded string (a typed-array load is a few
// instructions, while charCodeAt must handle every kind of string V8 has at every character,
// and decoding the body costs a pass of its own), and only ASCII bodies, so that a byte is a
// character and every length and hash below is the one the general path computes from text; a
// body with any other byte goes to the general path whole. Past the end a load yields undefined,
// which fails every comparison below as a non-matching byte. The cursor is a local passed into
// and returned from small functions (a module-level cursor would be a memory load and store per
// byte), keys are recognised in place without allocating a string, and only the strings the
// store keeps (service, operation, tag text) are made.

import { isAscii } from 'node:buffer';
import { MAX_SPANS_PER_BATCH, MAX_TAGS_PER_SPAN } from '../../schemas/span.js';
import { tagHash, tagHashIn } from '../store/compact/tag-index.js';
import { readUuidWords } from '../store/compact/uuid-words.js';
import { ID_WORDS, SPAN_ERROR, SPAN_HAS_PARENT, SpanBatch } from './span-batch.js';

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
function skipWs(s: Buffer, i: number): number {
  for (;;) {
    const c = s[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

/**
 * With s[i] a quote: the index of the closing quote of a string that has no escapes and no
 * control characters (so JSON.parse yields exactly its characters), or -1.
 */
function plainStringEnd(s: Buffer, i: number): number {
  for (let j = i + 1; ; j++) {
    const c = s[j]!;
    if (c === QUOTE) return j;
    // undefined (past the end) fails `c >= 32`, so it is caught here too.
    if (!(c >= 32) || c === BACKSLASH) return -1;
  }
}

/**
 * Recently read service and operation names, by a hash of their bytes. A system has a few dozen
 * of each, repeated in every batch: a hit returns the string made last time (no allocation, and
 * its hash is already computed for the store's lookups), a miss makes one and takes the slot.
 * Tag text is not cached: its values (ids, urls) are often unique.
 */
const NAME_SLOTS = 512;
const cachedNameBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(NAME_SLOTS).fill(undefined);
const cachedNames: string[] = new Array<string>(NAME_SLOTS).fill('');

/** The name whose ASCII bytes are s[from, to). */
function nameAt(s: Buffer, from: number, to: number): string {
  let h = 0x811c9dc5 ^ (to - from);
  for (let k = from; k < to; k++) h = Math.imul(h ^ s[k]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (NAME_SLOTS - 1);
  const known = cachedNameBytes[slot];
  if (known !== undefined && known.length === to - from && bytesAt(s, from, known)) return cachedNames[slot]!;
  const name = s.toString('latin1', from, to);
  // A copy: a view would keep the whole request body alive.
  cachedNameBytes[slot] = Uint8Array.prototype.slice.call(s, from, to);
  cachedNames[slot] = name;
  return name;
}

/** Id words of the span being read: trace [0, 4), span [4, 8), parent [8, 12). */
const spanIds = new Uint32Array(ID_WORDS);

/** With s[i] at a value: reads a quoted UUID into spanIds[at..], returning the index after it, or -1. */
function uuidAt(s: Buffer, i: number, at: number): number {
  if (s[i] !== QUOTE || s[i + 37] !== QUOTE) return -1;
  return readUuidWords(s, i + 1, spanIds, at) ? i + 38 : -1;
}

// What int64At read: whole seconds and nanoseconds within the second.
let readSec = 0;
let readNsec = 0;

/** With s[i] at a value: reads a plain non-negative int64 literal, returning its end (exclusive), or -1. */
function int64At(s: Buffer, i: number): number {
  let j = i;
  let c = s[j]!;
  while (c >= ZERO && c <= NINE) c = s[++j]!;
  const length = j - i;
  if (length === 0 || length > 19) return -1;
  // A fraction, exponent or sign: the general path decides.
  if (c !== COMMA && c !== CLOSE_BRACE && c !== 32 && c !== 10 && c !== 13 && c !== 9) return -1;
  if (length > 1 && s[i] === ZERO) return -1;
  // The last nine digits are the nanoseconds; the rest (at most ten) the seconds: both exact.
  const split = j - 9 > i ? j - 9 : i;
  let sec = 0;
  for (let k = i; k < split; k++) sec = sec * 10 + (s[k]! - ZERO);
  let nsec = 0;
  for (let k = split; k < j; k++) nsec = nsec * 10 + (s[k]! - ZERO);
  // INT64_MAX = 9223372036 s + 854775807 ns.
  if (sec > 9223372036 || (sec === 9223372036 && nsec > 854775807)) return -1;
  readSec = sec;
  readNsec = nsec;
  return j;
}

/** ASCII text as bytes, to compare in place. */
const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

const SPANS_KEY = ascii('"spans"');
const TRACE_ID = ascii('trace_id');
const END_TIME = ascii('end_time');
const SPAN_ID = ascii('span_id');
const SERVICE = ascii('service');
const PARENT_SPAN_ID = ascii('parent_span_id');
const OPERATION = ascii('operation');
const START_TIME = ascii('start_time');
const STATUS = ascii('status');
const TAGS = ascii('tags');
const OK_VALUE = ascii('"ok"');
const ERROR_VALUE = ascii('"error"');
const PROTO = ascii('__proto__');

/** Whether s[at ..] starts with `bytes`. */
function bytesAt(s: Buffer, at: number, bytes: Uint8Array): boolean {
  for (let k = 0; k < bytes.length; k++) if (s[at + k] !== bytes[k]) return false;
  return true;
}

/** Whether the key at s[open+1 .. close) is exactly `name`. */
function keyIs(s: Buffer, open: number, close: number, name: Uint8Array): boolean {
  return close - open - 1 === name.length && bytesAt(s, open + 1, name);
}

function isArrayIndexKey(s: Buffer, open: number, close: number): boolean {
  // JSON.stringify (and object spread) put integer-like keys first: such tags must not keep
  // their textual order. Anything starting with a digit is treated as such, conservatively.
  const c = s[open + 1]!;
  return close > open + 1 && c >= ZERO && c <= NINE;
}

/** What readTags read: the tag text as JSON.stringify would write it. */
let parsedTagsJson = '';
/** Key and value ranges of the tags being read: [keyFrom, keyTo, valueFrom, valueTo] per tag. */
const tagRanges = new Int32Array(4 * MAX_TAGS_PER_SPAN);

function sameRange(s: Buffer, aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let k = 0; k < aTo - aFrom; k++) if (s[aFrom + k] !== s[bFrom + k]) return false;
  return true;
}

/**
 * With s[i] at '{': reads a tag object, appending one hash per pair to `hashes`; returns the index
 * after it, or -1. No object is built unless the text is not already canonical.
 */
function readTags(s: Buffer, i: number, hashes: number[]): number {
  const start = i;
  // The raw text equals JSON.stringify(tags) when it has no whitespace and no integer-like key.
  let canonical = true;
  let j = skipWs(s, i + 1);
  if (j !== i + 1) canonical = false;
  if (s[j] === CLOSE_BRACE) {
    parsedTagsJson = '{}';
    return j + 1;
  }
  let count = 0;
  for (;;) {
    if (s[j] !== QUOTE) return -1;
    const keyClose = plainStringEnd(s, j);
    if (keyClose < 0 || count === MAX_TAGS_PER_SPAN) return -1;
    // `__proto__` needs defineProperty and repeats need last-wins: both rare, both general path.
    if (keyIs(s, j, keyClose, PROTO)) return -1;
    for (let t = 0; t < count; t++) if (sameRange(s, tagRanges[4 * t]!, tagRanges[4 * t + 1]!, j + 1, keyClose)) return -1;
    if (isArrayIndexKey(s, j, keyClose)) canonical = false;
    let k = keyClose + 1;
    if (s[k] !== COLON) {
      canonical = false;
      k = skipWs(s, k);
      if (s[k] !== COLON) return -1;
    }
    let v = k + 1;
    if (s[v] !== QUOTE) {
      canonical = false;
      v = skipWs(s, v);
      if (s[v] !== QUOTE) return -1;
    }
    const valueClose = plainStringEnd(s, v);
    // ASCII: bytes are characters, so the limit is the schema's.
    if (valueClose < 0 || valueClose - v - 1 > MAX_TAG_VALUE) return -1;
    tagRanges[4 * count] = j + 1;
    tagRanges[4 * count + 1] = keyClose;
    tagRanges[4 * count + 2] = v + 1;
    tagRanges[4 * count + 3] = valueClose;
    count++;
    j = valueClose + 1;
    let c = s[j];
    if (c !== COMMA && c !== CLOSE_BRACE) {
      canonical = false;
      j = skipWs(s, j);
      c = s[j];
    }
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) return -1;
    const next = skipWs(s, j + 1);
    if (next !== j + 1) canonical = false;
    j = next;
  }
  if (canonical) {
    parsedTagsJson = s.toString('latin1', start, j + 1);
    for (let t = 0; t < count; t++) {
      hashes.push(tagHashIn(s, tagRanges[4 * t]!, tagRanges[4 * t + 1]!, tagRanges[4 * t + 2]!, tagRanges[4 * t + 3]!));
    }
  } else {
    // Whitespace or integer-like keys: the object's own order and text, as the general path has them.
    const tags: Record<string, string> = {};
    for (let t = 0; t < count; t++) {
      tags[s.toString('latin1', tagRanges[4 * t]!, tagRanges[4 * t + 1]!)] = s.toString('latin1', tagRanges[4 * t + 2]!, tagRanges[4 * t + 3]!);
    }
    parsedTagsJson = JSON.stringify(tags);
    for (const key in tags) hashes.push(tagHash(key, tags[key]!));
  }
  return j + 1;
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

/** The spans of a well-formed, valid, common-shape ASCII body; undefined for anything else. */
export function parseSpanBatchFast(s: Buffer): SpanBatch | undefined {
  if (!isAscii(s)) return undefined;
  let i = skipWs(s, 0);
  if (s[i] !== OPEN_BRACE) return undefined;
  i = skipWs(s, i + 1);
  if (!bytesAt(s, i, SPANS_KEY)) return undefined;
  i = skipWs(s, i + 7);
  if (s[i] !== COLON) return undefined;
  i = skipWs(s, i + 1);
  if (s[i] !== OPEN_BRACKET) return undefined;
  const batch = new SpanBatch();
  const { ids, times, tagHashes } = batch;
  for (;;) {
    i = skipWs(s, i + 1);
    if (s[i] !== OPEN_BRACE) return undefined;
    let seen = 0;
    let service = '';
    let operation = '';
    let startSec = 0;
    let startNsec = 0;
    let endSec = 0;
    let endNsec = 0;
    let error = false;
    let tagsJson: string | undefined;
    for (;;) {
      i = skipWs(s, i + 1);
      if (s[i] !== QUOTE) return undefined;
      const keyClose = plainStringEnd(s, i);
      if (keyClose < 0) return undefined;
      const keyOpen = i;
      i = skipWs(s, keyClose + 1);
      if (s[i] !== COLON) return undefined;
      i = skipWs(s, i + 1);
      let field: number;
      let end: number;
      // Dispatch on length and first letters; keyIs() confirms the whole key.
      switch (keyClose - keyOpen - 1) {
        case 8: // trace_id, end_time
          if (keyIs(s, keyOpen, keyClose, TRACE_ID)) {
            field = F_TRACE;
            end = uuidAt(s, i, 0);
          } else if (keyIs(s, keyOpen, keyClose, END_TIME)) {
            field = F_END;
            end = int64At(s, i);
            endSec = readSec;
            endNsec = readNsec;
          } else return undefined;
          break;
        case 7: // span_id, service
          if (keyIs(s, keyOpen, keyClose, SPAN_ID)) {
            field = F_SPAN;
            end = uuidAt(s, i, 4);
          } else if (keyIs(s, keyOpen, keyClose, SERVICE)) {
            field = F_SERVICE;
            if (s[i] !== QUOTE) return undefined;
            end = plainStringEnd(s, i);
            if (end < 0 || end - i - 1 > MAX_NAME) return undefined;
            service = nameAt(s, i + 1, end);
            end++;
          } else return undefined;
          break;
        case 14:
          if (!keyIs(s, keyOpen, keyClose, PARENT_SPAN_ID)) return undefined;
          field = F_PARENT;
          end = uuidAt(s, i, 8);
          break;
        case 9:
          if (!keyIs(s, keyOpen, keyClose, OPERATION)) return undefined;
          field = F_OPERATION;
          if (s[i] !== QUOTE) return undefined;
          end = plainStringEnd(s, i);
          if (end < 0 || end - i - 1 > MAX_NAME) return undefined;
          operation = nameAt(s, i + 1, end);
          end++;
          break;
        case 10:
          if (!keyIs(s, keyOpen, keyClose, START_TIME)) return undefined;
          field = F_START;
          end = int64At(s, i);
          startSec = readSec;
          startNsec = readNsec;
          break;
        case 6:
          if (!keyIs(s, keyOpen, keyClose, STATUS)) return undefined;
          field = F_STATUS;
          if (bytesAt(s, i, OK_VALUE)) end = i + 4;
          else if (bytesAt(s, i, ERROR_VALUE)) {
            end = i + 7;
            error = true;
          } else return undefined;
          break;
        case 4:
          if (!keyIs(s, keyOpen, keyClose, TAGS) || s[i] !== OPEN_BRACE) return undefined;
          field = F_TAGS;
          end = readTags(s, i, tagHashes);
          tagsJson = parsedTagsJson;
          break;
        default:
          return undefined;
      }
      if (end < 0 || (seen & field) !== 0) return undefined;
      seen |= field;
      i = skipWs(s, end);
      const c = s[i];
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) return undefined;
    }
    if ((seen & REQUIRED) !== REQUIRED) return undefined;
    if (endSec < startSec || (endSec === startSec && endNsec < startNsec)) return undefined;
    if (batch.length === MAX_SPANS_PER_BATCH) return undefined;
    const hasParent = (seen & F_PARENT) !== 0;
    for (let k = 0; k < 8; k++) ids.push(spanIds[k]!);
    if (hasParent) ids.push(spanIds[8]!, spanIds[9]!, spanIds[10]!, spanIds[11]!);
    else ids.push(0, 0, 0, 0);
    times.push(startSec, startNsec, endSec, endNsec);
    batch.flags.push((hasParent ? SPAN_HAS_PARENT : 0) | (error ? SPAN_ERROR : 0));
    batch.services.push(service);
    batch.operations.push(operation);
    batch.tagsJson.push(tagsJson);
    batch.tagEnds.push(tagHashes.length);
    batch.length++;
    i = skipWs(s, i + 1);
    const c = s[i];
    if (c === CLOSE_BRACKET) break;
    if (c !== COMMA) return undefined;
  }
  i = skipWs(s, i + 1);
  if (s[i] !== CLOSE_BRACE) return undefined;
  return skipWs(s, i + 1) === s.length ? batch : undefined;
}
