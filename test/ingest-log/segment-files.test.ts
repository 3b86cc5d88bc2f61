// Segment files on a real disk: group commit (counted through an injected file layer), failures
// that answer exactly one group, eviction by minute, and replay of torn and corrupt files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeLogFiles, type LogFiles } from '../../src/ingest-log/log-files.js';
import { decodeRecord, encodeSpanBatch, RECORD_SPANS } from '../../src/ingest-log/record-codec.js';
import { readSegment, type SegmentDamage } from '../../src/ingest-log/segment-reader.js';
import { PREALLOCATE_BYTES, SegmentLog, StorageError } from '../../src/ingest-log/segment-log.js';
import { HEADER_BYTES } from '../../src/ingest-log/segment-format.js';
import { SpanBatch } from '../../src/ingest/span-batch.js';
import { ManualClock } from '../../src/time/clock.js';
import { span, uuid } from '../support/spans.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-log-'));
  dirs.push(dir);
  return dir;
}

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);

function batchOf(n: number): SpanBatch {
  return SpanBatch.fromSpans([span({ traceId: uuid(n), spanId: uuid(1000 + n), startTime: (BigInt(T0) * 1_000_000n + BigInt(n)).toString(), tags: { n: String(n) } })]);
}

/**
 * The real file layer, counting syncs, with failures on demand. A sync is an fdatasync, or, on
 * a file whose writes are durable (O_DSYNC), the write of a group: one past the header that is
 * not all zeros (space written ahead).
 */
function countingFiles() {
  const counts = { syncs: 0, write: 0 };
  // `sync`: the bytes are written but never made durable (fdatasync fails, or on a file whose
  // writes are durable, the write itself after its bytes reached the page cache).
  const fail: { next?: 'write' | 'sync'; code?: string } = {};
  const files: LogFiles = {
    ...nodeLogFiles,
    async write(fd, buffer, length, position) {
      counts.write++;
      if (nodeLogFiles.durableWrites && position >= HEADER_BYTES && buffer.subarray(0, length).some((byte) => byte !== 0)) counts.syncs++;
      if (fail.next === 'write') {
        fail.next = undefined;
        // Half the bytes reach the file before the disk fills up, as a real ENOSPC can leave it.
        await nodeLogFiles.write(fd, buffer, Math.floor(length / 2), position);
        throw Object.assign(new Error(`${fail.code}: injected`), { code: fail.code });
      }
      if (fail.next === 'sync' && nodeLogFiles.durableWrites) {
        fail.next = undefined;
        await nodeLogFiles.write(fd, buffer, length, position);
        throw Object.assign(new Error(`${fail.code}: injected`), { code: fail.code });
      }
      return nodeLogFiles.write(fd, buffer, length, position);
    },
    async fdatasync(fd) {
      counts.syncs++;
      if (fail.next === 'sync') {
        fail.next = undefined;
        throw Object.assign(new Error(`${fail.code}: injected`), { code: fail.code });
      }
      return nodeLogFiles.fdatasync(fd);
    },
  };
  return { files, counts, fail };
}

async function recordsIn(path: string, damage: SegmentDamage[] = []): Promise<string[]> {
  const ids: string[] = [];
  for await (const record of readSegment(path, { onDamage: (d) => damage.push(d) })) {
    const decoded = decodeRecord(record.buffer, record.start, record.end);
    if (decoded.kind === RECORD_SPANS) for (let i = 0; i < decoded.batch.length; i++) ids.push(decoded.batch.spanIdText(i));
  }
  return ids;
}

function segmentPaths(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .map((f) => join(dir, f));
}

