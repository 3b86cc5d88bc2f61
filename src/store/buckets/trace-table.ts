// Trace records and the hash index that finds them by trace id.
//
// Records live in fixed-size chunks of typed arrays (no copying when the table grows, and at
// most one partly used chunk of slack). A record index is stable for the record's life, so spans
// point at their trace with a 4-byte index. Freed records are reused through a free list.
// The index is open addressing with linear probing over an Int32Array. A slot holds a record
// index plus one in its low bits (so that a zeroed array is all empty slots, and a new table
// needs no fill: 9 ms a 16 MB at the sizes that matter) and, above them, the next bits of the
// id's hash (a fingerprint): a probe
// past a slot whose fingerprint differs never reads that record's id words, which at millions
// of traces are a cache miss each (that was most of the lookup's cost). Records are always fewer
// than slots (MAX_LOAD < 1, and a record is made only for a live trace), so log2(slots) bits
// hold any record index plus one, and the rest of the 31 non-sign bits are fingerprint: 8 bits at 2^23
// slots, at no cost in memory.
//
// The index grows incrementally. Rebuilding it in one go cost the event loop 100 ms at 1.3 M
// traces and 230 ms at 2.5 M (a 30-minute window at ten times the emitter's load holds 5 M):
// every live entry re-hashed, each a cache miss on its id words. Instead the old slots are kept
// as a draining table: lookups that miss the new table look there, and each insert moves the
// next DRAIN_STEP old slots across. The total work is the same; no single call holds the loop.

import { sharedInt32Array, type BlockPool } from './block-pool.js';
import { hashWords } from '../../codec/uuid-words.js';

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const EMPTY = 0;
/** Negative: `DELETED >>> bits` is above every fingerprint. */
const DELETED = -1;
/** Grow (or clean tombstones) past this share of used slots. */
const MAX_LOAD = 0.6;
/**
 * Old slots moved to the new table per insert while it drains. A drain must end before the new
 * table needs rebuilding in turn: growing leaves room for at least 0.6 × the old size of inserts
 * and a same-size rebuild for 0.3 ×; at 8 slots an insert, the drain takes 0.125 ×.
 */
