// Decoded records on their way from the replay worker (replay-worker.ts), which reads, checks
// and decodes segments on the second core, to the main thread, which applies them. A chunk holds
// many records in a few typed arrays whose buffers are transferred, not copied: per span its ids,
// times and flags, its service and operation as numbers in a name table both sides grow in step
// (a name crosses once), and its tag text as bytes with the tag pair hashes. The main thread
// copies a record's rows into a pooled SpanBatch (a few memcpy) and reads ASCII tag text in
// place, as from a request body, so it makes no string per span.

import { ID_WORDS, SpanBatch, TIME_FIELDS } from '../ingest/span-batch.js';
import type { IngestLog } from '../logs/log-store.js';
import type { TailDecisions } from '../sampling/sampling-options.js';
import { RECORD_DECISIONS, RECORD_LOGS, RECORD_SPANS } from './record-codec.js';
import { withRoom } from './byte-buffers.js';

/** Spans a chunk holds before it is sent (the worker sends a record whole, so one may be bigger). */
export const CHUNK_SPANS = 16 * 1024;

const TAGS_NONE = 0;
/** ASCII text in tagBytes, read in place. */
const TAGS_IN_PLACE = 1;
/** UTF-8 text in tagBytes, made a string on the main thread. */
const TAGS_UTF8 = 2;

/** What postMessage carries (typed arrays transferred). */
export interface ReplayChunk {
  /** Names first seen in this chunk, appended to the receiver's table in order. */
  newNames: string[];
  records: number;
  kinds: Uint8Array;
  appendMs: Float64Array;
  /** File offset of each record's frame (for the log line when the store refuses it). */
  offsets: Float64Array;
  /** Record i's spans are [spanEnds[i-1], spanEnds[i]). */
  spanEnds: Uint32Array;
  /** The logs of each RECORD_LOGS record, in order (structured-cloned: logs are rare). */
  logs: IngestLog[][];
  /** The decisions of each RECORD_DECISIONS record, in order (structured-cloned: one a second at most). */
  decisions: TailDecisions[];
  ids: Uint32Array;
  times: Float64Array;
  flags: Uint8Array;
  services: Uint32Array;
  operations: Uint32Array;
  tagKinds: Uint8Array;
  tagsAt: Uint32Array;
  /** Cumulative over the chunk: span i owns tagHashes[tagEnds[i-1], tagEnds[i]). */
  tagEnds: Uint32Array;
  tagHashes: Uint32Array;
  tagBytes: Uint8Array;
}

