// Growable output and bounded input for the ingest log's binary records.
//
// Integers are LEB128 varints: a span's times are mostly small deltas and its names and tags
// small indexes into the batch's own tables, so most fields take one byte. Values up to 2^53
// (times in whole seconds are below it) stay exact: above 2^31 the writer divides instead of
// shifting, since JS bit operations work on 32 bits.

import { cachedUtf8 } from '../codec/utf8-name-cache.js';

/** `array` if it holds `needed` elements, else a copy of it in one twice as long (or `needed`). */
export function withRoom<T extends Uint8Array | Uint32Array | Float64Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const grown = new (array.constructor as new (length: number) => T)(Math.max(needed, array.length * 2));
  grown.set(array as never);
  return grown;
}

/** Writes `value` (a non-negative integer up to 2^53) as a varint at `at`, room being there; returns the next offset. */
export function putVarint(buffer: Buffer, at: number, value: number): number {
  while (value >= 0x80000000) {
    buffer[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  while (value >= 0x80) {
    buffer[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buffer[at++] = value;
  return at;
}

export class ByteWriter {
  buffer: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Room for `bytes` more; grows by doubling, copying what is written. */
  reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  u32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value >>> 0, this.length);
    this.length += 4;
  }

  /** A non-negative integer up to 2^53. */
  varint(value: number): void {
    this.reserve(8);
    this.length = putVarint(this.buffer, this.length, value);
  }

  /** The four 32-bit words of an id from `words` at `offset`, as 16 bytes. */
  words4(words: Uint32Array, offset: number): void {
    this.reserve(16);
    const buffer = this.buffer;
    buffer.writeUInt32LE(words[offset]!, this.length);
    buffer.writeUInt32LE(words[offset + 1]!, this.length + 4);
    buffer.writeUInt32LE(words[offset + 2]!, this.length + 8);
    buffer.writeUInt32LE(words[offset + 3]!, this.length + 12);
    this.length += 16;
  }

  /** UTF-8 text with its byte length first. */
  text(value: string): void {
    // Every UTF-16 unit is at most 3 UTF-8 bytes.
    this.reserve(8 + value.length * 3);
    const bytes = this.buffer.write(value, this.length + 5, 'utf8');
    // Length in a fixed 5-byte varint slot would waste bytes; write it, then move the text.
    const start = this.length;
    this.varint(bytes);
    if (this.length !== start + 5) this.buffer.copy(this.buffer, this.length, start + 5, start + 5 + bytes);
    this.length += bytes;
  }

  /** `source[from, to)` with its byte length first (read back by ByteReader.text when it is UTF-8). */
  bytes(source: Buffer, from: number, to: number): void {
    this.reserve(8 + to - from);
    this.varint(to - from);
    const buffer = this.buffer;
    let at = this.length;
    // Tag text is short: a loop beats the call into C++ that copy() makes.
    if (to - from <= 128) for (let k = from; k < to; k++) buffer[at++] = source[k]!;
    else at += source.copy(buffer, at, from, to);
    this.length = at;
  }

  /** Forgets what was written, keeping the memory. */
  reset(): void {
    this.length = 0;
  }
}

/** Thrown by ByteReader when a record's fields run past its end: the record is malformed. */
export class RecordFormatError extends Error {}

/** Where the number varintAt last read ends. */
export let varintEnd = 0;

/**
 * The varint at `buffer[at]`, in a record that ends at `end`; `varintEnd` is set past it. For
 * decoders that keep their position in a local, as the span decoder's loop does. Most numbers
 * there (indexes, second offsets) take one byte: that case is small enough to be inlined.
 */
export function varintAt(buffer: Uint8Array, at: number, end: number): number {
  if (at < end) {
    const byte = buffer[at]!;
    if (byte < 0x80) {
      varintEnd = at + 1;
      return byte;
    }
  }
  return longVarintAt(buffer, at, end);
}

function longVarintAt(buffer: Uint8Array, at: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (at >= end) throw new RecordFormatError('record ends inside a number');
    const byte = buffer[at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      varintEnd = at;
      return value;
    }
    scale *= 128;
  }
  throw new RecordFormatError('a number in the record is longer than 8 bytes');
}

export class ByteReader {
  at: number;

  constructor(
    readonly buffer: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.at = start;
  }

  /** Throws RecordFormatError unless `bytes` more are left in the record. */
  need(bytes: number): void {
    if (this.at + bytes > this.end) throw new RecordFormatError(`record ends ${this.at + bytes - this.end} bytes early`);
  }

  /** Throws RecordFormatError unless the record ends here, after `what` (named in the message). */
  expectEnd(what: string): void {
    if (this.at !== this.end) throw new RecordFormatError(`${this.end - this.at} bytes left after ${what}`);
  }

  u8(): number {
    this.need(1);
    return this.buffer[this.at++]!;
  }

  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32LE(this.at);
    this.at += 4;
    return value;
  }

  varint(): number {
    const value = varintAt(this.buffer, this.at, this.end);
    this.at = varintEnd;
    return value;
  }

  /** 16 bytes into four 32-bit words of `words` from `offset`. */
  words4(words: Uint32Array, offset: number): void {
    this.need(16);
    const buffer = this.buffer;
    words[offset] = buffer.readUInt32LE(this.at);
    words[offset + 1] = buffer.readUInt32LE(this.at + 4);
    words[offset + 2] = buffer.readUInt32LE(this.at + 8);
    words[offset + 3] = buffer.readUInt32LE(this.at + 12);
    this.at += 16;
  }

  /** Moves past `bytes` bytes. */
  skip(bytes: number): void {
    this.need(bytes);
    this.at += bytes;
  }

  /** Length-prefixed UTF-8 text; a name (`cached`) comes from the name cache (codec/utf8-name-cache.ts). */
  text(cached = false): string {
    const bytes = this.varint();
    this.need(bytes);
    const value = cached ? cachedUtf8(this.buffer, this.at, this.at + bytes) : this.buffer.toString('utf8', this.at, this.at + bytes);
    this.at += bytes;
    return value;
  }
}
