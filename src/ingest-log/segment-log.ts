// The write side of the ingest log: appends records to the current minute's segment with group
// commit, and deletes segments whole once the window has passed them.
//
// Group commit: every append goes into one buffer (the filling group) and returns a promise.
// One group at a time is written and made durable with one `write` to a file opened O_DSYNC
// (log-files.ts says why), on libuv's threadpool, while the next group fills on the event loop;
// when the write returns, the requests of its group are answered and the group that filled
// meanwhile is written. So under load one sync covers many requests, and with a single client
// each request costs one sync and no added wait (the first group starts in a microtask, not on
// a timer).
//
// Space is written ahead as zeros, PREALLOCATE_BYTES at a time: a sync that grows the file
// must also commit the file system's journal (the new size), one that overwrites written blocks
// need not; here an 8 KiB sync then costs 0.12 ms at p50 instead of 0.15–0.23 ms
// (npx tsx bench/fsync-cost.ts). Readers
// take a run of zeros to the end of the file as the end of the records (segment-reader.ts), and
// a clean close cuts it off.
//
// A failed write or sync (ENOSPC, EIO) rejects exactly the requests of that group, and the file
// is truncated back to the length the last good sync covered, so no record of a refused batch
// can come back at replay and nothing is half-acknowledged. Should the truncation fail too, the
// file is given up and the next group starts a new one (replay treats its tail as torn).

import { join } from 'node:path';
import type { Clock } from '../time/clock.js';
import { ByteWriter } from './byte-buffers.js';
import { nodeLogFiles, type LogFiles } from './log-files.js';
import { checksum, FRAME_HEADER_BYTES, HEADER_BYTES, segmentHeader } from './segment-format.js';
import { compareSegments, minuteOf, segmentExpired, segmentFile, type SegmentName } from './segment-names.js';