export function transferList(chunk: ReplayChunk): ArrayBuffer[] {
  return [chunk.kinds, chunk.appendMs, chunk.offsets, chunk.spanEnds, chunk.ids, chunk.times, chunk.flags, chunk.services, chunk.operations, chunk.tagKinds, chunk.tagsAt, chunk.tagEnds, chunk.tagHashes, chunk.tagBytes].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

/** Builds chunks in the worker, record by record. */
export class ChunkBuilder {
  private readonly nameIds = new Map<string, number>();
  private chunk!: ReplayChunk;
  private spans = 0;
  private tagHashCount = 0;
  private tagByteCount = 0;
  /** Where each tag text of the record being added went in tagBytes, by its offset in the record's buffer. */
  private readonly copiedTags = new Map<number, number>();

  constructor() {
    this.reset();
  }

  get spanCount(): number {
    return this.spans;
  }

  get recordCount(): number {
    return this.chunk.records;
  }

  /**
   * Chunks the applying side has read through, given back to be filled again: their arrays are
   * reused rather than allocated (and zeroed, and later swept) afresh, a few megabytes a chunk.
   */
  private readonly spare: ReplayChunk[] = [];

  /** Takes back a chunk whose records have all been applied. */
  recycle(chunk: ReplayChunk): void {
    if (this.spare.length < 2 && !this.spare.includes(chunk)) this.spare.push(chunk);
  }

  private reset(): void {
    const spare = this.spare.pop();
    if (spare !== undefined) {
      // Every array is written before it is read (records, spanEnds and tagEnds bound the reads).
      this.chunk = { ...spare, newNames: [], records: 0, logs: [], decisions: [] };
    } else this.chunk = {
      newNames: [],
      records: 0,
      kinds: new Uint8Array(1024),
      appendMs: new Float64Array(1024),
      offsets: new Float64Array(1024),
      spanEnds: new Uint32Array(1024),
      logs: [],
      decisions: [],
      ids: new Uint32Array(CHUNK_SPANS * ID_WORDS),
      times: new Float64Array(CHUNK_SPANS * TIME_FIELDS),
      flags: new Uint8Array(CHUNK_SPANS),
      services: new Uint32Array(CHUNK_SPANS),
      operations: new Uint32Array(CHUNK_SPANS),
      tagKinds: new Uint8Array(CHUNK_SPANS),
      tagsAt: new Uint32Array(CHUNK_SPANS * 2),
      tagEnds: new Uint32Array(CHUNK_SPANS),
      tagHashes: new Uint32Array(CHUNK_SPANS * 4),
      tagBytes: new Uint8Array(CHUNK_SPANS * 64),
    };
    this.spans = 0;
    this.tagHashCount = 0;
    this.tagByteCount = 0;
  }

  private nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.nameIds.size;
      this.nameIds.set(name, id);
      this.chunk.newNames.push(name);
    }
    return id;
  }

  private addRecord(kind: number, appendMs: number, offset: number): void {
    const c = this.chunk;
    const r = c.records++;
    c.kinds = withRoom(c.kinds, r + 1);
    c.appendMs = withRoom(c.appendMs, r + 1);
    c.offsets = withRoom(c.offsets, r + 1);
    c.spanEnds = withRoom(c.spanEnds, r + 1);
    c.kinds[r] = kind;
    c.appendMs[r] = appendMs;
    c.offsets[r] = offset;
    c.spanEnds[r] = this.spans;
  }

  addLogs(logs: IngestLog[], appendMs: number, offset: number): void {
    this.addRecord(RECORD_LOGS, appendMs, offset);
    this.chunk.logs.push(logs);
  }

  addDecisions(decisions: TailDecisions, appendMs: number, offset: number): void {
    this.addRecord(RECORD_DECISIONS, appendMs, offset);
    this.chunk.decisions.push(decisions);
  }

  /** Copies the decoded batch (whose in-place tag text may point into a buffer about to be reused). */
  addSpans(batch: SpanBatch, appendMs: number, offset: number): void {
    const c = this.chunk;
    const n = batch.length;
    const first = this.spans;
    const end = first + n;
    c.ids = withRoom(c.ids, end * ID_WORDS);
    c.times = withRoom(c.times, end * TIME_FIELDS);
    c.flags = withRoom(c.flags, end);
    c.services = withRoom(c.services, end);
    c.operations = withRoom(c.operations, end);
    c.tagKinds = withRoom(c.tagKinds, end);
    c.tagsAt = withRoom(c.tagsAt, end * 2);
    c.tagEnds = withRoom(c.tagEnds, end);
    c.ids.set(batch.ids.subarray(0, n * ID_WORDS), first * ID_WORDS);
    c.times.set(batch.times.subarray(0, n * TIME_FIELDS), first * TIME_FIELDS);
    c.flags.set(batch.flags.subarray(0, n), first);
    c.tagHashes = withRoom(c.tagHashes, this.tagHashCount + batch.tagHashCount);
    c.tagHashes.set(batch.tagHashes.subarray(0, batch.tagHashCount), this.tagHashCount);
    this.copiedTags.clear();
    for (let i = 0; i < n; i++) {
      const at = first + i;
      c.services[at] = this.nameId(batch.services[i]!);
      c.operations[at] = this.nameId(batch.operations[i]!);
      c.tagEnds[at] = this.tagHashCount + batch.tagEnds[i]!;
      const text = batch.tagsJson[i];
      if (text === undefined) {
        c.tagKinds[at] = TAGS_NONE;
        continue;
      }
      if (text === null) {
        // In place in the record's buffer: the spans sharing a tag set share one copy of it.
        const from = batch.tagsAt[2 * i]!;
        const to = batch.tagsAt[2 * i + 1]!;
        let copiedAt = this.copiedTags.get(from);
        if (copiedAt === undefined) {
          copiedAt = this.tagByteCount;
          c.tagBytes = withRoom(c.tagBytes, copiedAt + to - from);
          c.tagBytes.set(batch.body!.subarray(from, to), copiedAt);
          this.tagByteCount += to - from;
          this.copiedTags.set(from, copiedAt);
        }
        c.tagKinds[at] = TAGS_IN_PLACE;
        c.tagsAt[2 * at] = copiedAt;
        c.tagsAt[2 * at + 1] = copiedAt + to - from;
      } else {
        c.tagBytes = withRoom(c.tagBytes, this.tagByteCount + text.length * 3);
        const written = Buffer.from(c.tagBytes.buffer, c.tagBytes.byteOffset, c.tagBytes.length).write(text, this.tagByteCount, 'utf8');
        c.tagKinds[at] = TAGS_UTF8;
        c.tagsAt[2 * at] = this.tagByteCount;
        c.tagsAt[2 * at + 1] = this.tagByteCount + written;
        this.tagByteCount += written;
      }
    }
    this.tagHashCount += batch.tagHashCount;
    this.spans = end;
    this.addRecord(RECORD_SPANS, appendMs, offset);
  }

  /** The chunk built so far (its arrays to be transferred); the builder starts a new one. */
  take(): ReplayChunk {
    const chunk = this.chunk;
    this.reset();
    return chunk;
  }
}

