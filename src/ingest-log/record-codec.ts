// The payload of one ingest-log record: an accepted batch in binary, as the store will read it.
//
// Layout (integers are varints unless said otherwise, see byte-buffers.ts):
//   u8 kind: RECORD_SPANS or RECORD_LOGS
//   append time: the clock's ms when the batch was logged (replay applies it at that time)
//   RECORD_SPANS:
//     spans, baseSeconds (the batch's smallest start second)
//     names:  count, then each as text           (services and operations, one table)
//     traces: count, then each as 16 bytes       (trace ids, in first-seen order)
//     tags:   count, then each as text and its pair hashes (count, then u32 each)
//     per span: u8 flags, span id (16 bytes), trace index,
//               parent (if SPAN_HAS_PARENT: 0 then 16 bytes, or 1 + index of a span of this batch),
//               service index, operation index, tags (0: no tags field, else 1 + index),
//               times unless SPAN_NEGATIVE_START: start s − baseSeconds, start ns, end s − start s, end ns
//   RECORD_LOGS: the logs as JSON text (times are int64 decimal strings, so exact)
//
// Why this shape: an emitter batch repeats its trace ids, names and tag sets, and half of its
// parent ids are ids of the same batch, so tables turn each into a byte or two; times are kept
// as seconds and nanoseconds, exactly as SpanBatch holds them, so nothing is rounded. Tag text
// is kept as the exact JSON the store keeps, with its pair hashes, so replay neither parses nor
// hashes a tag. Encoding runs on the request's path: tag sets are told apart by their pair hashes
// (then compared byte for byte), tag text still in the request body is copied from it without
// becoming a string, and the lookup tables are reused between calls.

import { ID_WORDS, SPAN_HAS_PARENT, SPAN_NEGATIVE_START, SpanBatch, TIME_FIELDS } from '../ingest/span-batch.js';
import type { IngestLog } from '../logs/log-store.js';
import { ByteReader, RecordFormatError, type ByteWriter } from './byte-buffers.js';

export const RECORD_SPANS = 1;
export const RECORD_LOGS = 2;

export type DecodedRecord = ({ kind: typeof RECORD_SPANS; batch: SpanBatch } | { kind: typeof RECORD_LOGS; logs: IngestLog[] }) & { appendMs: number };

// Lookup tables reused by every encode (encoding is synchronous, so one set serves all requests).
const nameIndex = new Map<string, number>();
const names: string[] = [];
/** Tag-table index by a mix of the set's pair hashes; a hit is confirmed by comparing the text. */
const tagByHash = new Map<number, number>();
/** The span whose tags are each table entry: the text is written from it (body bytes or string). */
const tagSpan: number[] = [];
// Map keys are cut to 30 bits: V8 keeps such numbers unboxed (a full 32-bit word would be a heap
// number, an allocation per lookup); a hit is confirmed by comparing whole ids anyway.
const SMI_BITS = 0x3fffffff;
/** Span index by the last word of its span id; the other words are compared on a hit. */
const spanByWord = new Map<number, number>();
/** Trace index by the last word of its trace id, and each trace's first span. */
const traceByWord = new Map<number, number>();
const traceSpans: number[] = [];
// Per span of the batch being encoded, found in the first pass and written in the second.
let spanTraceIndex = new Uint32Array(256);
let spanServiceIndex = new Uint32Array(256);
let spanOperationIndex = new Uint32Array(256);
/** 0: no tags field, else 1 + index in tagSpan. */
let spanTagIndex = new Uint32Array(256);

function sameId(ids: Uint32Array, a: number, b: number): boolean {
  return ids[a] === ids[b] && ids[a + 1] === ids[b + 1] && ids[a + 2] === ids[b + 2] && ids[a + 3] === ids[b + 3];
}

function nameAt(name: string): number {
  // A batch names a handful of services and operations, and the parser hands out one string per
  // name: a scan by identity finds it before a Map would have hashed it.
  if (names.length <= 8) {
    for (let k = 0; k < names.length; k++) if (names[k] === name) return k;
    names.push(name);
    nameIndex.set(name, names.length - 1);
    return names.length - 1;
  }
  let index = nameIndex.get(name);
  if (index === undefined) {
    index = names.length;
    names.push(name);
    nameIndex.set(name, index);
  }
  return index;
}

