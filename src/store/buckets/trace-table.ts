// Trace records and the hash index that finds them by trace id.
//
// Records live in fixed-size chunks of typed arrays (no copying when the table grows, and at
// most one partly used chunk of slack). A record index is stable for the record's life, so spans
// point at their trace with a 4-byte index. Freed records are reused through a free list.
// The index is open addressing with linear probing over an Int32Array. A slot holds a record
// index in its low bits and, above them, the next bits of the id's hash (a fingerprint): a probe
// past a slot whose fingerprint differs never reads that record's id words, which at millions
// of traces are a cache miss each (that was most of the lookup's cost). Records are always fewer
// than slots (MAX_LOAD < 1, and a record is made only for a live trace), so log2(slots) bits
// hold any record index, and the rest of the 31 non-sign bits are fingerprint: 8 bits at 2^23
// slots, at no cost in memory.

import { sharedInt32Array, type BlockPool } from './block-pool.js';
import { hashWords } from './uuid-words.js';

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const EMPTY = -1;
const DELETED = -2;
/** Grow (or clean tombstones) past this share of used slots. */
const MAX_LOAD = 0.6;

/** Per-trace fields, column by column, for CHUNK traces. */
class TraceChunk {
  readonly idWords: Uint32Array;
  /** Reference of the newest span of the trace's chain (see span-ref.ts), -1 for none. */
  readonly head: Float64Array;
  /** Spans held, including ones in buckets still being released. */
  readonly spanCount: Uint32Array;
  readonly errorCount: Uint32Array;
  /** Held spans without a parent. More than one is an anomaly that queries handle slowly. */
  readonly rootCount: Uint32Array;

  constructor(pool: BlockPool) {
    this.idWords = pool.uint32(CHUNK * 4);
    this.head = pool.float64(CHUNK);
    this.spanCount = pool.uint32(CHUNK);
    this.errorCount = pool.uint32(CHUNK);
    this.rootCount = pool.uint32(CHUNK);
  }
}

export class TraceTable {
  /** Chunks come from the store's pool (block-pool.ts); records are reused, chunks are kept. */
  constructor(private readonly pool: BlockPool) {}

  private readonly chunks: TraceChunk[] = [];
  private slots = sharedInt32Array(1 << 12).fill(EMPTY);
  private slotMask = (1 << 12) - 1;
  /** log2(slots.length): where the fingerprint starts in a slot. */
  private slotBits = 12;
  private usedSlots = 0; // live + tombstones
  private nextFresh = 0;
  private readonly freeList: number[] = [];
  private liveCount = 0;

  get size(): number {
    return this.liveCount;
  }

  chunkOf(rec: number): TraceChunk {
    return this.chunks[rec >>> CHUNK_BITS]!;
  }

  static offset(rec: number): number {
    return rec & CHUNK_MASK;
  }

  /** Record index of the trace with these id words, or -1. */
  find(w0: number, w1: number, w2: number, w3: number): number {
    const hash = hashWords(w0, w1, w2, w3);
    const mask = this.slotMask;
    const fingerprint = this.fingerprintOf(hash);
    let slot = hash & mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === EMPTY) return -1;
      // DELETED is negative: its shifted bits never equal a fingerprint.
      if (entry >>> this.slotBits === fingerprint && this.hasId(entry & mask, w0, w1, w2, w3)) return entry & mask;
      slot = (slot + 1) & mask;
    }
  }

  /** The hash bits just above the slot index, as many as fit below the sign bit. */
  private fingerprintOf(hash: number): number {
    return (hash >>> this.slotBits) & ((1 << (31 - this.slotBits)) - 1);
  }

  /** A slot's content: the record index with the hash's fingerprint above it. */
  private entryOf(rec: number, hash: number): number {
    return rec | (this.fingerprintOf(hash) << this.slotBits);
  }

  private hasId(rec: number, w0: number, w1: number, w2: number, w3: number): boolean {
    const ids = this.chunks[rec >>> CHUNK_BITS]!.idWords;
    const at = (rec & CHUNK_MASK) * 4;
    return ids[at] === w0 && ids[at + 1] === w1 && ids[at + 2] === w2 && ids[at + 3] === w3;
  }

  /** Creates a record for an id known to be absent. */
  insert(w0: number, w1: number, w2: number, w3: number): number {
    if ((this.usedSlots + 1) > this.slots.length * MAX_LOAD) this.rehash();
    let rec: number;
    if (this.freeList.length > 0) {
      rec = this.freeList.pop()!;
    } else {
      rec = this.nextFresh++;
      if ((rec >>> CHUNK_BITS) === this.chunks.length) this.chunks.push(new TraceChunk(this.pool));
    }
    const chunk = this.chunks[rec >>> CHUNK_BITS]!;
    const off = rec & CHUNK_MASK;
    chunk.idWords[off * 4] = w0;
    chunk.idWords[off * 4 + 1] = w1;
    chunk.idWords[off * 4 + 2] = w2;
    chunk.idWords[off * 4 + 3] = w3;
    chunk.head[off] = -1;
    chunk.spanCount[off] = 0;
    chunk.errorCount[off] = 0;
    chunk.rootCount[off] = 0;
    const hash = hashWords(w0, w1, w2, w3);
    let slot = hash & this.slotMask;
    while (this.slots[slot]! >= 0) slot = (slot + 1) & this.slotMask;
    if (this.slots[slot] === EMPTY) this.usedSlots++;
    this.slots[slot] = this.entryOf(rec, hash);
    this.liveCount++;
    return rec;
  }

  /** Frees a record whose last span has been released. */
  remove(rec: number): void {
    const chunk = this.chunks[rec >>> CHUNK_BITS]!;
    const at = (rec & CHUNK_MASK) * 4;
    const ids = chunk.idWords;
    const hash = hashWords(ids[at]!, ids[at + 1]!, ids[at + 2]!, ids[at + 3]!);
    const entry = this.entryOf(rec, hash);
    let slot = hash & this.slotMask;
    while (this.slots[slot] !== entry) slot = (slot + 1) & this.slotMask;
    this.slots[slot] = DELETED;
    this.freeList.push(rec);
    this.liveCount--;
  }

  /** Rebuilds the index: larger when it is full of live records, same size when of tombstones. */
  private rehash(): void {
    const capacity = this.liveCount + 1 > this.slots.length * (MAX_LOAD / 2) ? this.slots.length * 2 : this.slots.length;
    const old = this.slots;
    const oldMask = this.slotMask;
    this.slots = sharedInt32Array(capacity).fill(EMPTY);
    this.slotMask = capacity - 1;
    this.slotBits = 31 - Math.clz32(capacity);
    this.usedSlots = 0;
    for (let i = 0; i < old.length; i++) {
      const entry = old[i]!;
      if (entry < 0) continue;
      const rec = entry & oldMask;
      const chunk = this.chunks[rec >>> CHUNK_BITS]!;
      const at = (rec & CHUNK_MASK) * 4;
      const ids = chunk.idWords;
      const hash = hashWords(ids[at]!, ids[at + 1]!, ids[at + 2]!, ids[at + 3]!);
      let slot = hash & this.slotMask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.slotMask;
      this.slots[slot] = this.entryOf(rec, hash);
      this.usedSlots++;
    }
  }

  /** Bytes held by the typed arrays (for memory accounting). */
  bytes(): number {
    return this.chunks.length * CHUNK * (16 + 8 + 4 + 4 + 4) + this.slots.byteLength;
  }
}
