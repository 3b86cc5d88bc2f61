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
// hashes a tag. Encoding runs on the request's path: it allocates a string only for tag text
// still in the request body and reuses its lookup tables between calls.

import { ID_WORDS, SPAN_HAS_PARENT, SPAN_NEGATIVE_START, SpanBatch, TIME_FIELDS } from '../ingest/span-batch.js';
import type { IngestLog } from '../logs/log-store.js';
import { ByteReader, RecordFormatError, type ByteWriter } from './byte-buffers.js';

export const RECORD_SPANS = 1;
export const RECORD_LOGS = 2;

export type DecodedRecord = ({ kind: typeof RECORD_SPANS; batch: SpanBatch } | { kind: typeof RECORD_LOGS; logs: IngestLog[] }) & { appendMs: number };

// Lookup tables reused by every encode (encoding is synchronous, so one set serves all requests).
const nameIndex = new Map<string, number>();
const names: string[] = [];
const tagIndex = new Map<string, number>();
const tagTexts: string[] = [];
const tagSpan: number[] = [];
/** Span index by the last word of its span id; the other words are compared on a hit. */
const spanByWord = new Map<number, number>();
/** Trace index by the last word of its trace id, and each trace's first span. */
const traceByWord = new Map<number, number>();
const traceSpans: number[] = [];
// Per span of the batch being encoded, found in the first pass and written in the second.
let spanTraceIndex = new Uint32Array(256);
let spanServiceIndex = new Uint32Array(256);
let spanOperationIndex = new Uint32Array(256);
/** 0: no tags field, else 1 + index in tagTexts. */
let spanTagIndex = new Uint32Array(256);

function sameId(ids: Uint32Array, a: number, b: number): boolean {
  return ids[a] === ids[b] && ids[a + 1] === ids[b + 1] && ids[a + 2] === ids[b + 2] && ids[a + 3] === ids[b + 3];
}

function nameAt(name: string): number {
  let index = nameIndex.get(name);
  if (index === undefined) {
    index = names.length;
    names.push(name);
    nameIndex.set(name, index);
  }
  return index;
}

/** Appends the payload of a RECORD_SPANS record for `batch`, logged at `appendMs`, to `out`. */
export function encodeSpanBatch(batch: SpanBatch, appendMs: number, out: ByteWriter): void {
  const n = batch.length;
  const ids = batch.ids;
  const times = batch.times;
  const flags = batch.flags;
  nameIndex.clear();
  names.length = 0;
  tagIndex.clear();
  tagTexts.length = 0;
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
    if (!spanByWord.has(ids[id + 7]!)) spanByWord.set(ids[id + 7]!, i);
    let trace = traceByWord.get(ids[id + 3]!);
    if (trace === undefined || !sameId(ids, traceSpans[trace]! * ID_WORDS, id)) {
      // A miss, or two traces sharing a last word (rare): search the table.
      trace = undefined;
      for (let t = 0; t < traceSpans.length; t++) if (sameId(ids, traceSpans[t]! * ID_WORDS, id)) trace = t;
      if (trace === undefined) {
        trace = traceSpans.length;
        traceSpans.push(i);
        if (!traceByWord.has(ids[id + 3]!)) traceByWord.set(ids[id + 3]!, trace);
      }
    }
    spanTraceIndex[i] = trace;
    spanServiceIndex[i] = nameAt(batch.services[i]!);
    spanOperationIndex[i] = nameAt(batch.operations[i]!);
    const tags = batch.tagsText(i);
    if (tags === undefined) spanTagIndex[i] = 0;
    else {
      let tag = tagIndex.get(tags);
      if (tag === undefined) {
        tag = tagTexts.length;
        tagIndex.set(tags, tag);
        tagTexts.push(tags);
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
  out.varint(tagTexts.length);
  const tagEnds = batch.tagEnds;
  const hashes = batch.tagHashes;
  for (let t = 0; t < tagTexts.length; t++) {
    out.text(tagTexts[t]!);
    const span = tagSpan[t]!;
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
      const parent = spanByWord.get(ids[id + 11]!);
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
  const tags: string[] = new Array(tagCount);
  const tagHashes: number[][] = new Array(tagCount);
  for (let t = 0; t < tagCount; t++) {
    tags[t] = reader.text();
    const count = reader.varint();
    const pairs: number[] = new Array(count);
    for (let h = 0; h < count; h++) pairs[h] = reader.u32();
    tagHashes[t] = pairs;
  }
  const batch = SpanBatch.acquire();
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
      batch.tagsJson[i] = tags[tag - 1]!;
      const pairs = tagHashes[tag - 1]!;
      for (let h = 0; h < pairs.length; h++) batch.addTagHash(pairs[h]!);
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
