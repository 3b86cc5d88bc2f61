// Replay at start-up: the segments still in the window, oldest first, record by record, through
// the same apply(batch) (and LogStore.ingest) that live ingest uses, so the rebuilt store answers
// as the one that took the traffic; spans that aged out while the process was down fall outside
// the window there and are dropped as at ingest. A worker thread reads, checks and decodes the
// segments on the second core (replay-worker.ts; a small log is read on this thread,
// replay-source.ts) while this thread applies. Memory stays bounded: at most a few chunks of
// decoded records wait, and each record's batch is applied and given back before the next.
//
// Damage is logged with its segment and offset, counted, and passed over; replay itself never
// throws for what it finds on disk.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogStore } from '../logs/log-store.js';
import type { TraceWriter } from '../store/writer.js';
import type { Clock } from '../time/clock.js';
import { LOCK_FILE } from './data-dir.js';
import type { TailDecisions } from '../sampling/sampling-options.js';
import { RECORD_LOGS, RECORD_SPANS } from './record-codec.js';
import { ChunkReader } from './replay-chunk.js';
import type { ReplayClock } from './replay-clock.js';
import { startReplaySource } from './replay-source.js';
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
  /** Tail-sampling decisions replayed (traces). */
  decisions: number;
  /** Records skipped for a checksum mismatch, an absurd length or fields that do not decode. */
  corruptRecords: number;
  /** Segments whose partial last record was cut off. */
  tornTails: number;
  /** Records the store threw on. */
  failedRecords: number;
  /** Segment files not replayed at all (unreadable, empty, future format). */
  skippedSegments: number;
  /** Segments not replayed because the window had passed them (deleted by the log's eviction). */
  expiredSegments: number;
}

export function emptyProgress(): ReplayProgress {
  return { segmentsTotal: 0, segmentsDone: 0, bytesTotal: 0, bytesDone: 0, records: 0, spans: 0, logs: 0, decisions: 0, corruptRecords: 0, failedRecords: 0, tornTails: 0, skippedSegments: 0, expiredSegments: 0 };
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
  /**
   * Told of every segment in DATA_DIR before replay starts, oldest first, those the window has
   * passed included: the ingest log takes them on (SegmentLog.adopt), and its eviction, the one
   * place segments are deleted, deletes the passed ones whole.
   */
  onSegmentsFound?: (segments: readonly SegmentName[]) => void | Promise<void>;
  /**
   * The stores' clock, set to each record's append time (replay-clock.ts); without it records
   * are applied at the current time.
   */
  replayClock?: ReplayClock;
  /** Logs at least this big are read and decoded in a worker thread (replay-source.ts). */
  workerFromBytes?: number;
  /**
   * Takes the tail-sampling decisions logged live, each at its logged time (the sampler applies
   * them as taken); without it they are passed over.
   */
  applyDecisions?: (decisions: TailDecisions) => Promise<void>;
  /** Evicts what the window has passed; called as the replay clock enters a new minute, and at the end. */
  evict?: () => Promise<void>;
}

/** Replays DATA_DIR into the stores. */
export async function replayLog(options: ReplayOptions): Promise<void> {
  const { dir, progress, log } = options;
  const found: SegmentName[] = [];
  const segments: Array<SegmentName & { bytes: number }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === LOCK_FILE) continue;
    const name = entry.isFile() ? parseSegmentFile(entry.name) : undefined;
    if (name === undefined) {
      log('warn', { file: entry.name }, 'DATA_DIR holds a file that is not a segment; left alone');
      continue;
    }
    found.push(name);
    // Nothing in it is in the window any more: not read, and deleted by the log's eviction.
    if (segmentExpired(name.minute, options.clock.nowMs(), options.windowMinutes)) {
      progress.expiredSegments++;
      continue;
    }
    const bytes = await stat(join(dir, name.file)).then((s) => s.size, () => 0);
    segments.push({ ...name, bytes });
    progress.bytesTotal += bytes;
  }
  segments.sort(compareSegments);
  await options.onSegmentsFound?.(found.sort(compareSegments));
  progress.segmentsTotal = segments.length;

  const logEveryMs = options.logEveryMs ?? 2000;
  const replayClock = options.replayClock;
  let replayMinute = -Infinity;
  let lastLogAt = Date.now();
  let doneBefore = 0;
  const reader = new ChunkReader();
  const source = startReplaySource(
    segments.map((segment) => join(dir, segment.file)),
    progress.bytesTotal,
    options.workerFromBytes,
  );
  log('info', { segments: segments.length, bytes: progress.bytesTotal, expiredSegments: progress.expiredSegments, readOn: source.readOn }, 'replaying the ingest log');
  try {
    for await (const message of source.messages) {
      if (message.type === 'done') break;
      if (message.type === 'failed') throw Object.assign(new Error(`reading the ingest log for replay: ${message.message}`), { stack: message.stack });
      const file = segments[message.segment]!.file;
      if (message.type === 'damage') {
        const damage = message.damage;
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
        continue;
      }
      if (message.type === 'undecodable') {
        progress.corruptRecords++;
        log('warn', { segment: file, offset: message.offset, problem: message.problem }, 'record does not decode; skipped');
        continue;
      }
      const chunk = message.chunk;
      reader.load(chunk);
      for (let r = 0; r < chunk.records; r++) {
        progress.records++;
        if (replayClock !== undefined) {
          replayClock.replayAt(chunk.appendMs[r]!);
          // Live, the eviction timer dropped each minute as the window passed it; so does replay,
          // which keeps the rebuilt store no bigger than the live one was.
          const minute = minuteOf(replayClock.nowMs());
          if (minute > replayMinute) {
            replayMinute = minute;
            await options.evict?.();
          }
        }
        try {
          if (chunk.kinds[r] === RECORD_SPANS) {
            const batch = reader.batch(r);
            progress.spans += batch.length;
            try {
              // A store that applies at once (the bucket store) is not awaited: no promise job per record.
              const applied = options.writer.apply(batch);
              if (applied instanceof Promise) await applied;
            } finally {
              batch.release();
            }
          } else if (chunk.kinds[r] === RECORD_LOGS) {
            const logs = reader.logs();
            progress.logs += logs.length;
            await options.logStore.ingest(logs);
          } else {
            const decisions = reader.decisions();
            progress.decisions += decisions.keep.length + decisions.drop.length;
            await options.applyDecisions?.(decisions);
          }
        } catch (error) {
          // The store refused a record it once took (a bug, not damage): the rest still replays.
          progress.failedRecords++;
          log('warn', { segment: file, offset: chunk.offsets[r], err: error }, 'a replayed record could not be applied; skipped');
        }
        progress.bytesDone = doneBefore + chunk.offsets[r]!;
        if (Date.now() - lastLogAt >= logEveryMs) {
          lastLogAt = Date.now();
          log('info', { ...progress }, 'replay progress');
        }
      }
      source.credit(chunk);
      if (message.last) {
        doneBefore += segments[message.segment]!.bytes;
        progress.bytesDone = doneBefore;
        progress.segmentsDone++;
      }
    }
  } finally {
    await source.stop();
  }
  replayClock?.release();
  await options.evict?.();
  log('info', { ...progress }, 'replay done');
}
