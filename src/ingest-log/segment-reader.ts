// Reads one segment file record by record, with bounded memory: the file is read in chunks, and
// only the record being handed out (plus the rest of its chunk) is held, whatever the segment's
// size. Damage is expected (a crash mid-write, a bad disk) and never throws:
//
//  - a record whose length runs past the end of the file, or bytes after the last good record
//    that hold no valid record, are a torn tail: the file is truncated back to the last good
//    record (written by a process that crashed mid-append; it was never acknowledged);
//  - a record whose checksum does not match, or whose length is absurd, with a valid record
//    after it, is corrupt: it is skipped, and reading resumes at the next offset where a length,
//    a known record kind and a matching checksum all agree (a scan forward, byte by byte), so one
//    damaged record costs that record and no more;
//  - zeros from a position to the end of the file are space the writer wrote ahead (segment-log.ts)
//    and not yet used: the records end there, with nothing to report, and the zeros are cut off;
//  - a file that is empty, too short, not a segment or of a future format version is skipped.

import { open, type FileHandle } from 'node:fs/promises';
import { knownRecordKind } from './record-codec.js';
import { checkHeader, checksum, FRAME_HEADER_BYTES, HEADER_BYTES, MAX_RECORD_BYTES } from './segment-format.js';

export const READ_CHUNK_BYTES = 1024 * 1024;

/** What reading a segment met besides good records; `onDamage` is told of each as it is found. */
export type SegmentDamage =
  | { kind: 'skipped'; problem: string }
  | { kind: 'corrupt'; offset: number; bytes: number; problem: string }
  | { kind: 'torn'; offset: number; bytes: number; truncated: boolean };

export interface RecordView {
  /** The payload is buffer[start, end); valid until the next record is asked for. */
  buffer: Buffer;
  start: number;
  end: number;
  /** Offset of the record's frame in the file. */
  offset: number;
}

/** A window of the file in memory: bytes [windowStart, windowStart + filled) of the file. */
class FileWindow {
  buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  windowStart = 0;
  filled = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** Makes file bytes [offset, offset + bytes) available; false when the file ends first. */
  async ensure(offset: number, bytes: number): Promise<boolean> {
    if (offset + bytes > this.size) return false;
    if (offset >= this.windowStart && offset + bytes <= this.windowStart + this.filled) return true;
    // Keep what is still needed, at the front; grow only for a record bigger than a chunk.
    const keepFrom = Math.max(0, Math.min(offset - this.windowStart, this.filled));
    const kept = offset >= this.windowStart ? this.filled - keepFrom : 0;
    const needed = Math.max(bytes, READ_CHUNK_BYTES);
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(needed);
      this.buffer.copy(grown, 0, keepFrom, keepFrom + kept);
      this.buffer = grown;
    } else if (kept > 0 && keepFrom > 0) {
      this.buffer.copy(this.buffer, 0, keepFrom, keepFrom + kept);
    }
    this.windowStart = offset;
    this.filled = kept;
    while (this.filled < bytes) {
      const want = Math.min(this.buffer.length - this.filled, this.size - (this.windowStart + this.filled));
      if (want <= 0) return false;
      const { bytesRead } = await this.handle.read(this.buffer, this.filled, want, this.windowStart + this.filled);
      if (bytesRead === 0) return false;
      this.filled += bytesRead;
    }
    return true;
  }

  /** Offset of the first byte at or after `offset` that is not zero; `size` when there is none. */
  async firstNonZero(offset: number): Promise<number> {
    for (let at = offset; at < this.size; ) {
      const bytes = Math.min(READ_CHUNK_BYTES, this.size - at);
      await this.ensure(at, bytes);
      const start = this.at(at);
      for (let i = start; i < start + bytes; i++) if (this.buffer[i] !== 0) return at + (i - start);
      at += bytes;
    }
    return this.size;
  }

  /** Index in `buffer` of file offset `offset` (after ensure). */
  at(offset: number): number {
    return offset - this.windowStart;
  }
}

