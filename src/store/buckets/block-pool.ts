// The bucket store's typed arrays, carved out of a few large ArrayBuffers (slabs) and recycled.
//
// Why: V8 counts the bytes of every ArrayBuffer allocated since the last mark-compact against the
// old generation's allocation limit, and that limit sits a few tens of MB above a heap of ~25 MB.
// A store taking 280k spans/s allocates column memory at ~50 MB/s (chunks, tag text, postings,
// and arrays that double), so it started a full mark-compact every ~100 ms, each 5–10 ms, with
// nothing to collect (measured: 138 in 19 s, mutator utilization 0.93). Blocks that eviction
// gives back are reused by the next minutes without any allocation at all, so a store whose
// window is full allocates nothing new.
//
// Slabs are SharedArrayBuffers, used by this one thread like any other memory: V8 does not count
// them as this isolate's external memory. Measured with a collector storing nothing: one 256 MiB
// ArrayBuffer allocated and kept after start-up was enough to make V8 run ~10 mark-compacts a
// second from then on (192 in 20 s, against 3 without it), and the store needs many such steps as
// it grows; the same SharedArrayBuffer left the count at 3. Arrays above the largest block are
// SharedArrayBuffers of their own, for the same reason.
//
// Blocks are powers of two from MIN_BLOCK to MAX_BLOCK bytes, kept in one free list per size and
// never split or merged: the store asks for the same few sizes over and over (its chunk columns,
// and arrays growing by doubling), so a size freed is a size soon asked for again. Smaller and
// larger arrays are allocations of their own, and free() ignores them. A reused block is zeroed,
// so a block reads like a new typed array. Slab memory is never returned to the system; pages
// never written are not resident (slabs come zeroed from calloc, that is untouched mmap pages).

/** Blocks below this many bytes are ordinary typed arrays: their allocations are small. */
const MIN_BLOCK_BITS = 14;
/** Blocks above this many bytes get a SharedArrayBuffer of their own, left to the garbage collector. */
const MAX_BLOCK_BITS = 24;
const FIRST_SLAB_BYTES = 1 << 20;
/** Each slab doubles the last, up to this: a store that stays small stays small. */
const MAX_SLAB_BYTES = 1 << 28;

type TypedArrayOf<T> = T extends 'uint8' ? Uint8Array : T extends 'int32' ? Int32Array : T extends 'uint32' ? Uint32Array : Float64Array;

export class BlockPool {
  /** Free blocks by log2 of their size, as byte views of their slab. */
  private readonly freeBlocks: Uint8Array[][] = Array.from({ length: MAX_BLOCK_BITS + 1 }, () => []);
  private readonly slabs = new Set<ArrayBufferLike>();
  private slab: SharedArrayBuffer | undefined;
  private slabUsed = 0;
  private nextSlabBytes = FIRST_SLAB_BYTES;
  /** Bytes of all slabs. */
  reservedBytes = 0;
  /** Bytes of blocks handed out and not given back. */
  inUseBytes = 0;

  uint8(length: number): Uint8Array {
    const block = this.block(length);
    return block === undefined ? new Uint8Array(length) : new Uint8Array(block.buffer, block.byteOffset, length);
  }

  int32(length: number): Int32Array {
    const block = this.block(length * 4);
    return block === undefined ? new Int32Array(length) : new Int32Array(block.buffer, block.byteOffset, length);
  }

  uint32(length: number): Uint32Array {
    const block = this.block(length * 4);
    return block === undefined ? new Uint32Array(length) : new Uint32Array(block.buffer, block.byteOffset, length);
  }

  float64(length: number): Float64Array {
    const block = this.block(length * 8);
    return block === undefined ? new Float64Array(length) : new Float64Array(block.buffer, block.byteOffset, length);
  }

  /** A Buffer (for text: write, toString, indexOf) over a block. */
  bytes(length: number): Buffer {
    const block = this.block(length);
    return block === undefined ? Buffer.alloc(length) : Buffer.from(block.buffer, block.byteOffset, length);
  }

  /**
   * `array`'s elements at the start of a new array of `length` elements; `array` goes back to the
   * pool. For arrays that grow by doubling.
   */
  grown<T extends 'uint8' | 'int32' | 'uint32' | 'float64'>(kind: T, array: TypedArrayOf<T>, length: number): TypedArrayOf<T> {
    const bigger = this[kind](length) as TypedArrayOf<T>;
    bigger.set(array as never);
    this.free(array);
    return bigger;
  }

  /**
   * Gives a block back. Only for an array that nothing will read or write again: its memory is
   * handed to the next caller. Arrays the pool did not hand out are left to the garbage collector.
   */
  free(array: ArrayBufferView): void {
    if (!this.slabs.has(array.buffer)) return;
    const bits = sizeBits(array.byteLength);
    this.inUseBytes -= 1 << bits;
    this.freeBlocks[bits]!.push(new Uint8Array(array.buffer, array.byteOffset, 1 << bits));
  }

  /** A zeroed block of at least `byteLength` bytes, or undefined for small sizes (ordinary arrays). */
  private block(byteLength: number): Uint8Array | undefined {
    const bits = sizeBits(byteLength);
    if (bits < MIN_BLOCK_BITS) return undefined;
    if (bits > MAX_BLOCK_BITS) return new Uint8Array(new SharedArrayBuffer(byteLength));
    const size = 1 << bits;
    this.inUseBytes += size;
    const reused = this.freeBlocks[bits]!.pop();
    if (reused !== undefined) return reused.fill(0);
    if (this.slab === undefined || this.slabUsed + size > this.slab.byteLength) this.newSlab(size);
    const block = new Uint8Array(this.slab!, this.slabUsed, size);
    this.slabUsed += size;
    return block;
  }

  private newSlab(atLeast: number): void {
    // The rest of the current slab becomes free blocks: offsets and sizes are multiples of
    // MIN_BLOCK, so the pieces are too (and aligned for any element type).
    if (this.slab !== undefined) {
      let at = this.slabUsed;
      let left = this.slab.byteLength - at;
      for (let bits = MAX_BLOCK_BITS; bits >= MIN_BLOCK_BITS; bits--) {
        while (left >= 1 << bits) {
          this.freeBlocks[bits]!.push(new Uint8Array(this.slab, at, 1 << bits));
          at += 1 << bits;
          left -= 1 << bits;
        }
      }
    }
    const bytes = Math.max(this.nextSlabBytes, atLeast);
    this.nextSlabBytes = Math.min(MAX_SLAB_BYTES, this.nextSlabBytes * 2);
    this.slab = new SharedArrayBuffer(bytes);
    this.slabs.add(this.slab);
    this.slabUsed = 0;
    this.reservedBytes += bytes;
  }
}

/**
 * An Int32Array of its own, outside the pool, in a SharedArrayBuffer (see the top of this file):
 * for arrays replaced whole now and then, like the trace index when it grows.
 */
export function sharedInt32Array(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

/** log2 of the block size that holds `byteLength` bytes. */
function sizeBits(byteLength: number): number {
  return byteLength <= 1 ? 0 : 32 - Math.clz32(byteLength - 1);
}
