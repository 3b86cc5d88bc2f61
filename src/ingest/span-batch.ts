// A batch of validated spans in columns: what the POST /spans fast parser produces and what the
// bucket store reads.
//
// An IngestSpan carries its ids and times as text, so a store that keeps words and numbers parses
// each of them a second time, and every span costs an object, a tags object and eight strings
// that die a moment later. The fast parser (span-batch-fast.ts) already reads every character
// once to validate it; here it leaves what it read as numbers: ids as 32-bit words, times as
// whole seconds plus nanoseconds, tags as their JSON text (or where that text sits in the body)
// with one hash per (key, value) pair.
// Stores that want IngestSpans get them from toIngestSpans(); any IngestSpan[] becomes a batch
// through fromSpans(), so the bucket store has a single ingest path whatever the source.

import { tagHash } from '../store/compact/tag-index.js';
import { uuidFromWords, writeUuidWords } from '../store/compact/uuid-words.js';
import type { IngestSpan } from '../store/trace-store.js';
import { NS_PER_SEC, nsFromParts, secondsOf, subsecondNanosOf } from '../time/nanos.js';

/** Words per span in `ids`: trace id [0, 4), span id [4, 8), parent span id [8, 12). */
export const ID_WORDS = 12;
/** Numbers per span in `times`: start seconds, start nanoseconds, end seconds, end nanoseconds. */
export const TIME_FIELDS = 4;

export const SPAN_HAS_PARENT = 1;
export const SPAN_ERROR = 2;
/** start_time is negative (before 1970): older than any window, so `times` holds zeros. */
export const SPAN_NEGATIVE_START = 4;

export class SpanBatch {
  length = 0;
  /** ID_WORDS per span; the parent's words are 0 when the span has none. */
  readonly ids: number[] = [];
  /** TIME_FIELDS per span, all non-negative integers below 2^53. */
  readonly times: number[] = [];
  /** SPAN_* bits per span. */
  readonly flags: number[] = [];
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
  readonly tagsAt: number[] = [];
  /** The request body the fast parser read; set when some tagsJson[i] is null. */
  body: Buffer | undefined;
  /** `body` as a DataView, to copy its bytes four at a time. */
  bodyView: DataView | undefined;
  /** tagHash(key, value) of every tag pair, span after span; span i owns [tagEnds[i-1], tagEnds[i]). */
  readonly tagHashes: number[] = [];
  readonly tagEnds: number[] = [];
  /** The spans this batch was made from, kept so toIngestSpans() returns them unchanged. */
  private source: readonly IngestSpan[] | undefined;

  /** A batch of spans that came in as objects (the general path, OTLP, tests). */
  static fromSpans(spans: readonly IngestSpan[]): SpanBatch {
    const batch = new SpanBatch();
    const words = new Uint32Array(ID_WORDS);
    for (const span of spans) {
      writeUuidWords(span.traceId, words, 0);
      writeUuidWords(span.spanId, words, 4);
      let flags = span.error ? SPAN_ERROR : 0;
      if (span.parentSpanId !== undefined) {
        writeUuidWords(span.parentSpanId, words, 8);
        flags |= SPAN_HAS_PARENT;
      } else {
        words.fill(0, 8);
      }
      for (let k = 0; k < ID_WORDS; k++) batch.ids.push(words[k]!);
      if (span.startTime.charCodeAt(0) === 45 /* - */) {
        flags |= SPAN_NEGATIVE_START;
        batch.times.push(0, 0, 0, 0);
      } else {
        // end_time >= start_time, so a non-negative start means a non-negative end.
        batch.times.push(secondsOf(span.startTime), subsecondNanosOf(span.startTime), secondsOf(span.endTime), subsecondNanosOf(span.endTime));
      }
      batch.flags.push(flags);
      batch.services.push(span.service);
      batch.operations.push(span.operation);
      const tags = span.tags;
      batch.tagsJson.push(tags === undefined ? undefined : (span.tagsJson ?? JSON.stringify(tags)));
      batch.tagsAt.push(0, 0);
      if (tags !== undefined) {
        for (const key in tags) if (Object.hasOwn(tags, key)) batch.tagHashes.push(tagHash(key, tags[key]!));
      }
      batch.tagEnds.push(batch.tagHashes.length);
      batch.length++;
    }
    batch.source = spans;
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

  /** The spans as IngestSpans (for stores that do not read batches). */
  toIngestSpans(): IngestSpan[] {
    if (this.source !== undefined) return this.source.slice();
    const spans: IngestSpan[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const flags = this.flags[i]!;
      const tagsJson = this.tagsText(i);
      spans[i] = {
        traceId: uuidFromWords(this.ids, i * ID_WORDS),
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
    return spans;
  }
}
