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
// integers and names are read four bytes a step where they can be (codec/ascii-words.ts), hashes
// are computed in the same pass that finds where a string ends, and the only strings made are
// service and operation names, from a cache. Tag text that is already exactly what
// JSON.stringify would write stays in the body as a byte range, which the store copies.
//
// This file matches keys and builds the batch; the byte primitives are in json-bytes.ts, the
// readers of names, UUIDs and times in span-value-readers.ts and the tags reader in
// tag-object-reader.ts. Split by job only, with two rules that keep it as fast as one file: a
// value used in the hot loops is a const of the module that reads it (JSON_BYTE says why), and
// the readers write what they read into the batch's columns rather than into exported variables.

import { MAX_SPANS_PER_BATCH } from '../../schemas/span.js';
import { ascii, bytesAt, JSON_BYTE, skipWs, valueAt, word } from './json-bytes.js';
import { ID_WORDS, SPAN_ERROR, SPAN_HAS_PARENT, SpanBatch, TIME_FIELDS } from './span-batch.js';
import { int64At, nameAt, uuidAt } from './span-value-readers.js';
import { readTags, setTagsText } from './tag-object-reader.js';

// Module-local copies: see JSON_BYTE.
const { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } = JSON_BYTE;
const SPANS_KEY = ascii('"spans"');

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

/**
 * parseSpanBatchFast from the spans array's '[' at s[i] on, into `batch`. Each span is read
 * straight into the batch's columns at index `at`, made room for first; it counts (length) once
 * it is whole and checked. A declined body leaves partial columns behind, which release() drops.
 */
function parseSpans(s: Buffer, i: number, n: number, view: DataView, batch: SpanBatch): SpanBatch | undefined {
  for (;;) {
    i = skipWs(s, i + 1);
    if (s[i] !== OPEN_BRACE) return undefined;
    const at = batch.length;
    if (at === MAX_SPANS_PER_BATCH) return undefined;
    batch.reserveSpan();
    // After reserveSpan(), which may replace them.
    const ids = batch.ids;
    const times = batch.times;
    const o = at * ID_WORDS;
    const t = at * TIME_FIELDS;
    let seen = 0;
    let error = false;
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
          if (i >= 0) end = uuidAt(s, view, i, ids, o);
          break;
        case W_SPAN: // span_id"
          if (w1 !== W__ID_) return undefined;
          field = F_SPAN;
          i = valueAt(s, k + 8);
          if (i >= 0) end = uuidAt(s, view, i, ids, o + 4);
          break;
        case W_PARE: // parent_span_id"
          if (w1 !== W_NT_S || k + 12 > n || view.getUint32(k + 8, true) !== W_PAN_ || s[k + 12] !== 105 || s[k + 13] !== 100 || s[k + 14] !== QUOTE) return undefined;
          field = F_PARENT;
          i = valueAt(s, k + 15);
          if (i >= 0) end = uuidAt(s, view, i, ids, o + 8);
          break;
        case W_SERV: // service"
          if (w1 !== W_ICE_) return undefined;
          field = F_SERVICE;
          i = valueAt(s, k + 8);
          if (i >= 0 && s[i] === QUOTE) end = nameAt(s, view, n, i, batch.services, at);
          break;
        case W_OPER: // operation"
          if (w1 !== W_ATIO || s[k + 8] !== 110 || s[k + 9] !== QUOTE) return undefined;
          field = F_OPERATION;
          i = valueAt(s, k + 10);
          if (i >= 0 && s[i] === QUOTE) end = nameAt(s, view, n, i, batch.operations, at);
          break;
        case W_STAR: // start_time"
          if (w1 !== W_T_TI || s[k + 8] !== 109 || s[k + 9] !== 101 || s[k + 10] !== QUOTE) return undefined;
          field = F_START;
          i = valueAt(s, k + 11);
          if (i >= 0) end = int64At(s, view, n, i, times, t);
          break;
        case W_END_: // end_time"
          if (w1 !== W_TIME || s[k + 8] !== QUOTE) return undefined;
          field = F_END;
          i = valueAt(s, k + 9);
          if (i >= 0) end = int64At(s, view, n, i, times, t + 2);
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
          if (i >= 0 && s[i] === OPEN_BRACE) end = readTags(s, i, batch, at);
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
    const startSec = times[t]!;
    const endSec = times[t + 2]!;
    if (endSec < startSec || (endSec === startSec && times[t + 3]! < times[t + 1]!)) return undefined;
    const hasParent = (seen & F_PARENT) !== 0;
    if (!hasParent) for (let w = 8; w < ID_WORDS; w++) ids[o + w] = 0;
    if ((seen & F_TAGS) === 0) setTagsText(batch, at, undefined);
    batch.flags[at] = (hasParent ? SPAN_HAS_PARENT : 0) | (error ? SPAN_ERROR : 0);
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
