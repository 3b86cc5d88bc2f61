// The file operations the ingest log performs, behind an interface so tests can count syncs and
// inject ENOSPC or EIO. The real one uses node's callback fs functions, which run on libuv's
// threadpool: a write and an fdatasync never block the event loop (the sync variants would, for
// the whole of each disk round trip).

import { close, fdatasync, fsync, ftruncate, open, unlink, write } from 'node:fs';
import { promisify } from 'node:util';

export interface LogFiles {
  /** Opens `path`; `exclusive` creates it and fails with EEXIST when it exists. */
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

export const nodeLogFiles: LogFiles = {
  open: (path, exclusive) => openAsync(path, exclusive ? 'wx' : 'r+'),
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