function copyRange<T extends Uint8Array | Uint32Array | Float64Array>(from: T, at: number, to: T, count: number): void {
  for (let k = 0; k < count; k++) to[k] = from[at + k]!;
}

/** Reads a chunk on the main thread, record by record. */
export class ChunkReader {
  private readonly names: string[] = [];
  private chunk: ReplayChunk | undefined;
  private body: Buffer | undefined;
  private bodyView: DataView | undefined;
  private logAt = 0;
  private decisionAt = 0;

  /** Takes the next chunk (after the previous one is read through). */
  load(chunk: ReplayChunk): void {
    for (const name of chunk.newNames) this.names.push(name);
    this.chunk = chunk;
    this.body = Buffer.from(chunk.tagBytes.buffer, chunk.tagBytes.byteOffset, chunk.tagBytes.length);
    this.bodyView = new DataView(chunk.tagBytes.buffer, chunk.tagBytes.byteOffset, chunk.tagBytes.length);
    this.logAt = 0;
    this.decisionAt = 0;
  }

  /** The logs of the next RECORD_LOGS record (records are read in order). */
  logs(): IngestLog[] {
    return this.chunk!.logs[this.logAt++]!;
  }

  /** The decisions of the next RECORD_DECISIONS record (records are read in order). */
  decisions(): TailDecisions {
    return this.chunk!.decisions[this.decisionAt++]!;
  }

  /**
   * Record r (RECORD_SPANS) as a batch from the pool. Its tag text may be read in place from the
   * chunk: release it before the chunk is given back (ReplaySource.credit), which refills it.
   */
  batch(r: number): SpanBatch {
    const c = this.chunk!;
    const first = r === 0 ? 0 : c.spanEnds[r - 1]!;
    const n = c.spanEnds[r]! - first;
    const batch = SpanBatch.acquire();
    for (let i = 0; i < n; i++) {
      batch.reserveSpan();
      batch.length++;
    }
    // Plain loops: a record is a dozen spans, and a subarray() per column is an allocation each.
    copyRange(c.ids, first * ID_WORDS, batch.ids, n * ID_WORDS);
    copyRange(c.times, first * TIME_FIELDS, batch.times, n * TIME_FIELDS);
    copyRange(c.flags, first, batch.flags, n);
    const hashFrom = first === 0 ? 0 : c.tagEnds[first - 1]!;
    const hashTo = n === 0 ? hashFrom : c.tagEnds[first + n - 1]!;
    if (batch.tagHashes.length < hashTo - hashFrom) batch.tagHashes = new Uint32Array(hashTo - hashFrom);
    copyRange(c.tagHashes, hashFrom, batch.tagHashes, hashTo - hashFrom);
    batch.tagHashCount = hashTo - hashFrom;
    const names = this.names;
    let inPlace = false;
    for (let i = 0; i < n; i++) {
      const at = first + i;
      batch.services[i] = names[c.services[at]!]!;
      batch.operations[i] = names[c.operations[at]!]!;
      batch.tagEnds[i] = c.tagEnds[at]! - hashFrom;
      const kind = c.tagKinds[at]!;
      if (kind === TAGS_NONE) batch.tagsJson[i] = undefined;
      else if (kind === TAGS_IN_PLACE) {
        batch.tagsJson[i] = null;
        batch.tagsAt[2 * i] = c.tagsAt[2 * at]!;
        batch.tagsAt[2 * i + 1] = c.tagsAt[2 * at + 1]!;
        inPlace = true;
      } else {
        batch.tagsJson[i] = this.body!.toString('utf8', c.tagsAt[2 * at]!, c.tagsAt[2 * at + 1]!);
      }
    }
    if (inPlace) {
      batch.body = this.body;
      batch.bodyView = this.bodyView;
    }
    return batch;
  }
}