/** A mix of span i's tag pair hashes, in order (equal texts have equal hashes in the same order). */
function tagSetHash(batch: SpanBatch, i: number): number {
  const hashes = batch.tagHashes;
  const to = batch.tagEnds[i]!;
  let mix = to - (i === 0 ? 0 : batch.tagEnds[i - 1]!);
  for (let h = i === 0 ? 0 : batch.tagEnds[i - 1]!; h < to; h++) mix = Math.imul(mix ^ hashes[h]!, 0x9e3779b1) ^ (mix >>> 15);
  return mix & SMI_BITS;
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
    // Tag text is short: a loop here beats a call into C++ (Buffer.compare).
    for (let k = 0; k < length; k++) if (body[fromA + k] !== body[fromB + k]) return false;
    return true;
  }
  // One in the body, one a string: rare; a second table entry only costs its bytes.
  return false;
}

/** Appends the payload of a RECORD_SPANS record for `batch`, logged at `appendMs`, to `out`. */
export function encodeSpanBatch(batch: SpanBatch, appendMs: number, out: ByteWriter): void {
  const n = batch.length;
  const ids = batch.ids;
  const times = batch.times;
  const flags = batch.flags;
  nameIndex.clear();
  names.length = 0;
  tagByHash.clear();
  tagSpan.length = 0;
  spanByWord.clear();
  traceByWord.clear();
  traceSpans.length = 0;
  if (spanTraceIndex.length < n) {
    spanTraceIndex = new Uint32Array(n * 2);
    spanServiceIndex = new Uint32Array(n * 2);
    spanOperationIndex = new Uint32Array(n * 2);
    spanTagIndex = new Uint32Array(n * 2);
  }

  let baseSeconds = Infinity;
  for (let i = 0; i < n; i++) {
    const id = i * ID_WORDS;
    if (!spanByWord.has(ids[id + 7]! & SMI_BITS)) spanByWord.set(ids[id + 7]! & SMI_BITS, i);
    let trace = traceByWord.get(ids[id + 3]! & SMI_BITS);
    if (trace === undefined || !sameId(ids, traceSpans[trace]! * ID_WORDS, id)) {
      // A miss, or two traces sharing a last word (rare): search the table.
      trace = undefined;
      for (let t = 0; t < traceSpans.length; t++) if (sameId(ids, traceSpans[t]! * ID_WORDS, id)) trace = t;
      if (trace === undefined) {
        trace = traceSpans.length;
        traceSpans.push(i);
        if (!traceByWord.has(ids[id + 3]! & SMI_BITS)) traceByWord.set(ids[id + 3]! & SMI_BITS, trace);
      }
    }
    spanTraceIndex[i] = trace;
    spanServiceIndex[i] = nameAt(batch.services[i]!);
    spanOperationIndex[i] = nameAt(batch.operations[i]!);
    if (batch.tagsJson[i] === undefined) spanTagIndex[i] = 0;
    else {
      const key = tagSetHash(batch, i);
      let tag = tagByHash.get(key);
      // A different set with the same mix (rare) gets an entry of its own, unindexed.
      if (tag === undefined || !sameTags(batch, tagSpan[tag]!, i)) {
        if (tag === undefined) tagByHash.set(key, tagSpan.length);
        tag = tagSpan.length;
        tagSpan.push(i);
      }
      spanTagIndex[i] = 1 + tag;
    }
    if ((flags[i]! & SPAN_NEGATIVE_START) === 0 && times[i * TIME_FIELDS]! < baseSeconds) baseSeconds = times[i * TIME_FIELDS]!;
  }
  if (baseSeconds === Infinity) baseSeconds = 0;

  out.u8(RECORD_SPANS);
  out.varint(appendMs);
  out.varint(n);
  out.varint(baseSeconds);
  out.varint(names.length);
  for (const name of names) out.text(name);
  out.varint(traceSpans.length);
  for (const span of traceSpans) out.words4(ids, span * ID_WORDS);
  out.varint(tagSpan.length);
  const tagEnds = batch.tagEnds;
  const hashes = batch.tagHashes;
  for (let t = 0; t < tagSpan.length; t++) {
    const span = tagSpan[t]!;
    const text = batch.tagsJson[span];
    // Text the fast parser left in the body is ASCII: its bytes are its UTF-8, copied as they are.
    if (text === null) out.bytes(batch.body!, batch.tagsAt[2 * span]!, batch.tagsAt[2 * span + 1]!);
    else out.text(text!);
    const from = span === 0 ? 0 : tagEnds[span - 1]!;
    const to = tagEnds[span]!;
    out.varint(to - from);
    for (let h = from; h < to; h++) out.u32(hashes[h]!);
  }
  for (let i = 0; i < n; i++) {
    const id = i * ID_WORDS;
    const spanFlags = flags[i]!;
    out.u8(spanFlags);
    out.words4(ids, id + 4);
    out.varint(spanTraceIndex[i]!);
    if ((spanFlags & SPAN_HAS_PARENT) !== 0) {
      const parent = spanByWord.get(ids[id + 11]! & SMI_BITS);
      if (parent !== undefined && sameId(ids, parent * ID_WORDS + 4, id + 8)) out.varint(1 + parent);
      else {
        out.varint(0);
        out.words4(ids, id + 8);
      }
    }
    out.varint(spanServiceIndex[i]!);
    out.varint(spanOperationIndex[i]!);
    out.varint(spanTagIndex[i]!);
    if ((spanFlags & SPAN_NEGATIVE_START) === 0) {
      const t = i * TIME_FIELDS;
      out.varint(times[t]! - baseSeconds);
      out.varint(times[t + 1]!);
      out.varint(times[t + 2]! - times[t]!);
      out.varint(times[t + 3]!);
    }
  }
}

