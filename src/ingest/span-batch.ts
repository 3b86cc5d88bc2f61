// A batch of validated spans in columns: what the POST /spans fast parser produces and what the
// bucket store reads.
//
// An IngestSpan carries its ids and times as text, so a store that keeps words and numbers parses
// each of them a second time, and every span costs an object, a tags object and eight strings
// that die a moment later. The fast parser (span-batch-fast.ts) already reads every character
// once to validate it; here it leaves what it read as numbers: ids as 32-bit words, times as
// whole seconds plus nanoseconds, tags as their JSON text (or where that text sits in the body)
// with one hash per (key, value) pair.
// Every store takes batches (TraceWriter.apply, src/store/writer.ts): spans that arrive as objects
// (OTLP, the general JSON path, tests) become a batch through fromSpans(), the one conversion, so
// there is a single ingest path whatever the source.

import { tagHash } from '../codec/tag-hash.js';
import { uuidFromWords, writeUuidWords } from '../codec/uuid-words.js';
import type { IngestSpan } from './ingest-span.js';
import { NS_PER_SEC, nsFromParts, secondsOf, subsecondNanosOf } from '../time/nanos.js';

/** Words per span in `ids`: trace id [0, 4), span id [4, 8), parent span id [8, 12). */
export const ID_WORDS = 12;
/** Numbers per span in `times`: start seconds, start nanoseconds, end seconds, end nanoseconds. */
export const TIME_FIELDS = 4;

export const SPAN_HAS_PARENT = 1;
export const SPAN_ERROR = 2;
/** start_time is negative (before 1970): older than any window, so `times` holds zeros. */
export const SPAN_NEGATIVE_START = 4;

/** Batches kept for reuse (see release()). */
const pool: SpanBatch[] = [];
const POOL_SIZE = 64;

export class SpanBatch {
  length = 0;
  /** Spans the columns below have room for. */
  private capacity: number;
  /** ID_WORDS per span; the parent's words are 0 when the span has none. */
  ids: Uint32Array;
  /** TIME_FIELDS per span, all non-negative integers below 2^53. */
  times: Float64Array;
  /** SPAN_* bits per span. */
  flags: Uint8Array;
  /** By span index, [0, length) meaningful (elements past it are left from earlier use). */
  readonly services: string[] = [];
  readonly operations: string[] = [];
  /**
   * Exactly JSON.stringify(tags); undefined when the span had no tags field; null when that text
   * is still where the fast parser found it: ASCII bytes tagsAt[2i] .. tagsAt[2i+1] of `body`.
   * Left there, it costs no string, and the store copies the bytes straight into its own memory.
   * Read it with tagsText(i).
   */
  readonly tagsJson: Array<string | null | undefined> = [];
  /** Byte ranges in `body`, two numbers per span (zeros unless tagsJson[i] is null). */
  tagsAt: Uint32Array;
  /** The request body the fast parser read; set when some tagsJson[i] is null. */
  body: Buffer | undefined;
  /** `body` as a DataView, to copy its bytes four at a time. */
  bodyView: DataView | undefined;
  /** tagHash(key, value) of every tag pair, span after span; span i owns [tagEnds[i-1], tagEnds[i]). */
  tagHashes: Uint32Array;
  tagHashCount = 0;
  tagEnds: Uint32Array;
  /** The spans this batch was made from, kept so toIngestSpans() returns them unchanged. */
  private source: readonly IngestSpan[] | undefined;

  constructor(capacity = 16) {
    this.capacity = capacity;
    this.ids = new Uint32Array(capacity * ID_WORDS);
    this.times = new Float64Array(capacity * TIME_FIELDS);
    this.flags = new Uint8Array(capacity);
    this.tagsAt = new Uint32Array(capacity * 2);
    this.tagEnds = new Uint32Array(capacity);
    this.tagHashes = new Uint32Array(capacity * 2);
  }

  /**
   * An empty batch, reused when one is free. Columns are typed arrays, written in place: a batch
   * of growing plain arrays made garbage on every request (each push past the end copies), and
   * new typed arrays cost an allocation outside the heap each, which makes V8 collect sooner.
   */
  static acquire(): SpanBatch {
    return pool.pop() ?? new SpanBatch();
  }

