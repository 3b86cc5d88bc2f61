// Publishes records to their partition's subject, sharing messages between requests, and settles
// each request's promise only once JetStream has acknowledged the message that holds its record.
//
// Per-request publishing caps ingest: raw JetStream here takes ~16k messages/s (R=1), so 12-span
// batches would stop near 200k spans/s of broker round trips at best, and below it with several
// partitions per batch. Here a partition's records wait while `maxInflight` of its messages are
// unacknowledged (or until the end of the event loop turn they arrived in), then go in one
// message: under load each message carries many requests, and an idle collector publishes a lone
// batch at once. A message is cut at `maxMessageBytes` whatever is in flight (NATS refuses
// payloads over its max_payload, 1 MiB by default).
//
// A failed or timed-out publish rejects every record of its message with a PublishError, a
// StorageError: the routes answer 503 + Retry-After as for a full disk. Some of those records may
// still be stored (a timeout does not say the server never got it), which a retry makes harmless:
// the stores deduplicate span ids.

import type { JetStreamClient } from 'nats';
import { ByteWriter } from '../ingest-log/byte-buffers.js';
import { StorageError } from '../ingest-log/segment-log.js';
import { appendRecord } from './message-codec.js';
import { spansSubject } from './partitions.js';

export class PublishError extends StorageError {}

interface Waiter {
  resolve: (seq: number) => void;
  reject: (error: Error) => void;
}

interface Pending {
  out: ByteWriter;
  waiters: Waiter[];
}

export interface SpanPublisherOptions {
  partitions: number;
  /** Unacknowledged messages per partition before records wait for one to return. */
  maxInflight?: number;
  maxMessageBytes?: number;
  /** How long a publish may wait for its acknowledgement. */
  timeoutMs?: number;
  /** Told every acknowledged message: how long it took and how many records it held. */
  onPublished?: (latencyMs: number, records: number, bytes: number) => void;
}

export class SpanPublisher {
  private readonly pending: Array<Pending | undefined>;
  private readonly inflight: Uint16Array;
  /** The stream sequence of the last acknowledged message, per partition (for read-your-writes). */
  readonly publishedSeq: Float64Array;
  private readonly maxInflight: number;
  private readonly maxMessageBytes: number;
  private readonly timeoutMs: number;
  private scheduled = false;
  private readonly dirty = new Set<number>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: SpanPublisherOptions,
  ) {
    this.pending = new Array(options.partitions).fill(undefined);
    this.inflight = new Uint16Array(options.partitions);
    this.publishedSeq = new Float64Array(options.partitions);
    this.maxInflight = options.maxInflight ?? 2;
    this.maxMessageBytes = options.maxMessageBytes ?? 256 * 1024;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * Writes one record for `partition` (synchronously: the caller may reuse what `encode` reads
   * once this returns) and resolves with the stream sequence of its message once acknowledged.
   */
  publish(partition: number, encode: (out: ByteWriter) => void): Promise<number> {
    let pending = this.pending[partition];
    if (pending === undefined) this.pending[partition] = pending = { out: new ByteWriter(16 * 1024), waiters: [] };
    appendRecord(pending.out, encode);
    const acked = new Promise<number>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    if (pending.out.length >= this.maxMessageBytes) this.send(partition);
    else {
      this.dirty.add(partition);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushDirty);
      }
    }
    return acked;
  }

  private readonly flushDirty = (): void => {
    this.scheduled = false;
    for (const partition of this.dirty) if (this.inflight[partition]! < this.maxInflight) this.send(partition);
    this.dirty.clear();
    // Partitions still waiting are sent when one of their messages is acknowledged.
  };

  private send(partition: number): void {
    const pending = this.pending[partition];
    if (pending === undefined) return;
    this.pending[partition] = undefined;
    this.inflight[partition]!++;
    const started = performance.now();
    const bytes = pending.out.length;
    this.js.publish(spansSubject(partition), pending.out.buffer.subarray(0, bytes), { timeout: this.timeoutMs }).then(
      (ack) => {
        if (ack.seq > this.publishedSeq[partition]!) this.publishedSeq[partition] = ack.seq;
        this.options.onPublished?.(performance.now() - started, pending.waiters.length, bytes);
        for (const waiter of pending.waiters) waiter.resolve(ack.seq);
        this.settled(partition);
      },
      (error: unknown) => {
        const failure = new PublishError(`JetStream did not acknowledge the batch (${error instanceof Error ? error.message : String(error)})`, undefined);
        for (const waiter of pending.waiters) waiter.reject(failure);
        this.settled(partition);
      },
    );
  }

  private settled(partition: number): void {
    this.inflight[partition]!--;
    if (this.pending[partition] !== undefined && !this.dirty.has(partition)) this.send(partition);
  }
}
