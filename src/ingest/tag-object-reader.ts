// The POST /spans fast parser's reader of a span's tags object (span-batch-fast.ts): it checks
// every pair, hashes each one as it scans it (codec/tag-hash.ts, in the same steps), and leaves
// text that is already what JSON.stringify would write in the body as a byte range.

import { MAX_TAG_KEY_LENGTH, MAX_TAGS_PER_SPAN } from '../../schemas/span.js';
import { finishTagHash, FNV_OFFSET, FNV_PRIME, tagHash } from '../codec/tag-hash.js';
import { ascii, JSON_BYTE, keyIs, plainStringByte, skipWs } from './json-bytes.js';
import type { SpanBatch } from './span-batch.js';

// Module-local copies: see JSON_BYTE.
const { CLOSE_BRACE, COLON, COMMA, NINE, QUOTE, ZERO } = JSON_BYTE;
const MAX_TAG_VALUE = 1024;
const PROTO = ascii('__proto__');

function isArrayIndexKey(s: Buffer, open: number, close: number): boolean {
  // JSON.stringify (and object spread) put integer-like keys first: such tags must not keep
  // their textual order. Anything starting with a digit is treated as such, conservatively.
  const c = s[open + 1]!;
  return close > open + 1 && c >= ZERO && c <= NINE;
}

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
 * With s[i] at '{': reads the tag object of span `at` of the batch, appending one hash per pair to
 * its tag hashes and setting its tagsJson and tagsAt (the text as JSON.stringify would write it,
 * or null and the range of the body's bytes that are that text already); returns the index after
 * it, or -1. No object is built unless the text is not already canonical.
 */
export function readTags(s: Buffer, i: number, batch: SpanBatch, at: number): number {
  const start = i;
  // The raw text equals JSON.stringify(tags) when it has no whitespace and no integer-like key.
  let canonical = true;
  let j = skipWs(s, i + 1);
  if (j !== i + 1) canonical = false;
  if (s[j] === CLOSE_BRACE) {
    setTagsText(batch, at, '{}');
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
    // ASCII, so bytes are characters; a longer key is left for the general path to refuse, as
    // soon as it is seen to be longer (a hostile key can be megabytes: no need to scan it all).
    const keyLimit = keyFrom + MAX_TAG_KEY_LENGTH;
    for (;; keyClose++) {
      const c = s[keyClose]!;
      if (c === QUOTE) break;
      if (!plainStringByte(c) || keyClose === keyLimit) return -1;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
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
    batch.tagsJson[at] = null;
    batch.tagsAt[2 * at] = start;
    batch.tagsAt[2 * at + 1] = j + 1;
    // The Int32Array holds the hash's bits; `>>> 0` gives back the unsigned number tagHash returns.
    for (let t = 0; t < count; t++) batch.addTagHash(tagScratch[TAG_FIELDS * t + 4]! >>> 0);
  } else {
    // Whitespace or integer-like keys: the object's own order and text, as the general path has them.
    const tags: Record<string, string> = {};
    for (let t = 0; t < count; t++) {
      const o = TAG_FIELDS * t;
      tags[s.toString('latin1', tagScratch[o]!, tagScratch[o + 1]!)] = s.toString('latin1', tagScratch[o + 2]!, tagScratch[o + 3]!);
    }
    setTagsText(batch, at, JSON.stringify(tags));
    for (const key in tags) batch.addTagHash(tagHash(key, tags[key]!));
  }
  return j + 1;
}

/** Span `at` of the batch has this tag text (undefined: no tags field), not a range of the body. */
export function setTagsText(batch: SpanBatch, at: number, text: string | undefined): void {
  batch.tagsJson[at] = text;
  batch.tagsAt[2 * at] = 0;
  batch.tagsAt[2 * at + 1] = 0;
}
