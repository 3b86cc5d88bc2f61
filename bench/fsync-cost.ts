// What one write + fdatasync of a group costs on this machine's disk, on the event loop's clock
// (sync calls, one at a time, so the figure is the disk's and not the threadpool's): appending,
// which grows the file and makes the file system commit its journal, against overwriting space
// written ahead as zeros, which the ingest log does (src/ingest-log/segment-log.ts), and that
// again with the file opened O_DSYNC and no fdatasync call, as the log writes. Each line also
// gives the CPU time a write cost this process (user + system): what a group's sync takes from
// the collector's core besides the wait.
//
//   npx tsx bench/fsync-cost.ts [bytes per write, default 8192] [writes, default 2000]

import { closeSync, constants, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bytes = Number(process.argv[2] ?? 8192);
const writes = Number(process.argv[3] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'fsync-cost-'));
const data = Buffer.alloc(bytes, 7);
try {
  for (const mode of ['append', 'written ahead', 'O_DSYNC', 'append', 'written ahead', 'O_DSYNC'] as const) {
    const path = join(dir, mode.replace(' ', '-'));
    const dsync = mode === 'O_DSYNC';
    const fd = openSync(path, dsync ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC : 'w');
    if (mode !== 'append') {
      writeSync(fd, Buffer.alloc(bytes * writes), 0, bytes * writes, 0);
      fdatasyncSync(fd);
    }
    const each = new Float64Array(writes);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < writes; i++) {
      const t0 = performance.now();
      writeSync(fd, data, 0, bytes, i * bytes);
      if (!dsync) fdatasyncSync(fd);
      each[i] = performance.now() - t0;
    }
    const cpu = process.cpuUsage(cpu0);
    closeSync(fd);
    each.sort();
    const at = (p: number) => each[Math.min(writes - 1, Math.floor(p * writes))]!.toFixed(3);
    process.stdout.write(`${mode.padEnd(14)} ${bytes} B: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, CPU ${((cpu.user + cpu.system) / writes).toFixed(1)} µs a write (${(cpu.system / writes).toFixed(1)} in the kernel)\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