/** Appends the payload of a RECORD_LOGS record. */
export function encodeLogs(logs: readonly IngestLog[], appendMs: number, out: ByteWriter): void {
  out.u8(RECORD_LOGS);
  out.varint(appendMs);
  out.text(JSON.stringify(logs));
}

/**
 * The record in `buffer[start, end)`. Throws RecordFormatError when it does not decode (a
 * record whose checksum matched but whose fields do not fit: written by a broken build).
 * A span batch may read its ASCII tag text from `buffer` (SpanBatch.body): apply it before the
 * buffer is reused, as a request's batch is applied before its body is let go.
 */
export function decodeRecord(buffer: Buffer, start: number, end: number): DecodedRecord {
  const reader = new ByteReader(buffer, start, end);
  const kind = reader.u8();
  if (kind !== RECORD_SPANS && kind !== RECORD_LOGS) throw new RecordFormatError(`unknown record kind ${kind}`);
  const appendMs = reader.varint();
  if (kind === RECORD_LOGS) return { kind, appendMs, logs: JSON.parse(reader.text()) as IngestLog[] };
  return { kind, appendMs, batch: decodeSpans(reader) };
}

/** Words of the batch's trace ids, four per trace. */
let traceWords = new Uint32Array(64 * 4);
/** The tag sets' pair hashes of the record being decoded, and where each set's start. */
let hashes = new Uint32Array(1024);
let hashStart = new Uint32Array(65);

function grownHashes(from: Uint32Array, needed: number): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(Math.max(needed, from.length * 2));
  grown.set(from);
  return grown;
}

/** Byte range of each ASCII tag text in the record's buffer. */
let tagFrom = new Uint32Array(64);
let tagTo = new Uint32Array(64);
/** A DataView of the last buffer decoded from (a reader reuses one buffer for many records). */
let lastViewed: { buffer: Buffer; view: DataView } | undefined;

function viewOf(buffer: Buffer): DataView {
  if (lastViewed?.buffer !== buffer) lastViewed = { buffer, view: new DataView(buffer.buffer, buffer.byteOffset, buffer.length) };
  return lastViewed.view;
}

