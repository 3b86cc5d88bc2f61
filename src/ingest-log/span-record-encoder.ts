// Encodes an accepted batch as the payload of a RECORD_SPANS record (the layout is in
// record-codec.ts, which decodes it). This runs on every request's path, before its sync, and
// with the collector's core saturated its cost comes straight off goodput; so:
// - The batch's tables (span ids, trace ids, tag sets) are found with open-addressing tables of
//   typed arrays, keyed by one 30-bit word and confirmed on the whole id or text. A generation
//   stamp empties them in O(1) per batch; a Map cleared and refilled per batch cost an
//   allocation-heavy insert per span.
// - The record's size is bounded before writing (every field has a fixed worst case), so the
//   output is reserved once and written with plain byte stores, not a bounds check per field.
// - Service and operation names are copied from a cache of their UTF-8 bytes, not re-encoded by
//   a call into C++ per name per batch.

import { ID_WORDS, SPAN_HAS_PARENT, SPAN_NEGATIVE_START, TIME_FIELDS, type SpanBatch } from '../ingest/span-batch.js';
import { putVarint, withRoom, type ByteWriter } from './byte-buffers.js';

export const RECORD_SPANS = 1;

// Map keys and table keys are cut to 30 bits; a hit is always confirmed on the whole id or text.
const KEY_BITS = 0x3fffffff;

/** An open-addressing table from a 30-bit key to a small index, emptied by bumping `stamp`. */
class IndexTable {
  private keys = new Int32Array(64);
  private values = new Int32Array(64);
  private stamps = new Uint32Array(64);
  private stamp = 1;
  private mask = 63;

