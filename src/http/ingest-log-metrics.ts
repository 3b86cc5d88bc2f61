// /metrics for the ingest log: what it wrote (a group is one durable write), what failed, and what
// replay found on disk: records skipped as corrupt, torn tails cut off, segments skipped whole.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReplayProgress } from '../ingest-log/replay.js';
import type { SegmentLog } from '../ingest-log/segment-log.js';

export class IngestLogMetrics {
  private readonly corruptRecords: Counter;
  private readonly tornTails: Counter;
  private readonly skippedSegments: Counter;
  private readonly replayedSpans: Counter;

  constructor(registry: Registry, log: SegmentLog) {
    const registers = [registry];
    const stat = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    stat('traced_ingest_log_syncs_total', 'Groups written to the ingest log and made durable with one sync each (an O_DSYNC write), since start.', () => log.stats.groups);
    stat('traced_ingest_log_records_total', 'Batches (records) made durable in the ingest log since start.', () => log.stats.records);
    stat('traced_ingest_log_bytes_total', 'Bytes of records written to the ingest log since start.', () => log.stats.bytes);
    stat('traced_ingest_log_failed_syncs_total', 'Groups whose durable write failed (their requests were answered 503, reason storage), since start.', () => log.stats.failedGroups);
    stat('traced_ingest_log_segments', 'Segment files of the ingest log on disk.', () => log.segmentNames().length);
    this.corruptRecords = new Counter({ name: 'traced_ingest_log_corrupt_records_total', help: 'Records replay skipped: checksum mismatch, absurd length, or fields that do not decode.', registers });
    this.tornTails = new Counter({ name: 'traced_ingest_log_torn_tails_total', help: 'Segments whose partial last record (a crash mid-append) replay cut off.', registers });
    this.skippedSegments = new Counter({ name: 'traced_ingest_log_skipped_segments_total', help: 'Segment files replay skipped whole: unreadable, empty, or of a future format.', registers });
    this.replayedSpans = new Counter({ name: 'traced_ingest_log_replayed_spans_total', help: 'Spans read back from the ingest log at start-up.', registers });
  }

  /** Counts what a finished replay found. */
  replayed(progress: ReplayProgress): void {
    this.corruptRecords.inc(progress.corruptRecords);
    this.tornTails.inc(progress.tornTails);
    this.skippedSegments.inc(progress.skippedSegments);
    this.replayedSpans.inc(progress.spans);
  }
}