  /**
   * Gives the batch back for reuse. Only for whoever acquired it, once it is done with it (for
   * POST /spans: once the store's ingest has returned, as stores copy what they keep).
   */
  release(): void {
    this.length = 0;
    this.tagHashCount = 0;
    // services, operations and tagsJson keep their elements: they are written by index, and
    // truncating them is a call into the runtime per request. What they hold is names (cached
    // by the parser anyway) and short tag texts, overwritten by the next batch.
    this.body = undefined;
    this.bodyView = undefined;
    this.source = undefined;
    if (pool.length < POOL_SIZE) pool.push(this);
  }

  /** Makes room for span number `length` (the next one) in every column. */
  reserveSpan(): void {
    if (this.length < this.capacity) return;
    const capacity = this.capacity * 2;
    this.ids = grown(this.ids, new Uint32Array(capacity * ID_WORDS));
    this.times = grown(this.times, new Float64Array(capacity * TIME_FIELDS));
    this.flags = grown(this.flags, new Uint8Array(capacity));
    this.tagsAt = grown(this.tagsAt, new Uint32Array(capacity * 2));
    this.tagEnds = grown(this.tagEnds, new Uint32Array(capacity));
    this.capacity = capacity;
  }

  addTagHash(hash: number): void {
    if (this.tagHashCount === this.tagHashes.length) this.tagHashes = grown(this.tagHashes, new Uint32Array(this.tagHashes.length * 2));
    this.tagHashes[this.tagHashCount++] = hash;
  }

  /**
   * A batch of spans that came in as objects (the general path, OTLP, tests): the one conversion.
   * It keeps `spans` for spanAt() and toIngestSpans(), unless `keepSpans` is false: then it holds
   * only its columns (spanAt() rebuilds equal objects), so that the objects can be collected while
   * the batch waits for the ingest log's sync.
   */
  static fromSpans(spans: readonly IngestSpan[], keepSpans = true): SpanBatch {
    const batch = new SpanBatch(Math.max(1, spans.length));
    const words = new Uint32Array(ID_WORDS);
    for (const span of spans) {
      const i = batch.length;
      writeUuidWords(span.traceId, words, 0);
      writeUuidWords(span.spanId, words, 4);
      let flags = span.error ? SPAN_ERROR : 0;
      if (span.parentSpanId !== undefined) {
        writeUuidWords(span.parentSpanId, words, 8);
        flags |= SPAN_HAS_PARENT;
      } else {
        words.fill(0, 8);
      }
      batch.ids.set(words, i * ID_WORDS);
      const t = i * TIME_FIELDS;
      if (span.startTime.charCodeAt(0) === 45 /* - */) {
        flags |= SPAN_NEGATIVE_START;
        batch.times.fill(0, t, t + TIME_FIELDS);
      } else {
        // end_time >= start_time, so a non-negative start means a non-negative end.
        batch.times[t] = secondsOf(span.startTime);
        batch.times[t + 1] = subsecondNanosOf(span.startTime);
        batch.times[t + 2] = secondsOf(span.endTime);
        batch.times[t + 3] = subsecondNanosOf(span.endTime);
      }
      batch.flags[i] = flags;
      batch.services[i] = span.service;
      batch.operations[i] = span.operation;
      const tags = span.tags;
      batch.tagsJson[i] = tags === undefined ? undefined : (span.tagsJson ?? JSON.stringify(tags));
      if (tags !== undefined) {
        for (const key in tags) if (Object.hasOwn(tags, key)) batch.addTagHash(tagHash(key, tags[key]!));
      }
      batch.tagEnds[i] = batch.tagHashCount;
      batch.length++;
    }
    if (keepSpans) batch.source = spans;
    return batch;
  }

  /** Exactly JSON.stringify(tags) of span i, or undefined when it had no tags field. */
  tagsText(i: number): string | undefined {
    const text = this.tagsJson[i];
    if (text !== null) return text;
    return this.body!.toString('latin1', this.tagsAt[2 * i], this.tagsAt[2 * i + 1]);
  }