/** An append that did not become durable: its request is answered 503 (reason `storage`). */
export class StorageError extends Error {
  constructor(
    message: string,
    /** The system error code (ENOSPC, EIO, ...) when there was one. */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface SegmentLogOptions {
  dir: string;
  clock: Clock;
  windowMinutes: number;
  files?: LogFiles;
  /** Told of problems no request is waiting for (a close or unlink that failed). */
  onProblem?: (message: string, error: unknown) => void;
}

interface ActiveSegment {
  name: SegmentName;
  fd: number;
  /** Bytes the last successful sync covered; 0 until the header is durable. */
  syncedLength: number;
  /** Bytes of the file written (records, then zeros written ahead). */
  allocated: number;
  /** The directory entry is not yet synced. */
  newEntry: boolean;
}

/** The requests of one group: they share one promise, settled when the group's sync returns. */
interface GroupWaiters {
  records: number;
  done: Promise<void> | undefined;
  resolve: () => void;
  reject: (error: StorageError) => void;
}

function noWaiters(): GroupWaiters {
  return { records: 0, done: undefined, resolve: () => undefined, reject: () => undefined };
}

export interface SegmentLogStats {
  groups: number;
  records: number;
  bytes: number;
  failedGroups: number;
}

const HEADER = segmentHeader();
export const PREALLOCATE_BYTES = 256 * 1024;
let zeros: Buffer | undefined;

export class SegmentLog {
  private readonly files: LogFiles;
  private filling = new ByteWriter();
  private spare = new ByteWriter();
  private waiters = noWaiters();
  private flushing: Promise<void> | undefined;
  private active: ActiveSegment | undefined;
  /** Every segment on disk that eviction has not deleted, oldest first (the active one last). */
  private readonly segments: SegmentName[] = [];
  readonly stats: SegmentLogStats = { groups: 0, records: 0, bytes: 0, failedGroups: 0 };

  constructor(private readonly options: SegmentLogOptions) {
    this.files = options.files ?? nodeLogFiles;
  }

  /**
   * Appends one record, whose payload `encode` writes, and resolves once a sync covers it.
   * `encode` runs now, synchronously: the caller's batch may be reused as soon as this returns.
   */
  append(encode: (out: ByteWriter) => void): Promise<void> {
    const out = this.filling;
    const start = out.length;
    out.reserve(FRAME_HEADER_BYTES);
    out.length += FRAME_HEADER_BYTES;
    try {
      encode(out);
    } catch (error) {
      out.length = start;
      throw error;
    }
    const buffer = out.buffer;
    buffer.writeUInt32LE(out.length - start - FRAME_HEADER_BYTES, start);
    buffer.writeUInt32LE(checksum(buffer, start + FRAME_HEADER_BYTES, out.length), start + 4);
    const waiters = this.waiters;
    waiters.records++;
    // One promise a group, not one a request: every request of the group is answered alike.
    waiters.done ??= new Promise<void>((resolve, reject) => {
      waiters.resolve = resolve;
      waiters.reject = reject;
    });
    this.flushing ??= this.flushGroups();
    return waiters.done;
  }

  /** Deletes the segments the window has passed at `nowMs`; returns how many. */
  async evict(nowMs: number): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 0) {
      const oldest = this.segments[0]!;
      if (oldest === this.active?.name || !segmentExpired(oldest.minute, nowMs, this.options.windowMinutes)) break;
      this.segments.shift();
      try {
        await this.files.unlink(join(this.options.dir, oldest.file));
        deleted++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.options.onProblem?.(`could not delete segment ${oldest.file}`, error);
      }
    }
    return deleted;
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Takes on the segments replay found (before any append), so eviction deletes them in time, the passed ones first. */
  adopt(segments: readonly SegmentName[]): void {
    for (const name of segments) if (!this.segments.some((known) => known.file === name.file)) this.insertSegment(name);
  }

  /** Into `segments`, keeping it oldest first. */
  private insertSegment(name: SegmentName): void {
    let at = this.segments.length;
    while (at > 0 && compareSegments(this.segments[at - 1]!, name) > 0) at--;
    this.segments.splice(at, 0, name);
  }

  /** Segments on disk, oldest first. */
  segmentNames(): readonly SegmentName[] {
    return this.segments;
  }

  /** Waits for the groups in flight, then closes the current segment (deleting it if it holds nothing). */
  async close(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    const active = this.active;
    this.active = undefined;
    if (active === undefined) return;
    // The zeros written ahead are not needed any more.
    if (active.allocated > active.syncedLength) await this.files.ftruncate(active.fd, active.syncedLength).catch(() => undefined);
    await this.closeQuietly(active);
    if (active.syncedLength === 0) {
      this.segments.splice(this.segments.indexOf(active.name), 1);
      await this.files.unlink(join(this.options.dir, active.name.file)).catch(() => undefined);
    }
  }

  private flushGroups(): Promise<void> {
    // Started from append(): the microtask lets every append of this turn join the first group.
    return Promise.resolve().then(async () => {
      while (this.waiters.records > 0) {
        const group = this.filling;
        const waiters = this.waiters;
        this.filling = this.spare;
        this.waiters = noWaiters();
        try {
          await this.writeGroup(group);
          this.stats.groups++;
          this.stats.records += waiters.records;
          this.stats.bytes += group.length;
          waiters.resolve();
        } catch (error) {
          this.stats.failedGroups++;
          const code = (error as NodeJS.ErrnoException).code;
          waiters.reject(new StorageError(`the ingest log could not be written (${code ?? (error as Error).message})`, code));
        }
        group.reset();
        this.spare = group;
      }
      this.flushing = undefined;
    });
  }

  private async writeGroup(group: ByteWriter): Promise<void> {
    const minute = minuteOf(this.options.clock.nowMs());
    // The clock may step back; records then stay in the later minute's segment, which is only
    // deleted later than theirs would be.
    if (this.active === undefined || minute > this.active.name.minute) await this.startSegment(minute);
    const segment = this.active!;
    try {
      let position = segment.syncedLength;
      if (position === 0) {
        await this.files.write(segment.fd, HEADER, HEADER_BYTES, 0);
        position = HEADER_BYTES;
        segment.allocated = Math.max(segment.allocated, HEADER_BYTES);
      }
      const end = position + group.length;
      if (end > segment.allocated) {
        // Zeros up to the next multiple of PREALLOCATE_BYTES past this group, synced with it.
        const target = Math.ceil(end / PREALLOCATE_BYTES) * PREALLOCATE_BYTES;
        zeros ??= Buffer.alloc(PREALLOCATE_BYTES);
        for (let at = segment.allocated; at < target; at += Math.min(PREALLOCATE_BYTES, target - at)) {
          await this.files.write(segment.fd, zeros, Math.min(PREALLOCATE_BYTES, target - at), at);
        }
        segment.allocated = target;
      }
      await this.files.write(segment.fd, group.buffer, group.length, position);
      if (!this.files.durableWrites) await this.files.fdatasync(segment.fd);
      if (segment.newEntry) {
        await this.files.syncDirectory(this.options.dir);
        segment.newEntry = false;
      }
      segment.syncedLength = position + group.length;
    } catch (error) {
      try {
        await this.files.ftruncate(segment.fd, segment.syncedLength);
        segment.allocated = segment.syncedLength;
      } catch (truncateError) {
        this.options.onProblem?.(`could not truncate segment ${segment.name.file} back to ${segment.syncedLength} bytes; starting a new one`, truncateError);
        this.active = undefined;
        await this.closeQuietly(segment);
      }
      throw error;
    }
  }

  private async startSegment(minute: number): Promise<void> {
    const previous = this.active;
    this.active = undefined;
    if (previous !== undefined) await this.closeQuietly(previous);
    let sequence = 0;
    for (const segment of this.segments) if (segment.minute === minute) sequence = Math.max(sequence, segment.sequence + 1);
    for (;;) {
      const name: SegmentName = { minute, sequence, file: segmentFile(minute, sequence) };
      let fd: number;
      try {
        fd = await this.files.open(join(this.options.dir, name.file), true);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          sequence++;
          continue;
        }
        throw error;
      }
      this.active = { name, fd, syncedLength: 0, allocated: 0, newEntry: true };
      this.insertSegment(name);
      return;
    }
  }

  private async closeQuietly(segment: ActiveSegment): Promise<void> {
    try {
      await this.files.close(segment.fd);
    } catch (error) {
      this.options.onProblem?.(`could not close segment ${segment.name.file}`, error);
    }
  }
}