describe('group commit', () => {
  it('shares one fdatasync among the appends made while a sync runs', async () => {
    const dir = tempDir();
    const { files, counts } = countingFiles();
    const log = new SegmentLog({ dir, clock: new ManualClock(T0), windowMinutes: 30, files });
    const appends = Array.from({ length: 200 }, (_, i) => log.append((out) => encodeSpanBatch(batchOf(i), T0, out)));
    await Promise.all(appends);
    // All 200 were appended in one turn of the event loop: one group, one sync.
    expect(counts.syncs).toBe(1);
    // A second wave while nothing is in flight, then appends that arrive during a sync.
    const first = log.append((out) => encodeSpanBatch(batchOf(200), T0, out));
    const during = Array.from({ length: 50 }, (_, i) => Promise.resolve().then(() => log.append((out) => encodeSpanBatch(batchOf(201 + i), T0, out))));
    await Promise.all([first, ...during]);
    expect(counts.syncs).toBeLessThanOrEqual(3);
    expect(log.stats.records).toBe(251);
    await log.close();
    const ids = await recordsIn(segmentPaths(dir)[0]!);
    expect(ids).toEqual(Array.from({ length: 251 }, (_, i) => uuid(1000 + i)));
  });

  it('answers each append only after a sync that covers it', async () => {
    const dir = tempDir();
    const { files, counts } = countingFiles();
    const log = new SegmentLog({ dir, clock: new ManualClock(T0), windowMinutes: 30, files });
    const syncsWhenAnswered: number[] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append((out) => encodeSpanBatch(batchOf(i), T0, out)).then(() => syncsWhenAnswered.push(counts.syncs))));
    expect(syncsWhenAnswered.every((n) => n >= 1)).toBe(true);
    await log.close();
  });

  for (const [code, where] of [
    ['ENOSPC', 'write'],
    ['EIO', 'sync'],
  ] as const) {
    it(`rejects exactly the group whose ${where} failed with ${code}, and leaves the file valid`, async () => {
      const dir = tempDir();
      const { files, fail } = countingFiles();
      const log = new SegmentLog({ dir, clock: new ManualClock(T0), windowMinutes: 30, files });
      await Promise.all([0, 1, 2].map((i) => log.append((out) => encodeSpanBatch(batchOf(i), T0, out))));
      fail.next = where;
      fail.code = code;
      const failed = await Promise.allSettled([3, 4, 5].map((i) => log.append((out) => encodeSpanBatch(batchOf(i), T0, out))));
      for (const result of failed) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StorageError);
        expect(((result as PromiseRejectedResult).reason as StorageError).code).toBe(code);
      }
      // Space is back: the next group goes in after the last good one.
      await Promise.all([6, 7].map((i) => log.append((out) => encodeSpanBatch(batchOf(i), T0, out))));
      await log.close();
      const damage: SegmentDamage[] = [];
      expect(await recordsIn(segmentPaths(dir)[0]!, damage)).toEqual([0, 1, 2, 6, 7].map((i) => uuid(1000 + i)));
      expect(damage).toEqual([]);
    });
  }

  it('fails the first group of a new segment without leaving a half header behind', async () => {
    const dir = tempDir();
    const { files, fail } = countingFiles();
    const log = new SegmentLog({ dir, clock: new ManualClock(T0), windowMinutes: 30, files });
    fail.next = 'sync';
    fail.code = 'ENOSPC';
    await expect(log.append((out) => encodeSpanBatch(batchOf(1), T0, out))).rejects.toBeInstanceOf(StorageError);
    expect(statSync(segmentPaths(dir)[0]!).size).toBe(0);
    await log.append((out) => encodeSpanBatch(batchOf(2), T0, out));
    await log.close();
    expect(await recordsIn(segmentPaths(dir)[0]!)).toEqual([uuid(1002)]);
  });
});