  startText(i: number): string {
    return nsFromParts(this.times[i * TIME_FIELDS]!, this.times[i * TIME_FIELDS + 1]!);
  }

  endText(i: number): string {
    return nsFromParts(this.times[i * TIME_FIELDS + 2]!, this.times[i * TIME_FIELDS + 3]!);
  }

  /** end_time − start_time in ns: exact below 2^53 (about 104 days), rounded once beyond. */
  durationNs(i: number): number {
    const t = i * TIME_FIELDS;
    const times = this.times;
    const seconds = times[t + 2]! - times[t]!;
    // Below 9e6 s the sum stays under 2^53, so plain arithmetic is exact.
    if (seconds < 9_000_000) return seconds * NS_PER_SEC + times[t + 3]! - times[t + 1]!;
    return Number(BigInt(this.endText(i)) - BigInt(this.startText(i)));
  }

  spanIdText(i: number): string {
    return uuidFromWords(this.ids, i * ID_WORDS + 4);
  }

  parentIdText(i: number): string | undefined {
    if ((this.flags[i]! & SPAN_HAS_PARENT) === 0) return undefined;
    return uuidFromWords(this.ids, i * ID_WORDS + 8);
  }

  traceIdText(i: number): string {
    return uuidFromWords(this.ids, i * ID_WORDS);
  }

  /** Span i as an IngestSpan (the reference store and the tail-sampling buffer hold objects). */
  spanAt(i: number): IngestSpan {
    if (this.source !== undefined) return this.source[i]!;
    const flags = this.flags[i]!;
    const tagsJson = this.tagsText(i);
    return {
      traceId: this.traceIdText(i),
      spanId: this.spanIdText(i),
      parentSpanId: this.parentIdText(i),
      service: this.services[i]!,
      operation: this.operations[i]!,
      startTime: this.startText(i),
      endTime: this.endText(i),
      error: (flags & SPAN_ERROR) !== 0,
      tags: tagsJson === undefined ? undefined : (JSON.parse(tagsJson) as Record<string, string>),
      tagsJson,
    };
  }

  /** The spans as IngestSpans. */
  toIngestSpans(): IngestSpan[] {
    if (this.source !== undefined) return this.source.slice();
    const spans: IngestSpan[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) spans[i] = this.spanAt(i);
    return spans;
  }

  /**
   * Appends span i of `from` (sampling splits a batch by decision). Tag text still in `from`'s
   * body stays there when this batch reads the same body (or none yet), so the copy lives no
   * longer than `from`; otherwise it is copied out as a string.
   */
  appendSpanOf(from: SpanBatch, i: number): void {
    this.reserveSpan();
    const j = this.length;
    // Plain loops: a subarray() per field would make two views of garbage a span.
    for (let k = 0; k < ID_WORDS; k++) this.ids[j * ID_WORDS + k] = from.ids[i * ID_WORDS + k]!;
    for (let k = 0; k < TIME_FIELDS; k++) this.times[j * TIME_FIELDS + k] = from.times[i * TIME_FIELDS + k]!;
    this.flags[j] = from.flags[i]!;
    this.services[j] = from.services[i]!;
    this.operations[j] = from.operations[i]!;
    const tagsJson = from.tagsJson[i];
    if (tagsJson === null && (this.body === undefined || this.body === from.body)) {
      this.body = from.body;
      this.bodyView = from.bodyView;
      this.tagsJson[j] = null;
      this.tagsAt[2 * j] = from.tagsAt[2 * i]!;
      this.tagsAt[2 * j + 1] = from.tagsAt[2 * i + 1]!;
    } else {
      this.tagsJson[j] = tagsJson === null ? from.tagsText(i) : tagsJson;
      this.tagsAt[2 * j] = 0;
      this.tagsAt[2 * j + 1] = 0;
    }
    for (let h = i === 0 ? 0 : from.tagEnds[i - 1]!, end = from.tagEnds[i]!; h < end; h++) this.addTagHash(from.tagHashes[h]!);
    this.tagEnds[j] = this.tagHashCount;
    this.length++;
  }
}

/** `to` (larger) holding a copy of `from`. */
function grown<T extends Uint8Array | Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
