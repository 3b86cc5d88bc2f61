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
// body with any other byte goes to the general path whole. No separate pass checks that: every
// byte of an accepted body has been compared with something ASCII (structure, key, digit, hex
// digit, or a string byte checked to be 0x20–0x7f). Past the end a byte load yields undefined,
// which fails every comparison below as a non-matching byte; a DataView read past the end would
// throw, so each one is preceded by a length check. The cursor is a local passed into and
// returned from small functions (a module-level cursor would be a memory load and store per
// byte), keys are recognised in place four bytes at a time without allocating a string, UUIDs,
// integers and names are read four bytes a step where they can be (ascii-words.ts), hashes are
// computed in the same pass that finds where a string ends, and the only strings made are
// service and operation names, from a cache. Tag text that is already exactly what
// JSON.stringify would write stays in the body as a byte range, which the store copies.

import { MAX_SPANS_PER_BATCH, MAX_TAG_KEY_LENGTH, MAX_TAGS_PER_SPAN } from '../../schemas/span.js';
import { finishTagHash, FNV_OFFSET, FNV_PRIME, tagHash } from '../store/buckets/tag-index.js';
import { readUuidWords } from '../store/buckets/uuid-words.js';
import { decimalWordValue, digitBits, HIGH_BITS, stringStopBits } from './ascii-words.js';
import { ID_WORDS, SPAN_ERROR, SPAN_HAS_PARENT, SpanBatch, TIME_FIELDS } from './span-batch.js';

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
    const c = s[i]!;
    // Every structural character is above the space: one comparison in compact JSON.
    if (c > 32 || (c !== 32 && c !== 10 && c !== 13 && c !== 9)) return i;
    i++;
  }
}

/** Whether c (a byte, or undefined past the end) may stand in a plain string: 0x20–0x7f, not a backslash. */
function plainStringByte(c: number): boolean {
  // `| 0` makes undefined 0; `>>> 0` makes codes below 0x20 huge, so one comparison tests both ends.
  return ((c | 0) - 32) >>> 0 < 96 && c !== BACKSLASH;
}

