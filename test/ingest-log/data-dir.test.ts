// DATA_DIR at start-up, with real processes: a second collector on the same directory refuses to
// start and names the holder; a lock left by a killed collector is taken over; a DATA_DIR that
// cannot be used stops start-up with one line naming it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/ingest-log/data-dir.js';
import { startCollectorProcess, waitForLog, type CollectorProcess } from './collector-process.js';

const started: CollectorProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const proc of started.splice(0)) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-'));
  dirs.push(dir);
  return dir;
}

function start(env: Record<string, string>): CollectorProcess {
  const proc = startCollectorProcess({ PORT: '0', ...env });
  started.push(proc);
  return proc;
}

function lines(proc: CollectorProcess): string[] {
  return proc.output().split('\n').filter((line) => line.trim() !== '');
}

describe('DATA_DIR', () => {
  it('is held by one collector: a second one exits with one line naming the holder, and the lock goes with a clean shutdown', async () => {
    const dir = tempDir();
    const first = start({ DATA_DIR: dir });
    await waitForLog(first, 'traced-collector ready', 30_000);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(first.child.pid));
    const second = start({ DATA_DIR: dir });
    expect(await second.exited).toBe(2);
    expect(lines(second)).toHaveLength(1);
    expect(lines(second)[0]).toContain(`in use by another collector (pid ${first.child.pid}`);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(() => readFileSync(join(dir, LOCK_FILE))).toThrow(/ENOENT/);
  }, 60_000);

  it('takes over the lock of a collector that was killed', async () => {
    const dir = tempDir();
    // The PID of a process that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), dead.stdout.trim() + '\n');
    const proc = start({ DATA_DIR: dir });
    await waitForLog(proc, 'traced-collector ready', 30_000);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(proc.child.pid));
  }, 60_000);

  it('that cannot be created stops start-up with one line naming it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    const proc = start({ DATA_DIR: join(dir, 'a-file', 'data') });
    expect(await proc.exited).toBe(2);
    expect(lines(proc)).toHaveLength(1);
    expect(lines(proc)[0]).toMatch(/^traced-collector: DATA_DIR .*a-file\/data cannot be created \(ENOTDIR\)$/);
  }, 60_000);

  it('is not touched with STORAGE=memory', async () => {
    const dir = tempDir();
    const proc = start({ DATA_DIR: join(dir, 'never'), STORAGE: 'memory' });
    await waitForLog(proc, 'traced-collector ready', 30_000);
    expect(() => readFileSync(join(dir, 'never', LOCK_FILE))).toThrow(/ENOENT/);
  }, 60_000);
});
