// Replay at start-up: the segments still in the window, oldest first, record by record, through
// the same apply(batch) (and LogStore.ingest) that live ingest uses, so the rebuilt store answers
// as the one that took the traffic; spans that aged out while the process was down fall outside
// the window there and are dropped as at ingest. Memory stays bounded: one record's batch is
// decoded, applied and given back before the next is read (segment-reader.ts).
//
// Damage is logged with its segment and offset, counted, and passed over; replay itself never
// throws for what it finds on disk.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogStore } from '../logs/log-store.js';
import type { TraceWriter } from '../store/writer.js';
import type { Clock } from '../time/clock.js';
import { RecordFormatError } from './byte-buffers.js';
import { LOCK_FILE } from './data-dir.js';
import { decodeRecord, RECORD_SPANS } from './record-codec.js';
import { readSegment } from './segment-reader.js';
import type { ReplayClock } from './replay-clock.js';
import { compareSegments, minuteOf, parseSegmentFile, segmentExpired, type SegmentName } from './segment-names.js';

/** Where replay stands; GET /health shows it while replay runs. */
export interface ReplayProgress {
  segmentsTotal: number;
  segmentsDone: number;
  bytesTotal: number;
  bytesDone: number;
  records: number;
  spans: number;
  logs: number;
  /** Records skipped for a checksum mismatch, an absurd length or fields that do not decode. */
  corruptRecords: number;
  /** Segments whose partial last record was cut off. */
  tornTails: number;
  /** Records the store threw on. */
  failedRecords: number;
  /** Segment files not replayed at all (unreadable, empty, future format). */
  skippedSegments: number;
  /** Segments deleted before replay because the window had passed them. */
  expiredSegments: number;
}

export function emptyProgress(): ReplayProgress {
  return { segmentsTotal: 0, segmentsDone: 0, bytesTotal: 0, bytesDone: 0, records: 0, spans: 0, logs: 0, corruptRecords: 0, failedRecords: 0, tornTails: 0, skippedSegments: 0, expiredSegments: 0 };
}

export type ReplayLogger = (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void;

export interface ReplayOptions {
  dir: string;
  clock: Clock;
  windowMinutes: number;
  writer: TraceWriter;
  logStore: LogStore;
  /** Filled in as replay goes. */
  progress: ReplayProgress;
  log: ReplayLogger;
  /** How often progress is logged. */
  logEveryMs?: number;
  /** Deletes a file (the expired segments); fs.promises.unlink by default. */
  unlink: (path: string) => Promise<void>;
  /**
   * The stores' clock, set to each record's append time (replay-clock.ts); without it records
   * are applied at the current time.
   */
  replayClock?: ReplayClock;
  /** Evicts what the window has passed; called as the replay clock enters a new minute, and at the end. */
  evict?: () => Promise<void>;
}

/** Replays DATA_DIR into the stores; returns the segments left on disk, oldest first. */
export async function replayLog(options: ReplayOptions): Promise<SegmentName[]> {
  const { dir, progress, log } = options;
  const segments: Array<SegmentName & { bytes: number }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === LOCK_FILE) continue;
    const name = entry.isFile() ? parseSegmentFile(entry.name) : undefined;
    if (name === undefined) {
      log('warn', { file: entry.name }, 'DATA_DIR holds a file that is not a segment; left alone');
      continue;
    }
    if (segmentExpired(name.minute, options.clock.nowMs(), options.windowMinutes)) {
      await options.unlink(join(dir, name.file)).catch(() => undefined);
      progress.expiredSegments++;
      continue;
    }
    const bytes = await stat(join(dir, name.file)).then((s) => s.size, () => 0);
    segments.push({ ...name, bytes });
    progress.bytesTotal += bytes;
  }
  segments.sort(compareSegments);
  progress.segmentsTotal = segments.length;
  log('info', { segments: segments.length, bytes: progress.bytesTotal, expiredSegments: progress.expiredSegments }, 'replaying the ingest log');

  const logEveryMs = options.logEveryMs ?? 2000;
  const replayClock = options.replayClock;
  let replayMinute = -Infinity;
  let lastLogAt = Date.now();
  for (const segment of segments) {
    const file = segment.file;
    let doneBefore = progress.bytesDone;
    const records = readSegment(join(dir, file), {
      onDamage: (damage) => {
        if (damage.kind === 'skipped') {
          progress.skippedSegments++;
          log('warn', { segment: file, problem: damage.problem }, 'segment skipped');
        } else if (damage.kind === 'corrupt') {
          progress.corruptRecords++;
          log('warn', { segment: file, offset: damage.offset, bytes: damage.bytes, problem: damage.problem }, 'corrupt record skipped');
        } else {
          progress.tornTails++;
          log('warn', { segment: file, offset: damage.offset, bytes: damage.bytes, truncated: damage.truncated }, 'torn tail (a partial last record) cut off');
        }
      },
    });
    for await (const record of records) {
      let decoded;
      try {
        decoded = decodeRecord(record.buffer, record.start, record.end);
      } catch (error) {
        if (!(error instanceof RecordFormatError) && !(error instanceof SyntaxError)) throw error;
        progress.corruptRecords++;
        log('warn', { segment: file, offset: record.offset, problem: error.message }, 'record does not decode; skipped');
        continue;
      }
      progress.records++;
      if (replayClock !== undefined) {
        replayClock.replayAt(decoded.appendMs);
        // Live, the eviction timer dropped each minute as the window passed it; so does replay,
        // which keeps the rebuilt store no bigger than the live one was.
        const minute = minuteOf(replayClock.nowMs());
        if (minute > replayMinute) {
          replayMinute = minute;
          await options.evict?.();
        }
      }
      try {
        if (decoded.kind === RECORD_SPANS) {
          progress.spans += decoded.batch.length;
          await options.writer.apply(decoded.batch);
          decoded.batch.release();
        } else {
          progress.logs += decoded.logs.length;
          await options.logStore.ingest(decoded.logs);
        }
      } catch (error) {
        // The store refused a record it once took (a bug, not damage): the rest still replays.
        progress.failedRecords++;
        log('warn', { segment: file, offset: record.offset, err: error }, 'a replayed record could not be applied; skipped');
      }
      progress.bytesDone = doneBefore + record.end - record.start;
      if (Date.now() - lastLogAt >= logEveryMs) {
        lastLogAt = Date.now();
        log('info', { ...progress }, 'replay progress');
      }
    }
    doneBefore += segment.bytes;
    progress.bytesDone = doneBefore;
    progress.segmentsDone++;
  }
  replayClock?.release();
  await options.evict?.();
  log('info', { ...progress }, 'replay done');
  return segments.map(({ minute, sequence, file }) => ({ minute, sequence, file }));
}