  /** Empties the table, sized for `entries` keys at most. */
  clear(entries: number): void {
    if (entries * 2 > this.keys.length) {
      let size = this.keys.length;
      while (size < entries * 2) size *= 2;
      this.keys = new Int32Array(size);
      this.values = new Int32Array(size);
      this.stamps = new Uint32Array(size);
      this.mask = size - 1;
      this.stamp = 0;
    }
    if (++this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** The value of the first entry under `key`, or -1. */
  get(key: number): number {
    const { keys, stamps, stamp, mask } = this;
    for (let slot = Math.imul(key, 0x9e3779b1) & mask; stamps[slot] === stamp; slot = (slot + 1) & mask) {
      if (keys[slot] === key) return this.values[slot]!;
    }
    return -1;
  }

  /** Adds `key` → `value` unless the key is there already (the first entry stays). */
  add(key: number, value: number): void {
    const { keys, stamps, stamp, mask } = this;
    let slot = Math.imul(key, 0x9e3779b1) & mask;
    for (; stamps[slot] === stamp; slot = (slot + 1) & mask) if (keys[slot] === key) return;
    stamps[slot] = stamp;
    keys[slot] = key;
    this.values[slot] = value;
  }
}

const spanByWord = new IndexTable();
const traceByWord = new IndexTable();
const tagByHash = new IndexTable();
/** Each trace's first span, in first-seen order. */
let traceSpans = new Uint32Array(64);
let traceCount = 0;
/** The span whose tags are each tag-table entry: the text is written from it. */
let tagSpans = new Uint32Array(64);
let tagCount = 0;
/** A name's UTF-8 bytes, and its index in the table of the batch being encoded (when `stamp` is that batch's). */
interface NameEntry {
  bytes: Buffer;
  stamp: number;
  index: number;
}
/** Names seen lately, by string; bounded, dropped whole when full. */
const nameEntries = new Map<string, NameEntry>();
const NAME_CACHE_ENTRIES = 4096;
/** The batch's distinct names (services and operations), as found. */
let names: NameEntry[] = [];
let nameStamp = 0;
// Per span, found in the first pass and written in the second.
let spanTrace = new Uint32Array(256);
let spanService = new Uint32Array(256);
let spanOperation = new Uint32Array(256);
/** 0: no tags field, else 1 + tag-table index. */
let spanTags = new Uint32Array(256);

function sameId(ids: Uint32Array, a: number, b: number): boolean {
  return ids[a] === ids[b] && ids[a + 1] === ids[b + 1] && ids[a + 2] === ids[b + 2] && ids[a + 3] === ids[b + 3];
}

function nameAt(name: string): number {
  // The parser hands out one string per name, so the Map finds it by the hash the string keeps.
  let entry = nameEntries.get(name);
  if (entry === undefined) {
    if (nameEntries.size >= NAME_CACHE_ENTRIES) nameEntries.clear();
    entry = { bytes: Buffer.from(name, 'utf8'), stamp: 0, index: 0 };
    nameEntries.set(name, entry);
  }
  if (entry.stamp !== nameStamp) {
    entry.stamp = nameStamp;
    entry.index = names.length;
    names.push(entry);
  }
  return entry.index;
}

/** A mix of span i's tag pair hashes, in order (equal texts have equal hashes in the same order). */
function tagSetHash(hashes: Uint32Array, from: number, to: number): number {
  let mix = to - from;
  for (let h = from; h < to; h++) mix = Math.imul(mix ^ hashes[h]!, 0x9e3779b1) ^ (mix >>> 15);
  return mix & KEY_BITS;
}

/** Whether spans a and b have the same tag text (compared without making a string of body bytes). */
function sameTags(batch: SpanBatch, a: number, b: number): boolean {
  const textA = batch.tagsJson[a];
  const textB = batch.tagsJson[b];
  if (textA !== null && textB !== null) return textA === textB;
  if (textA === null && textB === null) {
    const at = batch.tagsAt;
    const body = batch.body!;
    const fromA = at[2 * a]!;
    const fromB = at[2 * b]!;
    const length = at[2 * a + 1]! - fromA;
    if (at[2 * b + 1]! - fromB !== length) return false;
    // Tag text is short: four bytes at a time here beats a call into C++ (Buffer.compare).
    const view = batch.bodyView;
    let k = 0;
    if (view !== undefined) for (; k + 4 <= length; k += 4) if (view.getUint32(fromA + k, true) !== view.getUint32(fromB + k, true)) return false;
    for (; k < length; k++) if (body[fromA + k] !== body[fromB + k]) return false;
    return true;
  }
  // One in the body, one a string: rare; a second table entry only costs its bytes.
  return false;
}

/** Writes four 32-bit words of `words` from `offset` as 16 little-endian bytes at `at`. */
function putWords4(buffer: Buffer, at: number, words: Uint32Array, offset: number): number {
  for (let w = offset; w < offset + 4; w++) {
    const word = words[w]!;
    buffer[at++] = word & 0xff;
    buffer[at++] = (word >>> 8) & 0xff;
    buffer[at++] = (word >>> 16) & 0xff;
    buffer[at++] = word >>> 24;
  }
  return at;
}

function putBytes(buffer: Buffer, at: number, source: Buffer, from: number, to: number): number {
  at = putVarint(buffer, at, to - from);
  // Names and tag text are short: a loop beats the call into C++ that copy() makes.
  if (to - from <= 128) for (let k = from; k < to; k++) buffer[at++] = source[k]!;
  else at += source.copy(buffer, at, from, to);
  return at;
}

// Worst cases in bytes: a varint of up to 2^53 takes 8, an id 16.
const SPAN_MAX_BYTES = 1 + 16 + 8 + (8 + 16) + 3 * 8 + 4 * 8;
const HEADER_MAX_BYTES = 1 + 6 * 8;

/** Appends the payload of a RECORD_SPANS record for `batch`, logged at `appendMs`, to `out`. */
export function encodeSpanBatch(batch: SpanBatch, appendMs: number, out: ByteWriter): void {
  const n = batch.length;
  const ids = batch.ids;
  const times = batch.times;
  const flags = batch.flags;
  const tagEnds = batch.tagEnds;
  const hashes = batch.tagHashes;
  spanByWord.clear(n);
  traceByWord.clear(n);
  tagByHash.clear(n);
  traceSpans = withRoom(traceSpans, n);
  tagSpans = withRoom(tagSpans, n);
  traceCount = 0;
  tagCount = 0;
  names.length = 0;
  // New entries start at stamp 0, never a batch's; at the wrap the cache starts again, so that no
  // old entry can carry the new batch's stamp.
  if (++nameStamp === 0x3fffffff) {
    nameEntries.clear();
    nameStamp = 1;
  }
  if (spanTrace.length < n) {
    spanTrace = new Uint32Array(n * 2);
    spanService = new Uint32Array(n * 2);
    spanOperation = new Uint32Array(n * 2);
    spanTags = new Uint32Array(n * 2);
  }

  let bound = HEADER_MAX_BYTES + n * SPAN_MAX_BYTES;
  let baseSeconds = Infinity;
  for (let i = 0; i < n; i++) {
    const id = i * ID_WORDS;
    spanByWord.add(ids[id + 7]! & KEY_BITS, i);
    const traceKey = ids[id + 3]! & KEY_BITS;
    let trace = traceByWord.get(traceKey);
    if (trace < 0 || !sameId(ids, traceSpans[trace]! * ID_WORDS, id)) {
      // A miss, or two traces sharing a key (rare): search the table.
      trace = -1;
      for (let t = 0; t < traceCount; t++) if (sameId(ids, traceSpans[t]! * ID_WORDS, id)) trace = t;
      if (trace < 0) {
        trace = traceCount++;
        traceSpans[trace] = i;
        traceByWord.add(traceKey, trace);
        bound += 16;
      }
    }
    spanTrace[i] = trace;
    const servicesBefore = names.length;
    spanService[i] = nameAt(batch.services[i]!);
    spanOperation[i] = nameAt(batch.operations[i]!);
    for (let k = servicesBefore; k < names.length; k++) bound += 8 + names[k]!.bytes.length;
    if (batch.tagsJson[i] === undefined) spanTags[i] = 0;
    else {
      const from = i === 0 ? 0 : tagEnds[i - 1]!;
      const key = tagSetHash(hashes, from, tagEnds[i]!);
      let tag = tagByHash.get(key);
      // A different set with the same key (rare) gets an entry of its own, unindexed.
      if (tag < 0 || !sameTags(batch, tagSpans[tag]!, i)) {
        if (tag < 0) tagByHash.add(key, tagCount);
        tag = tagCount++;
        tagSpans[tag] = i;
        const text = batch.tagsJson[i];
        // Every UTF-16 unit is at most 3 UTF-8 bytes.
        bound += 16 + (text === null ? batch.tagsAt[2 * i + 1]! - batch.tagsAt[2 * i]! : 3 * text!.length) + 4 * (tagEnds[i]! - from);
      }
      spanTags[i] = 1 + tag;
    }
    if ((flags[i]! & SPAN_NEGATIVE_START) === 0 && times[i * TIME_FIELDS]! < baseSeconds) baseSeconds = times[i * TIME_FIELDS]!;
  }
  if (baseSeconds === Infinity) baseSeconds = 0;

  out.reserve(bound);
  const buffer = out.buffer;
  let at = out.length;
  buffer[at++] = RECORD_SPANS;
  at = putVarint(buffer, at, appendMs);
  at = putVarint(buffer, at, n);
  at = putVarint(buffer, at, baseSeconds);
  at = putVarint(buffer, at, names.length);
  for (const name of names) at = putBytes(buffer, at, name.bytes, 0, name.bytes.length);
  at = putVarint(buffer, at, traceCount);
  for (let t = 0; t < traceCount; t++) at = putWords4(buffer, at, ids, traceSpans[t]! * ID_WORDS);
  at = putVarint(buffer, at, tagCount);
  for (let t = 0; t < tagCount; t++) {
    const span = tagSpans[t]!;
    const text = batch.tagsJson[span];
    // Text the fast parser left in the body is ASCII: its bytes are its UTF-8, copied as they are.
    if (text === null) at = putBytes(buffer, at, batch.body!, batch.tagsAt[2 * span]!, batch.tagsAt[2 * span + 1]!);
    else {
      const written = buffer.write(text!, at + 5, 'utf8');
      // The length goes first; written into a 5-byte slot it would waste bytes, so the text moves.
      const start = at;
      at = putVarint(buffer, at, written);
      if (at !== start + 5) buffer.copy(buffer, at, start + 5, start + 5 + written);
      at += written;
    }
    const from = span === 0 ? 0 : tagEnds[span - 1]!;
    const to = tagEnds[span]!;
    at = putVarint(buffer, at, to - from);
    for (let h = from; h < to; h++) {
      const hash = hashes[h]!;
      buffer[at++] = hash & 0xff;
      buffer[at++] = (hash >>> 8) & 0xff;
      buffer[at++] = (hash >>> 16) & 0xff;
      buffer[at++] = hash >>> 24;
    }
  }
  for (let i = 0; i < n; i++) {
    const id = i * ID_WORDS;
    const spanFlags = flags[i]!;
    buffer[at++] = spanFlags;
    at = putWords4(buffer, at, ids, id + 4);
    at = putVarint(buffer, at, spanTrace[i]!);
    if ((spanFlags & SPAN_HAS_PARENT) !== 0) {
      const parent = spanByWord.get(ids[id + 11]! & KEY_BITS);
      if (parent >= 0 && sameId(ids, parent * ID_WORDS + 4, id + 8)) at = putVarint(buffer, at, 1 + parent);
      else {
        buffer[at++] = 0;
        at = putWords4(buffer, at, ids, id + 8);
      }
    }
    at = putVarint(buffer, at, spanService[i]!);
    at = putVarint(buffer, at, spanOperation[i]!);
    at = putVarint(buffer, at, spanTags[i]!);
    if ((spanFlags & SPAN_NEGATIVE_START) === 0) {
      const t = i * TIME_FIELDS;
      at = putVarint(buffer, at, times[t]! - baseSeconds);
      at = putVarint(buffer, at, times[t + 1]!);
      at = putVarint(buffer, at, times[t + 2]! - times[t]!);
      at = putVarint(buffer, at, times[t + 3]!);
    }
  }
  out.length = at;
}