/** With s[j] just after a key: the index of its value (past the colon and any whitespace), or -1. */
function valueAt(s: Buffer, j: number): number {
  if (s[j] !== COLON) {
    j = skipWs(s, j);
    if (s[j] !== COLON) return -1;
  }
  return skipWs(s, j + 1);
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

/** What nameAt read. */
let readName = '';

/**
 * With s[i] a quote: reads a plain ASCII string (no escape, no control character) of at most
 * MAX_NAME bytes into readName, hashing it in the same pass; returns the index after its closing
 * quote, or -1.
 */
function nameAt(s: Buffer, view: DataView, n: number, i: number): number {
  let h = 0x811c9dc5;
  let j = i + 1;
  // Four bytes at a time while none of them ends the run, then byte by byte to the quote.
  while (j + 4 <= n) {
    const w = view.getUint32(j, true);
    if (stringStopBits(w) !== 0) break;
    h = Math.imul(h ^ w, 0x01000193);
    j += 4;
  }
  for (;; j++) {
    const c = s[j]!;
    if (c === QUOTE) break;
    if (!plainStringByte(c)) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  const from = i + 1;
  const length = j - from;
  if (length > MAX_NAME) return -1;
  h ^= length;
  const slot = (h ^ (h >>> 15)) & (NAME_SLOTS - 1);
  const known = cachedNameBytes[slot];
  if (known !== undefined && known.length === length && bytesAt(s, from, known)) {
    readName = cachedNames[slot]!;
  } else {
    readName = s.toString('latin1', from, j);
    // A copy: a view would keep the whole request body alive.
    const copy = new Uint8Array(length);
    for (let k = 0; k < length; k++) copy[k] = s[from + k]!;
    cachedNameBytes[slot] = copy;
    cachedNames[slot] = readName;
  }
  return j + 1;
}

/** Id words of the span being read: trace [0, 4), span [4, 8), parent [8, 12). */
const spanIds = new Uint32Array(ID_WORDS);

/** With s[i] at a value: reads a quoted UUID into spanIds[at..], returning the index after it, or -1. */
function uuidAt(s: Buffer, view: DataView, i: number, at: number): number {
  if (s[i] !== QUOTE || s[i + 37] !== QUOTE) return -1;
  return readUuidWords(view, i + 1, spanIds, at) ? i + 38 : -1;
}

// What int64At read: whole seconds and nanoseconds within the second.
let readSec = 0;
let readNsec = 0;

/** With s[i] at a value: reads a plain non-negative int64 literal, returning its end (exclusive), or -1. */
function int64At(s: Buffer, view: DataView, n: number, i: number): number {
  let j = i;
  while (j + 4 <= n && digitBits(view.getUint32(j, true)) === HIGH_BITS) j += 4;
  let c = s[j]!;
  while (c >= ZERO && c <= NINE) c = s[++j]!;
  const length = j - i;
  if (length === 0 || length > 19) return -1;
  // A fraction, exponent or sign: the general path decides.
  if (c !== COMMA && c !== CLOSE_BRACE && c !== 32 && c !== 10 && c !== 13 && c !== 9) return -1;
  if (length > 1 && s[i] === ZERO) return -1;
  // The last nine digits are the nanoseconds; the rest (at most ten) the seconds: both exact.
  const split = j - 9 > i ? j - 9 : i;
  const sec = digitsValue(s, view, i, split);
  const nsec = digitsValue(s, view, split, j);
  // INT64_MAX = 9223372036 s + 854775807 ns.
  if (sec > 9223372036 || (sec === 9223372036 && nsec > 854775807)) return -1;
  readSec = sec;
  readNsec = nsec;
  return j;
}

/** The value of the decimal digits s[from, to), at most 15 of them: four at a time, then one. */
function digitsValue(s: Buffer, view: DataView, from: number, to: number): number {
  let value = 0;
  let k = from;
  for (; k + 4 <= to; k += 4) value = value * 10000 + decimalWordValue(view.getUint32(k, true));
  for (; k < to; k++) value = value * 10 + (s[k]! - ZERO);
  return value;
}

/** ASCII text as bytes, to compare in place. */
const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

const SPANS_KEY = ascii('"spans"');
/** Four ASCII characters as the little-endian word DataView.getUint32(at, true) reads. */
const word = (text: string): number =>
  (text.charCodeAt(0) | (text.charCodeAt(1) << 8) | (text.charCodeAt(2) << 16) | (text.charCodeAt(3) << 24)) >>> 0;

// Span keys, with their closing quote, compared four bytes at a time just after the opening
// quote: a match means the key is exactly that name, with no pass to find where the key ends.
const W_TRAC = word('trac');
const W_E_ID = word('e_id');
const W_SPAN = word('span');
const W__ID_ = word('_id"');
const W_PARE = word('pare');
const W_NT_S = word('nt_s');
const W_PAN_ = word('pan_');
const W_SERV = word('serv');
const W_ICE_ = word('ice"');
const W_OPER = word('oper');
const W_ATIO = word('atio');
const W_STAR = word('star');
const W_T_TI = word('t_ti');
const W_END_ = word('end_');
const W_TIME = word('time');
const W_STAT = word('stat');
/** The last three bytes of status": `us"`. */
const W_US_ = word('us"\0') & 0xffffff;
const W_TAGS = word('tags');
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

/**
 * What readTags read: the tag text as JSON.stringify would write it, or null when the body's
 * bytes tagsFrom .. tagsTo are that text already (SpanBatch.tagsJson).
 */
let parsedTagsJson: string | null = '';
let tagsFrom = 0;
let tagsTo = 0;
/**
 * The tags being read: [keyFrom, keyTo, valueFrom, valueTo, hash] per tag, the hash being
 * tagHash(key, value), computed from the bytes as they are scanned.
 */
const TAG_FIELDS = 5;
const tagScratch = new Int32Array(TAG_FIELDS * MAX_TAGS_PER_SPAN);

function sameRange(s: Buffer, aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let k = 0; k < aTo - aFrom; k++) if (s[aFrom + k] !== s[bFrom + k]) return false;
  return true;
}

/**
 * With s[i] at '{': reads a tag object, appending one hash per pair to `hashes`; returns the index
 * after it, or -1. No object is built unless the text is not already canonical.
 */
function readTags(s: Buffer, i: number, batch: SpanBatch): number {
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
    if (s[j] !== QUOTE || count === MAX_TAGS_PER_SPAN) return -1;
    // The key: a plain string (no escape, no control character, as for names), hashed as it is
    // scanned, in tagHash's steps.
    const keyFrom = j + 1;
    let h = FNV_OFFSET;
    let keyClose = keyFrom;
    for (;; keyClose++) {
      const c = s[keyClose]!;
      if (c === QUOTE) break;
      if (!plainStringByte(c)) return -1;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    // ASCII, so bytes are characters; a longer key is left for the general path to refuse.
    if (keyClose - keyFrom > MAX_TAG_KEY_LENGTH) return -1;
    h = Math.imul(h ^ (keyClose - keyFrom), FNV_PRIME);
    // `__proto__` needs defineProperty and repeats need last-wins: both rare, both general path.
    if (keyIs(s, j, keyClose, PROTO)) return -1;
    for (let t = 0; t < count; t++) if (sameRange(s, tagScratch[TAG_FIELDS * t]!, tagScratch[TAG_FIELDS * t + 1]!, keyFrom, keyClose)) return -1;
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
    const valueFrom = v + 1;
    let valueClose = valueFrom;
    for (;; valueClose++) {
      const c = s[valueClose]!;
      if (c === QUOTE) break;
      if (!plainStringByte(c)) return -1;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    // ASCII: bytes are characters, so the limit is the schema's.
    if (valueClose - valueFrom > MAX_TAG_VALUE) return -1;
    const o = TAG_FIELDS * count;
    tagScratch[o] = keyFrom;
    tagScratch[o + 1] = keyClose;
    tagScratch[o + 2] = valueFrom;
    tagScratch[o + 3] = valueClose;
    tagScratch[o + 4] = finishTagHash(h);
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
    parsedTagsJson = null;
    tagsFrom = start;
    tagsTo = j + 1;
    // The Int32Array holds the hash's bits; `>>> 0` gives back the unsigned number tagHash returns.
    for (let t = 0; t < count; t++) batch.addTagHash(tagScratch[TAG_FIELDS * t + 4]! >>> 0);
  } else {
    // Whitespace or integer-like keys: the object's own order and text, as the general path has them.
    const tags: Record<string, string> = {};
    for (let t = 0; t < count; t++) {
      const o = TAG_FIELDS * t;
      tags[s.toString('latin1', tagScratch[o]!, tagScratch[o + 1]!)] = s.toString('latin1', tagScratch[o + 2]!, tagScratch[o + 3]!);
    }
    parsedTagsJson = JSON.stringify(tags);
    for (const key in tags) batch.addTagHash(tagHash(key, tags[key]!));
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
  let i = skipWs(s, 0);
  if (s[i] !== OPEN_BRACE) return undefined;
  i = skipWs(s, i + 1);
  if (!bytesAt(s, i, SPANS_KEY)) return undefined;
  i = skipWs(s, i + 7);
  if (s[i] !== COLON) return undefined;
  i = skipWs(s, i + 1);
  if (s[i] !== OPEN_BRACKET) return undefined;
  const n = s.length;
  const view = new DataView(s.buffer, s.byteOffset, n);
  const batch = SpanBatch.acquire();
  batch.body = s;
  batch.bodyView = view;
  const batchOrNothing = parseSpans(s, i, n, view, batch);
  // Declined: nobody else holds the batch.
  if (batchOrNothing === undefined) batch.release();
  return batchOrNothing;
}

/** parseSpanBatchFast from the spans array's '[' at s[i] on, into `batch`. */
function parseSpans(s: Buffer, i: number, n: number, view: DataView, batch: SpanBatch): SpanBatch | undefined {
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
    let tagsJson: string | null | undefined;
    for (;;) {
      i = skipWs(s, i + 1);
      if (s[i] !== QUOTE) return undefined;
      const k = i + 1;
      // Every key is recognised from the words at k and k + 4 (all keys are longer than 4
      // bytes). A valid body has at least 10 more bytes after a key's first letter
      // (`tags":{}}]}`), so one that ends sooner is invalid, and the general path says why.
      if (k + 8 > n) return undefined;
      const w1 = view.getUint32(k + 4, true);
      let field: number;
      let end = -1;
      switch (view.getUint32(k, true)) {
        case W_TRAC: // trace_id"
          if (w1 !== W_E_ID || s[k + 8] !== QUOTE) return undefined;
          field = F_TRACE;
          i = valueAt(s, k + 9);
          if (i >= 0) end = uuidAt(s, view, i, 0);
          break;
        case W_SPAN: // span_id"
          if (w1 !== W__ID_) return undefined;
          field = F_SPAN;
          i = valueAt(s, k + 8);
          if (i >= 0) end = uuidAt(s, view, i, 4);
          break;
        case W_PARE: // parent_span_id"
          if (w1 !== W_NT_S || k + 12 > n || view.getUint32(k + 8, true) !== W_PAN_ || s[k + 12] !== 105 || s[k + 13] !== 100 || s[k + 14] !== QUOTE) return undefined;
          field = F_PARENT;
          i = valueAt(s, k + 15);
          if (i >= 0) end = uuidAt(s, view, i, 8);
          break;
        case W_SERV: // service"
          if (w1 !== W_ICE_) return undefined;
          field = F_SERVICE;
          i = valueAt(s, k + 8);
          if (i >= 0 && s[i] === QUOTE) {
            end = nameAt(s, view, n, i);
            service = readName;
          }
          break;
        case W_OPER: // operation"
          if (w1 !== W_ATIO || s[k + 8] !== 110 || s[k + 9] !== QUOTE) return undefined;
          field = F_OPERATION;
          i = valueAt(s, k + 10);
          if (i >= 0 && s[i] === QUOTE) {
            end = nameAt(s, view, n, i);
            operation = readName;
          }
          break;
        case W_STAR: // start_time"
          if (w1 !== W_T_TI || s[k + 8] !== 109 || s[k + 9] !== 101 || s[k + 10] !== QUOTE) return undefined;
          field = F_START;
          i = valueAt(s, k + 11);
          if (i >= 0) end = int64At(s, view, n, i);
          startSec = readSec;
          startNsec = readNsec;
          break;
        case W_END_: // end_time"
          if (w1 !== W_TIME || s[k + 8] !== QUOTE) return undefined;
          field = F_END;
          i = valueAt(s, k + 9);
          if (i >= 0) end = int64At(s, view, n, i);
          endSec = readSec;
          endNsec = readNsec;
          break;
        case W_STAT: // status"
          if ((w1 & 0xffffff) !== W_US_) return undefined;
          field = F_STATUS;
          i = valueAt(s, k + 7);
          if (i < 0) return undefined;
          if (bytesAt(s, i, OK_VALUE)) end = i + 4;
          else if (bytesAt(s, i, ERROR_VALUE)) {
            end = i + 7;
            error = true;
          }
          break;
        case W_TAGS: // tags"
          if (s[k + 4] !== QUOTE) return undefined;
          field = F_TAGS;
          i = valueAt(s, k + 5);
          if (i >= 0 && s[i] === OPEN_BRACE) {
            end = readTags(s, i, batch);
            tagsJson = parsedTagsJson;
          }
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
    const at = batch.length;
    batch.reserveSpan();
    const ids = batch.ids;
    const o = at * ID_WORDS;
    for (let k = 0; k < 8; k++) ids[o + k] = spanIds[k]!;
    for (let k = 8; k < ID_WORDS; k++) ids[o + k] = hasParent ? spanIds[k]! : 0;
    const times = batch.times;
    const t = at * TIME_FIELDS;
    times[t] = startSec;
    times[t + 1] = startNsec;
    times[t + 2] = endSec;
    times[t + 3] = endNsec;
    batch.flags[at] = (hasParent ? SPAN_HAS_PARENT : 0) | (error ? SPAN_ERROR : 0);
    batch.services[at] = service;
    batch.operations[at] = operation;
    batch.tagsJson[at] = tagsJson;
    batch.tagsAt[2 * at] = tagsJson === null ? tagsFrom : 0;
    batch.tagsAt[2 * at + 1] = tagsJson === null ? tagsTo : 0;
    batch.tagEnds[at] = batch.tagHashCount;
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
