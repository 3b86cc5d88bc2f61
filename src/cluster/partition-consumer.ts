// Materialises one owned partition: an ordered JetStream consumer on the partition's subject,
// from now − window − skew (a span logged that long ago may still start inside the window), each
// record applied through the store's apply(batch), one message at a time. Memory stays bounded:
// at most `bufferedMessages` messages wait in the client, whatever the partition holds.
//
// appliedSeq is the stream sequence of the last message applied: a node that published a batch
// at sequence S knows the owner holds it once appliedSeq >= S (read-your-writes). `lag` is how
// many of the partition's messages JetStream still has for this consumer; `caughtUp` turns true
// the first time it reaches 0 (the end of the takeover replay) and stays true.

import { ConsumerEvents, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from 'nats';
import { RECORD_SPANS } from '../ingest-log/record-codec.js';
import type { TraceStore } from '../store/trace-store.js';
import { FUTURE_SKEW_MS, MS_PER_MINUTE } from '../store/window.js';
import { recordsOf } from './message-codec.js';
import { SPANS_STREAM, spansSubject } from './partitions.js';

/** How long opening a consumer again may take before another attempt. */
const OPEN_TIMEOUT_MS = 5000;

/** How often a consumer's progress is checked against the partition's last message. */
const PROGRESS_CHECK_MS = 2000;

export interface PartitionConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  partition: number;
  store: TraceStore;
  windowMinutes: number;
  nowMs: number;
  /** Messages the client holds ahead of the store at most. */
  bufferedMessages?: number;
  onProblem: (message: string, error: unknown) => void;
  /** Told each applied message's span count and stream sequence (read-your-writes waits on it). */
  onApplied?: (spans: number, sequence: number) => void;
}

export class PartitionConsumer {
  appliedSeq = 0;
  lag = 0;
  caughtUp = false;
  spansApplied = 0;
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  /** appliedSeq at the last progress check, and how many checks in a row found it behind and still. */
  private appliedAtCheck = 0;
  private stalledChecks = 0;

  constructor(private readonly options: PartitionConsumerOptions) {}

  get store(): TraceStore {
    return this.options.store;
  }

