// Logs in minute buckets, the span store's scheme for the same window (src/store/window.ts):
// a log is held while time >= now − W, accepted up to FUTURE_SKEW ahead, and its bucket (the
// Unix minute of its time) is dropped whole by the eviction timer once every time it can hold is
// older than the edge. Queries apply the exact edge, so a half-expired minute never leaks.
//
// Memory: one small object per log (time as two doubles, the strings as sent, attributes kept as
// their JSON text, service names interned), about 150 bytes plus the text. That is plain objects,
// not the span store's typed-array columns: logs are secondary, read per trace, and both MAX_LOGS
// and MAX_LOG_BYTES bound them (POST /logs answers 503 at either), so that logs alone can never
// fill the heap that spans need too.

import type { Clock } from '../time/clock.js';
import { nsFromParts, secondsOf, subsecondNanosOf } from '../time/nanos.js';
import { futureLimit, windowEdge, type Instant } from '../store/window.js';
import { LOG_LEVELS, type LogLevel } from '../../schemas/logs.js';
import type { IngestLog, LogIngestResult, LogStore, LogStoreStats, StoredLog } from './log-store.js';

export interface MinuteLogStoreOptions {
  clock: Clock;
  windowMinutes: number;
}

interface LogEntry {
  sec: number;
  nsec: number;
  spanId: string | undefined;
  service: string;
  level: number;
  message: string;
  /** JSON text of the attribute object, or undefined when there were none. */
  attributes: string | undefined;
}

interface LogBucket {
  minute: number;
  count: number;
  bytes: number;
  byTrace: Map<string, LogEntry[]>;
}

const MAX_INTERNED_SERVICES = 10_000;
/** Heap bytes of a log entry besides its text: the object, its list slot, the times. */
const ENTRY_BYTES = 150;

/**
 * Heap bytes a log holds, counted high: V8 keeps a string in 1 byte a character only when every
 * character is Latin-1, so each character counts 2.
 */
function entryBytes(entry: LogEntry, traceId: string): number {
  return ENTRY_BYTES + 2 * (traceId.length + entry.message.length + (entry.spanId?.length ?? 0) + (entry.attributes?.length ?? 0));
}

function before(sec: number, nsec: number, limit: Instant): boolean {
  return sec < limit.sec || (sec === limit.sec && nsec < limit.nsec);
}

export class MinuteLogStore implements LogStore {
  private readonly clock: Clock;
  private readonly windowMinutes: number;
  private readonly buckets = new Map<number, LogBucket>();
  private readonly services = new Map<string, string>();
  private held = 0;
  private heldBytes = 0;

  constructor(options: MinuteLogStoreOptions) {
    this.clock = options.clock;
    this.windowMinutes = options.windowMinutes;
  }

  ingest(logs: readonly IngestLog[]): LogIngestResult {
    const nowMs = this.clock.nowMs();
    const edge = windowEdge(nowMs, this.windowMinutes);
    const future = futureLimit(nowMs);
    let accepted = 0;
    let discardedStale = 0;
    let discardedFuture = 0;
    for (const log of logs) {
      if (log.time.charCodeAt(0) === 45 /* - */) {
        discardedStale++;
        continue;
      }
      const sec = secondsOf(log.time);
      const nsec = subsecondNanosOf(log.time);
      if (before(sec, nsec, edge)) {
        discardedStale++;
        continue;
      }
      if (sec > future.sec || (sec === future.sec && nsec > future.nsec)) {
        discardedFuture++;
        continue;
      }
      const minute = Math.floor(sec / 60);
      let bucket = this.buckets.get(minute);
      if (bucket === undefined) {
        bucket = { minute, count: 0, bytes: 0, byTrace: new Map() };
        this.buckets.set(minute, bucket);
      }
      let service = this.services.get(log.service);
      if (service === undefined) {
        // Interning saves a string per log; the table is only a cache, so a flood of distinct
        // names resets it rather than growing without bound.
        if (this.services.size >= MAX_INTERNED_SERVICES) this.services.clear();
        this.services.set(log.service, (service = log.service));
      }
      const entry: LogEntry = {
        sec,
        nsec,
        spanId: log.spanId,
        service,
        level: LOG_LEVELS.indexOf(log.level),
        message: log.message,
        attributes: log.attributes === undefined ? undefined : JSON.stringify(log.attributes),
      };
      const list = bucket.byTrace.get(log.traceId);
      if (list === undefined) bucket.byTrace.set(log.traceId, [entry]);
      else list.push(entry);
      const bytes = entryBytes(entry, log.traceId);
      bucket.count++;
      bucket.bytes += bytes;
      this.held++;
      this.heldBytes += bytes;
      accepted++;
    }
    return { accepted, discardedStale, discardedFuture };
  }

  logsForTrace(traceId: string): StoredLog[] {
    const nowMs = this.clock.nowMs();
    const edge = windowEdge(nowMs, this.windowMinutes);
    const entries: LogEntry[] = [];
    for (const bucket of this.buckets.values()) {
      const list = bucket.byTrace.get(traceId);
      if (list === undefined) continue;
      for (const entry of list) if (!before(entry.sec, entry.nsec, edge)) entries.push(entry);
    }
    // Stable: equal times keep arrival order (equal times share a bucket, and buckets keep it).
    entries.sort((a, b) => a.sec - b.sec || a.nsec - b.nsec);
    return entries.map((entry) => {
      const log: StoredLog = {
        time: nsFromParts(entry.sec, entry.nsec),
        trace_id: traceId,
        service: entry.service,
        level: LOG_LEVELS[entry.level] as LogLevel,
        message: entry.message,
      };
      if (entry.spanId !== undefined) log.span_id = entry.spanId;
      if (entry.attributes !== undefined) log.attributes = JSON.parse(entry.attributes) as Record<string, string>;
      return log;
    });
  }

  stats(): LogStoreStats {
    return { logs: this.held, bytes: this.heldBytes, buckets: this.buckets.size };
  }

  evict(): number {
    const edge = windowEdge(this.clock.nowMs(), this.windowMinutes);
    // A bucket holds times in [minute·60 s, (minute+1)·60 s); all are stale once its end <= edge.
    let evicted = 0;
    for (const [minute, bucket] of this.buckets) {
      if ((minute + 1) * 60 > edge.sec) continue;
      this.buckets.delete(minute);
      this.held -= bucket.count;
      this.heldBytes -= bucket.bytes;
      evicted += bucket.count;
    }
    return evicted;
  }
}
