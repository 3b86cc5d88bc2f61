// The file operations the ingest log performs, behind an interface so tests can count syncs and
// inject ENOSPC or EIO. The real one uses node's callback fs functions, which run on libuv's
// threadpool: a write and an fdatasync never block the event loop (the sync variants would, for
// the whole of each disk round trip).
//
// Segments are opened O_DSYNC where the platform has it: a write then returns once its data is
// durable, as a write followed by an fdatasync would, but in one threadpool job instead of two.
// Each job's completion waits for the event loop to come round, and under overload a turn of
// the loop is long (it reads and refuses hundreds of requests): with the sync in the write, an
// accepted request's p99 in an open loop at twice capacity fell from 90–116 ms to 60 ms inside
// the collector (bench/overload.ts's figures, 2026-12-07).

import { close, constants, fdatasync, fsync, ftruncate, open, unlink, write } from 'node:fs';
import { promisify } from 'node:util';

export interface LogFiles {
  /** True when a write to a file this opened is durable when it returns: no fdatasync is needed. */
  readonly durableWrites: boolean;
  /** Opens `path` for writing; `exclusive` creates it and fails with EEXIST when it exists. */
  open(path: string, exclusive: boolean): Promise<number>;
  /** Writes all of `buffer[0, length)` at `position`. */
  write(fd: number, buffer: Buffer, length: number, position: number): Promise<void>;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory, so that a file created in it survives a crash. */
  syncDirectory(path: string): Promise<void>;
}

const openAsync = promisify(open);
const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);
const ftruncateAsync = promisify(ftruncate);
const closeAsync = promisify(close);
const unlinkAsync = promisify(unlink);

/** O_DSYNC, or 0 where the platform lacks it (then every write is followed by an fdatasync). */
const DSYNC = constants.O_DSYNC ?? 0;

export const nodeLogFiles: LogFiles = {
  durableWrites: DSYNC !== 0,
  open: (path, exclusive) => openAsync(path, (exclusive ? constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY : constants.O_RDWR) | DSYNC),
  async write(fd, buffer, length, position) {
    let written = 0;
    // A write may take fewer bytes than asked (a signal, a quota): go on from where it stopped.
    while (written < length) {
      const { bytesWritten } = await writeAsync(fd, buffer, written, length - written, position + written);
      written += bytesWritten;
    }
  },
  fdatasync: (fd) => fdatasyncAsync(fd),
  ftruncate: (fd, length) => ftruncateAsync(fd, length),
  close: (fd) => closeAsync(fd),
  unlink: (path) => unlinkAsync(path),
  async syncDirectory(path) {
    const fd = await openAsync(path, 'r');
    try {
      await fsyncAsync(fd);
    } finally {
      await closeAsync(fd);
    }
  },
};
