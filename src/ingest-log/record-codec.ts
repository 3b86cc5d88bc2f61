// The payload of one ingest-log record: an accepted batch in binary, as the store will read it.
//
// Layout (integers are varints unless said otherwise, see byte-buffers.ts):
//   u8 kind: RECORD_SPANS, RECORD_LOGS or RECORD_DECISIONS
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
//   RECORD_DECISIONS: tail-sampling decisions, kept: count, then each trace id as 16 bytes;
//                     dropped: count, then each trace id as 16 bytes
//
// Why this shape: an emitter batch repeats its trace ids, names and tag sets, and half of its
// parent ids are ids of the same batch, so tables turn each into a byte or two; times are kept
// as seconds and nanoseconds, exactly as SpanBatch holds them, so nothing is rounded. Tag text
// is kept as the exact JSON the store keeps, with its pair hashes, so replay neither parses nor
// hashes a tag. The encoder is span-record-encoder.ts (it runs on every request's path, so it is
// written for speed); this file decodes.
//
// A decision record is not acknowledged to anyone: it is appended without waiting for its sync
// and rides the next group's. It follows, in the log, every span its decision covered (a span is
// logged before the sampler sees it), so replay meets a trace's spans before its decision. A build
// that predates a kind refuses the record (RecordFormatError, or the reader's frame check) and
// replay counts it as corrupt and goes on: an older build replays a newer log, decisions left out.

import { ID_WORDS, SPAN_HAS_PARENT, SPAN_NEGATIVE_START, SpanBatch, TIME_FIELDS } from '../ingest/span-batch.js';
import { uuidFromWords, writeUuidWords } from '../codec/uuid-words.js';
import type { IngestLog } from '../logs/log-store.js';
import type { TailDecisions } from '../sampling/sampling-options.js';
import { ByteReader, RecordFormatError, varintAt, varintEnd, withRoom, type ByteWriter } from './byte-buffers.js';
import { RECORD_SPANS } from './span-record-encoder.js';

export { encodeSpanBatch, RECORD_SPANS } from './span-record-encoder.js';

export const RECORD_LOGS = 2;
export const RECORD_DECISIONS = 3;

/** Whether `kind` is a record kind this build reads (the segment reader's frame check). */
export function knownRecordKind(kind: number | undefined): kind is typeof RECORD_SPANS | typeof RECORD_LOGS | typeof RECORD_DECISIONS {
  return kind === RECORD_SPANS || kind === RECORD_LOGS || kind === RECORD_DECISIONS;
}

export type DecodedRecord = (
  | { kind: typeof RECORD_SPANS; batch: SpanBatch }
  | { kind: typeof RECORD_LOGS; logs: IngestLog[] }
  | { kind: typeof RECORD_DECISIONS; decisions: TailDecisions }
) & { appendMs: number };

/** Appends the payload of a RECORD_LOGS record. */
export function encodeLogs(logs: readonly IngestLog[], appendMs: number, out: ByteWriter): void {
  out.u8(RECORD_LOGS);
  out.varint(appendMs);
  out.text(JSON.stringify(logs));
}

const idWords = new Uint32Array(4);

/** Appends the payload of a RECORD_DECISIONS record (trace ids are lowercase UUID text). */
export function encodeDecisions(decisions: TailDecisions, appendMs: number, out: ByteWriter): void {
  out.u8(RECORD_DECISIONS);
  out.varint(appendMs);
  for (const ids of [decisions.keep, decisions.drop]) {
    out.varint(ids.length);
    for (const id of ids) {
      writeUuidWords(id, idWords, 0);
      out.words4(idWords, 0);
    }
  }
}

function decodeDecisions(reader: ByteReader): TailDecisions {
  const lists: string[][] = [];
  for (let l = 0; l < 2; l++) {
    const count = reader.varint();
    // Each id is 16 bytes: a count the record cannot hold is damage, not an array to allocate.
    reader.need(count * 16);
    const ids: string[] = new Array(count);
    for (let i = 0; i < count; i++) {
      reader.words4(idWords, 0);
      ids[i] = uuidFromWords(idWords, 0);
    }
    lists.push(ids);
  }
  reader.expectEnd('the decisions');
  return { keep: lists[0]!, drop: lists[1]! };
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
  if (!knownRecordKind(kind)) throw new RecordFormatError(`unknown record kind ${kind}`);
  const appendMs = reader.varint();
  if (kind === RECORD_LOGS) {
    const text = reader.text();
    reader.expectEnd('the logs');
    return { kind, appendMs, logs: JSON.parse(text) as IngestLog[] };
  }
  if (kind === RECORD_DECISIONS) return { kind, appendMs, decisions: decodeDecisions(reader) };
  return { kind, appendMs, batch: decodeSpans(reader) };
}

/** Words of the batch's trace ids, four per trace. */
let traceWords = new Uint32Array(64 * 4);
/** The tag sets' pair hashes of the record being decoded, and where each set's start. */
let hashes = new Uint32Array(1024);
let hashStart = new Uint32Array(65);

/** Byte range of each ASCII tag text in the record's buffer. */
let tagFrom = new Uint32Array(64);
let tagTo = new Uint32Array(64);
/** A DataView of the last buffer decoded from (a reader reuses one buffer for many records). */
let lastViewed: { buffer: Buffer; view: DataView } | undefined;

