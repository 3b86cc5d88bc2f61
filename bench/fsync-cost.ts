// What one write + fdatasync of a group costs on this machine's disk, on the event loop's clock
// (sync calls, one at a time, so the figure is the disk's and not the threadpool's): appending,
// which grows the file and makes the file system commit its journal, against overwriting space
// written ahead as zeros, which the ingest log does (src/ingest-log/segment-log.ts).
//
//   npx tsx bench/fsync-cost.ts [bytes per write, default 8192] [writes, default 2000]

import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bytes = Number(process.argv[2] ?? 8192);
const writes = Number(process.argv[3] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'fsync-cost-'));
const data = Buffer.alloc(bytes, 7);
try {
  for (const mode of ['append', 'written ahead', 'append', 'written ahead'] as const) {
    const path = join(dir, mode.replace(' ', '-'));
    const fd = openSync(path, 'w');
    if (mode === 'written ahead') {
      writeSync(fd, Buffer.alloc(bytes * writes), 0, bytes * writes, 0);
      fdatasyncSync(fd);
    }
    const each = new Float64Array(writes);
    for (let i = 0; i < writes; i++) {
      const t0 = performance.now();
      writeSync(fd, data, 0, bytes, i * bytes);
      fdatasyncSync(fd);
      each[i] = performance.now() - t0;
    }
    closeSync(fd);
    each.sort();
    const at = (p: number) => each[Math.min(writes - 1, Math.floor(p * writes))]!.toFixed(3);
    process.stdout.write(`${mode.padEnd(14)} ${bytes} B: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