export const DRAIN_STEP = 8;

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
  private slots = sharedInt32Array(1 << 12);
  private slotMask = (1 << 12) - 1;
  /** log2(slots.length): where the fingerprint starts in a slot. */
  private slotBits = 12;
  private usedSlots = 0; // live + tombstones
  /** The slots before the last rebuild, while their entries are moved over; see the header. */
  private draining: Int32Array | undefined;
  private drainMask = 0;
  private drainBits = 0;
  /** Old slots below this have been moved (or were empty). */
  private drainCursor = 0;
  private nextFresh = 0;
  private readonly freeList: number[] = [];
  private liveCount = 0;

  get size(): number {
    return this.liveCount;
  }

  /** Old slots still to be moved into the current table (0 when no rebuild is under way). */
  get slotsToDrain(): number {
    return this.draining === undefined ? 0 : this.draining.length - this.drainCursor;
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
    const rec = this.probe(this.slots, this.slotMask, this.slotBits, hash, w0, w1, w2, w3);
    if (rec >= 0 || this.draining === undefined) return rec;
    return this.probe(this.draining, this.drainMask, this.drainBits, hash, w0, w1, w2, w3);
  }

  private probe(slots: Int32Array, mask: number, bits: number, hash: number, w0: number, w1: number, w2: number, w3: number): number {
    const fingerprint = fingerprintOf(hash, bits);
    let slot = hash & mask;
    for (;;) {
      const entry = slots[slot]!;
      if (entry === EMPTY) return -1;
      if (entry >>> bits === fingerprint && this.hasId((entry & mask) - 1, w0, w1, w2, w3)) return (entry & mask) - 1;
      slot = (slot + 1) & mask;
    }
  }

  /** A slot's content in the current table: the record index plus one, the fingerprint above it. */
  private entryOf(rec: number, hash: number): number {
    return (rec + 1) | (fingerprintOf(hash, this.slotBits) << this.slotBits);
  }

  private hasId(rec: number, w0: number, w1: number, w2: number, w3: number): boolean {
    const ids = this.chunks[rec >>> CHUNK_BITS]!.idWords;
    const at = (rec & CHUNK_MASK) * 4;
    return ids[at] === w0 && ids[at + 1] === w1 && ids[at + 2] === w2 && ids[at + 3] === w3;
  }

  /** Creates a record for an id known to be absent. */
  insert(w0: number, w1: number, w2: number, w3: number): number {
    if (this.draining !== undefined) this.drain(DRAIN_STEP);
    if ((this.usedSlots + 1) > this.slots.length * MAX_LOAD) this.rebuild();
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
    this.place(rec, hashWords(w0, w1, w2, w3));
    this.liveCount++;
    return rec;
  }

  /** Puts a record absent from the current table into it, reusing the first tombstone met. */
  private place(rec: number, hash: number): void {
    let slot = hash & this.slotMask;
    while (this.slots[slot]! > 0) slot = (slot + 1) & this.slotMask;
    if (this.slots[slot] === EMPTY) this.usedSlots++;
    this.slots[slot] = this.entryOf(rec, hash);
  }

  /** The hash of a record's trace id, read from its id words. */
  private hashOfRecord(rec: number): number {
    const ids = this.chunks[rec >>> CHUNK_BITS]!.idWords;
    const at = (rec & CHUNK_MASK) * 4;
    return hashWords(ids[at]!, ids[at + 1]!, ids[at + 2]!, ids[at + 3]!);
  }

  /** Frees a record whose last span has been released. */
  remove(rec: number): void {
    const hash = this.hashOfRecord(rec);
    if (!deleteEntry(this.slots, this.slotMask, this.slotBits, rec, hash)) {
      // Not moved yet: it is still in the draining table.
      deleteEntry(this.draining!, this.drainMask, this.drainBits, rec, hash);
    }
    this.freeList.push(rec);
    this.liveCount--;
  }

  /**
   * Starts a new index, larger when it is full of live records, the same size when of
   * tombstones, and leaves the current one to drain into it.
   */
  private rebuild(): void {
    // The drain's pace makes this unreachable mid-drain (see DRAIN_STEP); should it ever be, the
    // rest is moved now rather than lost.
    if (this.draining !== undefined) this.drain(this.draining.length);
    const capacity = this.liveCount + 1 > this.slots.length * (MAX_LOAD / 2) ? this.slots.length * 2 : this.slots.length;
    this.draining = this.slots;
    this.drainMask = this.slotMask;
    this.drainBits = this.slotBits;
    this.drainCursor = 0;
    this.slots = sharedInt32Array(capacity);
    this.slotMask = capacity - 1;
    this.slotBits = 31 - Math.clz32(capacity);
    this.usedSlots = 0;
  }

  /** Moves the live entries of the next `count` draining slots into the current table. */
  private drain(count: number): void {
    const old = this.draining!;
    const end = Math.min(old.length, this.drainCursor + count);
    for (let i = this.drainCursor; i < end; i++) {
      const entry = old[i]!;
      if (entry <= 0) continue;
      const rec = (entry & this.drainMask) - 1;
      this.place(rec, this.hashOfRecord(rec));
      // A tombstone, not EMPTY: later entries' probe chains in the old table pass through here.
      old[i] = DELETED;
    }
    this.drainCursor = end;
    if (end === old.length) this.draining = undefined;
  }

  /** Bytes held by the typed arrays (for memory accounting). */
  bytes(): number {
    return this.chunks.length * CHUNK * (16 + 8 + 4 + 4 + 4) + this.slots.byteLength + (this.draining?.byteLength ?? 0);
  }
}

/** The hash bits just above a table's slot index, as many as fit below the sign bit. */
function fingerprintOf(hash: number, slotBits: number): number {
  return (hash >>> slotBits) & ((1 << (31 - slotBits)) - 1);
}

/** Marks a record's slot deleted in one table; false when the table does not hold it. */
function deleteEntry(slots: Int32Array, mask: number, bits: number, rec: number, hash: number): boolean {
  const entry = (rec + 1) | (fingerprintOf(hash, bits) << bits);
  for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
    const at = slots[slot]!;
    if (at === entry) {
      slots[slot] = DELETED;
      return true;
    }
    if (at === EMPTY) return false;
  }
}