function viewOf(buffer: Buffer): DataView {
  if (lastViewed?.buffer !== buffer) lastViewed = { buffer, view: new DataView(buffer.buffer, buffer.byteOffset, buffer.length) };
  return lastViewed.view;
}

/** The 16 bytes at `at` (room checked by the caller) as four 32-bit words of `words` from `offset`. */
function wordsAt(view: DataView, at: number, words: Uint32Array, offset: number): void {
  words[offset] = view.getUint32(at, true);
  words[offset + 1] = view.getUint32(at + 4, true);
  words[offset + 2] = view.getUint32(at + 8, true);
  words[offset + 3] = view.getUint32(at + 12, true);
}

function decodeSpans(reader: ByteReader): SpanBatch {
  const n = reader.varint();
  const baseSeconds = reader.varint();
  // Counts are checked against the bytes their entries take at least (a name 1, a trace id 16, a
  // tag set 2) before anything is allocated for them, as the decisions' are.
  const nameCount = reader.varint();
  reader.need(nameCount);
  const batchNames: string[] = new Array(nameCount);
  for (let i = 0; i < nameCount; i++) batchNames[i] = reader.text(true);
  const traceCount = reader.varint();
  reader.need(traceCount * 16);
  if (traceWords.length < traceCount * 4) traceWords = new Uint32Array(traceCount * 8);
  for (let t = 0; t < traceCount; t++) reader.words4(traceWords, t * 4);
  const tagCount = reader.varint();
  reader.need(tagCount * 2);
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
    hashes = withRoom(hashes, first + count);
    for (let h = 0; h < count; h++) hashes[first + h] = reader.u32();
    hashStart[t + 1] = first + count;
  }
  const batch = SpanBatch.acquire();
  const view = viewOf(buffer);
  if (inPlace) {
    batch.body = buffer;
    batch.bodyView = view;
  }
  // The per-span fields are read with the position in a local (varintAt, wordsAt): this loop is
  // most of replay's decoding, once per span of the log.
  const end = reader.end;
  let at = reader.at;
  // Parents that point at later spans of the batch are filled in once every span id is read.
  let forward: number[] | undefined;
  for (let i = 0; i < n; i++) {
    batch.reserveSpan();
    const ids = batch.ids;
    const id = i * ID_WORDS;
    if (at + 17 > end) throw new RecordFormatError(`record ends ${at + 17 - end} bytes early`);
    const flags = buffer[at]!;
    wordsAt(view, at + 1, ids, id + 4);
    at += 17;
    const trace = varintAt(buffer, at, end);
    at = varintEnd;
    if (trace >= traceCount) throw new RecordFormatError(`span ${i} names trace ${trace} of ${traceCount}`);
    ids[id] = traceWords[trace * 4]!;
    ids[id + 1] = traceWords[trace * 4 + 1]!;
    ids[id + 2] = traceWords[trace * 4 + 2]!;
    ids[id + 3] = traceWords[trace * 4 + 3]!;
    if ((flags & SPAN_HAS_PARENT) !== 0) {
      const parent = varintAt(buffer, at, end);
      at = varintEnd;
      if (parent === 0) {
        if (at + 16 > end) throw new RecordFormatError(`record ends ${at + 16 - end} bytes early`);
        wordsAt(view, at, ids, id + 8);
        at += 16;
      } else if (parent - 1 >= n) throw new RecordFormatError(`span ${i} names parent span ${parent - 1} of ${n}`);
      else if (parent - 1 < i) {
        const from = (parent - 1) * ID_WORDS + 4;
        ids[id + 8] = ids[from]!;
        ids[id + 9] = ids[from + 1]!;
        ids[id + 10] = ids[from + 2]!;
        ids[id + 11] = ids[from + 3]!;
      } else (forward ??= []).push(i, parent - 1);
    } else {
      ids[id + 8] = 0;
      ids[id + 9] = 0;
      ids[id + 10] = 0;
      ids[id + 11] = 0;
    }
    batch.flags[i] = flags;
    const service = varintAt(buffer, at, end);
    at = varintEnd;
    const operation = varintAt(buffer, at, end);
    at = varintEnd;
    if (service >= nameCount || operation >= nameCount) throw new RecordFormatError(`span ${i} names a name past the table of ${nameCount}`);
    batch.services[i] = batchNames[service]!;
    batch.operations[i] = batchNames[operation]!;
    const tag = varintAt(buffer, at, end);
    at = varintEnd;
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
    const times = batch.times;
    if ((flags & SPAN_NEGATIVE_START) === 0) {
      const startOffset = varintAt(buffer, at, end);
      at = varintEnd;
      const startSeconds = baseSeconds + startOffset;
      times[t] = startSeconds;
      times[t + 1] = varintAt(buffer, at, end);
      at = varintEnd;
      const duration = varintAt(buffer, at, end);
      at = varintEnd;
      times[t + 2] = startSeconds + duration;
      times[t + 3] = varintAt(buffer, at, end);
      at = varintEnd;
    } else {
      times[t] = 0;
      times[t + 1] = 0;
      times[t + 2] = 0;
      times[t + 3] = 0;
    }
    batch.length++;
  }
  reader.at = at;
  if (forward !== undefined) {
    const ids = batch.ids;
    for (let k = 0; k < forward.length; k += 2) ids.copyWithin(forward[k]! * ID_WORDS + 8, forward[k + 1]! * ID_WORDS + 4, forward[k + 1]! * ID_WORDS + 8);
  }
  reader.expectEnd('the batch');
  return batch;
}