function decodeSpans(reader: ByteReader): SpanBatch {
  const n = reader.varint();
  const baseSeconds = reader.varint();
  const nameCount = reader.varint();
  const batchNames: string[] = new Array(nameCount);
  for (let i = 0; i < nameCount; i++) batchNames[i] = reader.text();
  const traceCount = reader.varint();
  if (traceWords.length < traceCount * 4) traceWords = new Uint32Array(traceCount * 8);
  for (let t = 0; t < traceCount; t++) reader.words4(traceWords, t * 4);
  const tagCount = reader.varint();
  // Each tag text as a string, or null when it is ASCII: then the batch reads it in place, from
  // `reader.buffer` (tagFrom/tagTo), as it reads a request body, and no string is made.
  const tags: Array<string | null> = new Array(tagCount);
  if (tagFrom.length < tagCount) {
    tagFrom = new Uint32Array(tagCount * 2);
    tagTo = new Uint32Array(tagCount * 2);
  }
  // Every tag set's pair hashes, one after another in a reused array: set t owns
  // [hashStart[t], hashStart[t + 1]).
  if (hashStart.length < tagCount + 1) hashStart = new Uint32Array(tagCount * 2 + 1);
  hashStart[0] = 0;
  const buffer = reader.buffer;
  let inPlace = false;
  for (let t = 0; t < tagCount; t++) {
    const bytes = reader.varint();
    const from = reader.at;
    reader.skip(bytes);
    let ascii = true;
    for (let k = from; k < from + bytes; k++) if (buffer[k]! >= 0x80) ascii = false;
    if (ascii) {
      tags[t] = null;
      tagFrom[t] = from;
      tagTo[t] = from + bytes;
      inPlace = true;
    } else tags[t] = buffer.toString('utf8', from, from + bytes);
    const count = reader.varint();
    const first = hashStart[t]!;
    if (hashes.length < first + count) hashes = grownHashes(hashes, first + count);
    for (let h = 0; h < count; h++) hashes[first + h] = reader.u32();
    hashStart[t + 1] = first + count;
  }
  const batch = SpanBatch.acquire();
  if (inPlace) {
    batch.body = buffer;
    batch.bodyView = viewOf(buffer);
  }
  // Parents that point at later spans of the batch are filled in once every span id is read.
  let forward: number[] | undefined;
  for (let i = 0; i < n; i++) {
    batch.reserveSpan();
    const ids = batch.ids;
    const id = i * ID_WORDS;
    const flags = reader.u8();
    reader.words4(ids, id + 4);
    const trace = reader.varint();
    if (trace >= traceCount) throw new RecordFormatError(`span ${i} names trace ${trace} of ${traceCount}`);
    ids[id] = traceWords[trace * 4]!;
    ids[id + 1] = traceWords[trace * 4 + 1]!;
    ids[id + 2] = traceWords[trace * 4 + 2]!;
    ids[id + 3] = traceWords[trace * 4 + 3]!;
    if ((flags & SPAN_HAS_PARENT) !== 0) {
      const parent = reader.varint();
      if (parent === 0) reader.words4(ids, id + 8);
      else if (parent - 1 >= n) throw new RecordFormatError(`span ${i} names parent span ${parent - 1} of ${n}`);
      else if (parent - 1 < i) ids.copyWithin(id + 8, (parent - 1) * ID_WORDS + 4, (parent - 1) * ID_WORDS + 8);
      else (forward ??= []).push(i, parent - 1);
    } else {
      ids.fill(0, id + 8, id + 12);
    }
    batch.flags[i] = flags;
    const service = reader.varint();
    const operation = reader.varint();
    if (service >= nameCount || operation >= nameCount) throw new RecordFormatError(`span ${i} names a name past the table of ${nameCount}`);
    batch.services[i] = batchNames[service]!;
    batch.operations[i] = batchNames[operation]!;
    const tag = reader.varint();
    if (tag > tagCount) throw new RecordFormatError(`span ${i} names tags ${tag - 1} of ${tagCount}`);
    if (tag === 0) batch.tagsJson[i] = undefined;
    else {
      const text = tags[tag - 1]!;
      batch.tagsJson[i] = text;
      if (text === null) {
        batch.tagsAt[2 * i] = tagFrom[tag - 1]!;
        batch.tagsAt[2 * i + 1] = tagTo[tag - 1]!;
      }
      for (let h = hashStart[tag - 1]!, to = hashStart[tag]!; h < to; h++) batch.addTagHash(hashes[h]!);
    }
    batch.tagEnds[i] = batch.tagHashCount;
    const t = i * TIME_FIELDS;
    if ((flags & SPAN_NEGATIVE_START) === 0) {
      const startSeconds = baseSeconds + reader.varint();
      batch.times[t] = startSeconds;
      batch.times[t + 1] = reader.varint();
      batch.times[t + 2] = startSeconds + reader.varint();
      batch.times[t + 3] = reader.varint();
    } else {
      batch.times.fill(0, t, t + TIME_FIELDS);
    }
    batch.length++;
  }
  if (forward !== undefined) {
    const ids = batch.ids;
    for (let k = 0; k < forward.length; k += 2) ids.copyWithin(forward[k]! * ID_WORDS + 8, forward[k + 1]! * ID_WORDS + 4, forward[k + 1]! * ID_WORDS + 8);
  }
  if (reader.at !== reader.end) throw new RecordFormatError(`${reader.end - reader.at} bytes left after the batch`);
  return batch;
}