/** A valid frame at `offset`: its payload length, else undefined. */
async function frameAt(window: FileWindow, offset: number, maxRecordBytes: number): Promise<number | undefined> {
  if (!(await window.ensure(offset, FRAME_HEADER_BYTES + 1))) return undefined;
  let i = window.at(offset);
  const length = window.buffer.readUInt32LE(i);
  const kind = window.buffer[i + FRAME_HEADER_BYTES]!;
  if (length === 0 || length > maxRecordBytes || !knownRecordKind(kind)) return undefined;
  if (!(await window.ensure(offset, FRAME_HEADER_BYTES + length))) return undefined;
  i = window.at(offset);
  const expected = window.buffer.readUInt32LE(i + 4);
  return checksum(window.buffer, i + FRAME_HEADER_BYTES, i + FRAME_HEADER_BYTES + length) === expected ? length : undefined;
}

export interface ReadSegmentOptions {
  onDamage: (damage: SegmentDamage) => void;
  maxRecordBytes?: number;
  /** Truncate a torn tail (off for read-only inspection). */
  truncate?: boolean;
}

/** The good records of the segment at `path`, oldest first. */
export async function* readSegment(path: string, options: ReadSegmentOptions): AsyncGenerator<RecordView> {
  const maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  let handle: FileHandle;
  let writable = options.truncate !== false;
  try {
    handle = await open(path, writable ? 'r+' : 'r');
  } catch (error) {
    try {
      handle = await open(path, 'r');
      writable = false;
    } catch {
      options.onDamage({ kind: 'skipped', problem: `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
      return;
    }
  }
  try {
    const size = (await handle.stat()).size;
    const window = new FileWindow(handle, size);
    await window.ensure(0, Math.min(size, HEADER_BYTES));
    const header = checkHeader(window.buffer.subarray(0, Math.min(size, HEADER_BYTES)));
    if (!header.ok) {
      options.onDamage({ kind: 'skipped', problem: header.problem });
      return;
    }
    let offset = HEADER_BYTES;
    /** The first non-zero byte at or after a zero length word met last (so a run of zeros is scanned once). */
    let nonZeroAt = -1;
    const zerosToEnd = async (at: number): Promise<boolean> => {
      if (at < nonZeroAt) return false;
      nonZeroAt = await window.firstNonZero(at);
      return nonZeroAt === size;
    };
    const cut = async (at: number): Promise<boolean> => {
      if (!writable) return false;
      try {
        await handle.truncate(at);
        return true;
      } catch {
        // Read-only media: the tail stays, and is met again at the next start.
        return false;
      }
    };
    while (offset < size) {
      const length = await frameAt(window, offset, maxRecordBytes);
      if (length !== undefined) {
        const start = window.at(offset) + FRAME_HEADER_BYTES;
        yield { buffer: window.buffer, start, end: start + length, offset };
        offset += FRAME_HEADER_BYTES + length;
        continue;
      }
      // The space written ahead, unused: the end of the records.
      if (await zerosToEnd(offset)) {
        await cut(offset);
        return;
      }
      // Damage at `offset`: say what it is, then find the next frame that checks out.
      const problem = await describeDamage(window, offset, size, maxRecordBytes);
      let next = offset + 1;
      while (next + FRAME_HEADER_BYTES < size && (await frameAt(window, next, maxRecordBytes)) === undefined) {
        // A torn record followed by the zeros written ahead: no record can follow.
        if ((await window.ensure(next, 4)) && window.buffer.readUInt32LE(window.at(next)) === 0 && (await zerosToEnd(next))) break;
        next++;
      }
      if (next + FRAME_HEADER_BYTES >= size || nonZeroAt === size) {
        options.onDamage({ kind: 'torn', offset, bytes: size - offset, truncated: await cut(offset) });
        return;
      }
      options.onDamage({ kind: 'corrupt', offset, bytes: next - offset, problem });
      offset = next;
    }
  } finally {
    await handle.close();
  }
}

async function describeDamage(window: FileWindow, offset: number, size: number, maxRecordBytes: number): Promise<string> {
  if (!(await window.ensure(offset, FRAME_HEADER_BYTES))) return 'a partial frame';
  const length = window.buffer.readUInt32LE(window.at(offset));
  if (length === 0 || length > maxRecordBytes || offset + FRAME_HEADER_BYTES + length > size) return `absurd length ${length}`;
  if (!knownRecordKind(window.buffer[window.at(offset) + FRAME_HEADER_BYTES])) return 'unknown record kind';
  return 'checksum mismatch';
}