describe('segments by minute', () => {
  it('start a new file each minute and are deleted whole once the window has passed them', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0 + 5000);
    const log = new SegmentLog({ dir, clock, windowMinutes: 2, files: nodeLogFiles });
    for (let minute = 0; minute < 4; minute++) {
      await log.append((out) => encodeSpanBatch(batchOf(minute), T0, out));
      clock.advance(60_000);
    }
    const m0 = Math.floor(T0 / 60_000);
    expect(readdirSync(dir).sort()).toEqual([0, 1, 2, 3].map((m) => `${m0 + m}-0.seg`));
    // Minute m0 holds spans starting before m0 + 6 (5 minutes of future skew), held 2 minutes more.
    expect(await log.evict((m0 + 7) * 60_000 + 59_999)).toBe(0);
    expect(await log.evict((m0 + 8) * 60_000)).toBe(1);
    expect(await log.evict((m0 + 10) * 60_000)).toBe(2);
    // The segment being written is never deleted.
    expect(await log.evict((m0 + 100) * 60_000)).toBe(0);
    expect(readdirSync(dir)).toEqual([`${m0 + 3}-0.seg`]);
    await log.close();
  });

  it('never append to a file an earlier process wrote: a restart in the same minute starts the next sequence', async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const first = new SegmentLog({ dir, clock, windowMinutes: 30 });
    await first.append((out) => encodeSpanBatch(batchOf(1), T0, out));
    await first.close();
    const second = new SegmentLog({ dir, clock, windowMinutes: 30 });
    await second.append((out) => encodeSpanBatch(batchOf(2), T0, out));
    await second.close();
    const m0 = Math.floor(T0 / 60_000);
    expect(readdirSync(dir).sort()).toEqual([`${m0}-0.seg`, `${m0}-1.seg`]);
  });
});

describe('reading damaged segments', () => {
  async function writeSegment(dir: string, n: number): Promise<{ path: string; offsets: number[] }> {
    const log = new SegmentLog({ dir, clock: new ManualClock(T0), windowMinutes: 30 });
    // One sync per record, so each record's offset is known.
    for (let i = 0; i < n; i++) await log.append((out) => encodeSpanBatch(batchOf(i), T0, out));
    await log.close();
    const path = segmentPaths(dir)[0]!;
    const bytes = readFileSync(path);
    const offsets: number[] = [];
    for (let at = HEADER_BYTES; at < bytes.length; at += 8 + bytes.readUInt32LE(at)) offsets.push(at);
    return { path, offsets };
  }

  it('keeps every whole record when the last one is cut at any byte, and truncates the torn tail', async () => {
    const dir = tempDir();
    const { path, offsets } = await writeSegment(dir, 3);
    const whole = readFileSync(path);
    const lastStart = offsets[2]!;
    for (let cut = lastStart; cut < whole.length; cut++) {
      writeFileSync(path, whole.subarray(0, cut));
      const damage: SegmentDamage[] = [];
      expect(await recordsIn(path, damage)).toEqual([uuid(1000), uuid(1001)]);
      if (cut === lastStart) expect(damage).toEqual([]);
      else expect(damage).toEqual([{ kind: 'torn', offset: lastStart, bytes: cut - lastStart, truncated: true }]);
      expect(statSync(path).size).toBe(lastStart);
    }
  });

  it('skips a middle record with a flipped bit, at every bit of it, and keeps the ones after it', async () => {
    const dir = tempDir();
    const { path, offsets } = await writeSegment(dir, 3);
    const whole = readFileSync(path);
    for (let at = offsets[1]!; at < offsets[2]!; at++) {
      for (const bit of [0, 3, 7]) {
        const damaged = Buffer.from(whole);
        damaged[at] = damaged[at]! ^ (1 << bit);
        writeFileSync(path, damaged);
        const damage: SegmentDamage[] = [];
        expect(await recordsIn(path, damage)).toEqual([uuid(1000), uuid(1002)]);
        expect(damage).toHaveLength(1);
        expect(damage[0]).toMatchObject({ kind: 'corrupt', offset: offsets[1], bytes: offsets[2]! - offsets[1]! });
      }
    }
  });

  it('skips files that are empty, too short, not segments or of a future version, saying why', async () => {
    const dir = tempDir();
    const { path } = await writeSegment(dir, 1);
    const whole = readFileSync(path);
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.alloc(0), /empty/],
      [whole.subarray(0, 5), /shorter than a segment header/],
      [Buffer.from('hello world, not a segment'), /bad magic/],
      [Buffer.concat([whole.subarray(0, 6), Buffer.from([2, 0]), whole.subarray(8)]), /newer than this build/],
    ];
    for (const [bytes, problem] of cases) {
      writeFileSync(path, bytes);
      const damage: SegmentDamage[] = [];
      expect(await recordsIn(path, damage)).toEqual([]);
      expect(damage).toHaveLength(1);
      expect(damage[0]!.kind).toBe('skipped');
      expect((damage[0] as { problem: string }).problem).toMatch(problem);
    }
  });

  it('reads a segment larger than its read chunk, record by record', async () => {
    const dir = tempDir();
    const log = new SegmentLog({ dir, clock: new ManualClock(T0), windowMinutes: 30 });
    const spans = Array.from({ length: 4000 }, (_, i) => span({ traceId: uuid(i), spanId: uuid(100_000 + i), startTime: String(BigInt(T0) * 1_000_000n), tags: { big: `${i}`.padEnd(600, 'x') } }));
    // Twenty records of 100 spans (~60 KB each), then one of 2000 (~1.2 MB, more than a 1 MB read chunk).
    for (let i = 0; i < 20; i++) await log.append((out) => encodeSpanBatch(SpanBatch.fromSpans(spans.slice(i * 100, i * 100 + 100)), T0, out));
    await log.append((out) => encodeSpanBatch(SpanBatch.fromSpans(spans.slice(2000)), T0, out));
    await log.append((out) => encodeSpanBatch(SpanBatch.fromSpans(spans.slice(0, 1)), T0, out));
    await log.close();
    const path = segmentPaths(dir)[0]!;
    expect(statSync(path).size).toBeGreaterThan(2 * 1024 * 1024);
    truncateSync(path, statSync(path).size - 1);
    const damage: SegmentDamage[] = [];
    const ids = await recordsIn(path, damage);
    expect(ids).toEqual(spans.map((s) => s.spanId));
    expect(damage.map((d) => d.kind)).toEqual(['torn']);
  });
});