  async start(): Promise<void> {
    const { windowMinutes, nowMs } = this.options;
    await this.openWithin(OPEN_TIMEOUT_MS, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(nowMs - windowMinutes * MS_PER_MINUTE - FUTURE_SKEW_MS).toISOString() });
    this.running = this.supervise();
    this.progressTimer = setInterval(() => void this.checkProgress(), PROGRESS_CHECK_MS);
    this.progressTimer.unref();
  }

  /**
   * The last resort against a consumer that stalls with no error and no missed heartbeat (seen
   * with R=3 while a killed server's groups were re-elected, under a loaded machine): when the
   * partition's last message is past what was applied and nothing was applied for two checks in
   * a row, the consumer is ended and supervise() opens it again from the next sequence. Also the
   * end of a replay whose consumer could not say it was caught up.
   */
  private async checkProgress(): Promise<void> {
    const { jsm, partition } = this.options;
    let last: number;
    try {
      last = (await jsm.streams.getMessage(SPANS_STREAM, { last_by_subj: spansSubject(partition) })).seq;
    } catch (error) {
      if (/no message found/i.test(String(error))) this.caughtUp = true;
      return;
    }
    if (this.stopped) return;
    if (last <= this.appliedSeq) {
      this.caughtUp = true;
      this.stalledChecks = 0;
    } else if (this.appliedSeq === this.appliedAtCheck && this.messages !== undefined) {
      if (++this.stalledChecks >= 2) {
        this.options.onProblem(`partition ${partition}: consumer stalled at ${this.appliedSeq} behind ${last}; opening it again`, undefined);
        this.stalledChecks = 0;
        this.messages.stop();
      }
    } else this.stalledChecks = 0;
    this.appliedAtCheck = this.appliedSeq;
  }

  /** open(), given up after `ms` (seen hanging while a NATS cluster elected a new meta leader). */
  private async openWithin(ms: number, from: { deliver_policy: DeliverPolicy; opt_start_time?: string; opt_start_seq?: number }): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const opening = this.open(from);
    try {
      const messages = await Promise.race([opening, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no consumer within ${ms} ms`)), ms)))]);
      if (this.stopped) messages.stop();
      else {
        this.messages = messages;
        void this.watch(messages);
      }
    } catch (error) {
      // An attempt that completes late is stopped, so that no second consumer feeds the store.
      void opening.then(
        (late) => late.stop(),
        () => undefined,
      );
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async open(from: { deliver_policy: DeliverPolicy; opt_start_time?: string; opt_start_seq?: number }): Promise<ConsumerMessages> {
    const { js, partition } = this.options;
    // A single subject as a string: a list needs nats-server 2.10.
    const consumer = await js.consumers.get(SPANS_STREAM, { filterSubjects: spansSubject(partition), ...from });
    // Short pulls with heartbeats: when the server holding this (ephemeral, one-replica) consumer
    // dies, the client notices within seconds; the defaults (30 s pulls) left a partition still
    // for half a minute.
    const messages = await consumer.consume({ max_messages: this.options.bufferedMessages ?? 64, expires: 5000, idle_heartbeat: 1000 });
    // An empty partition delivers nothing to say so: ask. Nothing delivered and nothing pending
    // is caught up; once something was delivered, the run loop sees the last one's pending count.
    try {
      const info = await consumer.info(false);
      if (info.num_pending === 0 && info.delivered.consumer_seq === 0) this.caughtUp = true;
    } catch (error) {
      this.options.onProblem(`partition ${partition}: consumer info failed`, error);
    }
    return messages;
  }

  /**
   * Ends a consumer that the client keeps failing to recover (missed heartbeats after its server
   * went, a consumer gone): supervise() then opens a new one. Seen with R=3 and a server killed,
   * where the client's own recreation of an ordered consumer stalled with no error.
   */
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of await messages.status()) {
      const lost =
        (status.type === ConsumerEvents.HeartbeatsMissed && Number(status.data) >= 3) ||
        status.type === ConsumerEvents.ConsumerNotFound ||
        status.type === ConsumerEvents.ConsumerDeleted ||
        status.type === ConsumerEvents.StreamNotFound;
      if (lost && this.messages === messages) {
        this.options.onProblem(`partition ${this.options.partition}: consumer lost (${status.type}); opening it again`, undefined);
        messages.stop();
        return;
      }
    }
  }

  /**
   * Applies messages until stop(). A consumer that ends by itself (its server lost, a reset the
   * client gave up on) is opened again from the message after the last one applied.
   */
  private async supervise(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.messages !== undefined) await this.run(this.messages);
      } catch (error) {
        this.options.onProblem(`partition ${this.options.partition}: consumer failed`, error);
      }
      if (this.stopped) return;
      this.messages = undefined;
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (this.stopped) return;
      try {
        await this.openWithin(OPEN_TIMEOUT_MS, this.appliedSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.appliedSeq + 1 } : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(this.options.nowMs - this.options.windowMinutes * MS_PER_MINUTE - FUTURE_SKEW_MS).toISOString() });
      } catch (error) {
        this.options.onProblem(`partition ${this.options.partition}: consumer could not be opened again`, error);
      }
    }
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    const { partition, store } = this.options;
    for await (const message of messages) {
      if (this.stopped) break;
      // An ordered consumer opened again may deliver what was applied already.
      if (message.seq <= this.appliedSeq) continue;
      let spans = 0;
      try {
        for (const record of recordsOf(message.data)) {
          if (record.kind !== RECORD_SPANS) continue;
          spans += record.batch.length;
          await store.apply(record.batch);
          record.batch.release();
        }
      } catch (error) {
        // A message this build cannot read, or a store failure: skipped, not fatal.
        this.options.onProblem(`partition ${partition}: message ${message.seq} could not be applied`, error);
      }
      if (this.stopped) break;
      this.appliedSeq = message.seq;
      this.lag = message.info.pending;
      this.spansApplied += spans;
      if (this.lag === 0) this.caughtUp = true;
      this.options.onApplied?.(spans, message.seq);
    }
  }

  /** Stops consuming; the store is the caller's to drop. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.progressTimer);
    this.messages?.stop();
    await this.running?.catch(() => undefined);
  }
}
