// DATA_DIR at start-up: created if missing, checked writable, and locked to this process.
//
// The lock is a file holding the owner's PID, created with O_EXCL. A lock whose PID is not a
// live process (the owner was killed) is taken over; so is one holding our own PID, which is
// what a container restart looks like (the collector is PID 1 again). Sync calls are fine here:
// this runs once, before the listener opens.

import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'collector.lock';

/** DATA_DIR cannot be used; the message is the one line shown at start-up. */
export class DataDirError extends Error {}

export interface DataDirLock {
  /** Removes the lock file if it is still ours. */
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dir: string): DataDirLock {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new DataDirError(`DATA_DIR ${dir} cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new DataDirError(`DATA_DIR ${dir} is not writable (${code ?? (error as Error).message})`);
      let holder = NaN;
      try {
        holder = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // Unreadable: treated as stale below.
      }
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new DataDirError(`DATA_DIR ${dir} is in use by another collector (pid ${holder}, lock file ${path})`);
      }
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        throw new DataDirError(`DATA_DIR ${dir} is not writable: a stale lock file cannot be removed (${(unlinkError as NodeJS.ErrnoException).code})`);
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } catch (error) {
      throw new DataDirError(`DATA_DIR ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    } finally {
      closeSync(fd);
    }
    return {
      release() {
        try {
          if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
        } catch {
          // Already gone.
        }
      },
    };
  }
  throw new DataDirError(`DATA_DIR ${dir}: the lock file ${path} keeps reappearing; is another collector starting?`);
}