describe('the space written ahead', () => {
  it('is zeros that a reader takes as the end of the records, cut off by a clean close or by the next read', async () => {
    const dir = tempDir();
    const log = new SegmentLog({ dir, clock: new ManualClock(T0), windowMinutes: 30 });
    for (let i = 0; i < 3; i++) await log.append((out) => encodeSpanBatch(batchOf(i), T0, out));
    const path = segmentPaths(dir)[0]!;
    // Not closed (as after a crash): the file is its records and then zeros.
    expect(statSync(path).size).toBe(PREALLOCATE_BYTES);
    const damage: SegmentDamage[] = [];
    expect(await recordsIn(path, damage)).toEqual([0, 1, 2].map((i) => uuid(1000 + i)));
    expect(damage).toEqual([]);
    expect(statSync(path).size).toBeLessThan(1000);
  });

  it('after a torn record is part of the torn tail, and the records before it are kept', async () => {
    const dir = tempDir();
    const log = new SegmentLog({ dir, clock: new ManualClock(T0), windowMinutes: 30 });
    for (let i = 0; i < 3; i++) await log.append((out) => encodeSpanBatch(batchOf(i), T0, out));
    const path = segmentPaths(dir)[0]!;
    const bytes = readFileSync(path);
    let last = HEADER_BYTES;
    for (let i = 0; i < 2; i++) last += 8 + bytes.readUInt32LE(last);
    // The last record half written over the zeros: its second half is zeros.
    const recordEnd = last + 8 + bytes.readUInt32LE(last);
    bytes.fill(0, last + Math.floor((recordEnd - last) / 2), recordEnd);
    writeFileSync(path, bytes);
    const damage: SegmentDamage[] = [];
    expect(await recordsIn(path, damage)).toEqual([0, 1].map((i) => uuid(1000 + i)));
    expect(damage).toEqual([{ kind: 'torn', offset: last, bytes: PREALLOCATE_BYTES - last, truncated: true }]);
    expect(statSync(path).size).toBe(last);
  });
});
