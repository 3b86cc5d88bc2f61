// Tail-sampling decisions, remembered for as long as the window holds spans (so that a late
// span follows its trace's decision) in about 11–16 bytes per decided trace.
//
// A trace id is known by two 32-bit hashes: one places it in an open-addressing table, the
// other (with the decision in its low bit) confirms it; 63 bits in all, so two ids mistaken for
// each other are vanishingly rare and cost at most one trace following another's decision.
// Tables are generations, each taking the decisions of a quarter of the retention time; a
// generation whose newest decision is older than the retention is dropped whole, so nothing is
// ever deleted entry by entry and no sweep walks the entries.

import { hashWords, writeUuidWords } from '../store/buckets/uuid-words.js';

const GENERATIONS_PER_RETENTION = 4;
const MAX_LOAD = 0.7;

/** Open addressing over pairs of words: [placing hash, confirming hash | 2 | keep bit]. */
class DecisionTable {
  slots = new Uint32Array(2 * 1024);
  count = 0;

  find(h1: number, tag: number): number {
    const mask = this.slots.length / 2 - 1;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const stored = this.slots[2 * i + 1]!;
      if (stored === 0) return -1;
      if (this.slots[2 * i] === h1 && (stored | 1) === (tag | 1)) return stored & 1;
    }
  }

  insert(h1: number, tag: number): void {
    if ((this.count + 1) > (this.slots.length / 2) * MAX_LOAD) this.grow();
    const mask = this.slots.length / 2 - 1;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const stored = this.slots[2 * i + 1]!;
      if (stored === 0) {
        this.slots[2 * i] = h1;
        this.slots[2 * i + 1] = tag;
        this.count++;
        return;
      }
      if (this.slots[2 * i] === h1 && (stored | 1) === (tag | 1)) {
        this.slots[2 * i + 1] = tag;
        return;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
  }
}

export class DecisionMemory {
  private readonly generationMs: number;
  /** Newest first. */
  private readonly tables: Array<{ generation: number; table: DecisionTable }> = [];
  private readonly words = new Uint32Array(4);

  constructor(private readonly retainMs: number) {
    this.generationMs = Math.max(1000, Math.ceil(retainMs / GENERATIONS_PER_RETENTION));
  }

  /** true: kept, false: dropped, undefined: not decided within the retention. */
  get(traceId: string, nowMs: number): boolean | undefined {
    this.forget(nowMs);
    const [h1, tag] = this.hashes(traceId);
    for (const { table } of this.tables) {
      const found = table.find(h1, tag);
      if (found >= 0) return found === 1;
    }
    return undefined;
  }

  set(traceId: string, keep: boolean, nowMs: number): void {
    this.forget(nowMs);
    const generation = Math.floor(nowMs / this.generationMs);
    if (this.tables[0]?.generation !== generation) this.tables.unshift({ generation, table: new DecisionTable() });
    const [h1, tag] = this.hashes(traceId);
    this.tables[0]!.table.insert(h1, (tag & ~1) | (keep ? 1 : 0));
  }

  /** Decisions held (including ones decided again in a later generation). */
  get size(): number {
    return this.tables.reduce((n, t) => n + t.table.count, 0);
  }

  bytes(): number {
    return this.tables.reduce((n, t) => n + t.table.slots.byteLength, 0);
  }

  /** Drops the generations whose decisions are all older than the retention. */
  forget(nowMs: number): void {
    while (this.tables.length > 0) {
      const oldest = this.tables[this.tables.length - 1]!;
      // Its newest decision was taken before the end of its generation.
      if ((oldest.generation + 1) * this.generationMs + this.retainMs > nowMs) break;
      this.tables.pop();
    }
  }

  private hashes(traceId: string): [number, number] {
    const w = this.words;
    writeUuidWords(traceId, w, 0);
    const h1 = hashWords(w[0]!, w[1]!, w[2]!, w[3]!);
    const h2 = hashWords(w[3]! ^ 0x5bd1e995, w[2]!, w[1]!, w[0]!);
    // Bit 1 set: never 0, which marks an empty slot. Bit 0 is the decision.
    return [h1, (h2 | 2) >>> 0];
  }
}
