// One collector node of a cluster: its NATS connection, the spans stream, the publisher and writer
// the ingest routes use, the partition leases, and one consumer and one store per owned partition.
//
// One store per partition, built by `newStore` the way the single node builds its store: a
// partition this node loses is dropped whole (its store is let go, O(1)), a partition it gains is
// replayed into a fresh store, and a trace never spans two stores. The query side (fan-out over
// owners, cluster-queries.ts) reads ownedPartitions(), owners(), `applied` and publishedMinimums().

import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import type { EvictionParticipant } from '../store/eviction-ticker.js';
import type { StoreStats } from '../store/store-shapes.js';
import type { TraceStore } from '../store/trace-store.js';
import type { Clock } from '../time/clock.js';
import { ClusterWriter } from './cluster-writer.js';
import { AppliedSequenceBoard } from './fanout-read-barrier.js';
import { PartitionConsumer } from './partition-consumer.js';
import { PartitionLeases, type LossReason, type Owner } from './partition-leases.js';
import { ensureSpansStream } from './spans-stream.js';
import { SpanPublisher } from './span-publisher.js';

export const LEASE_BUCKET = 'traced-leases';

export interface ClusterNodeOptions {
  natsUrls: readonly string[];
  nodeId: string;
  advertiseUrl: string;
  partitions: number;
  replicas: number;
  leaseTtlMs: number;
  windowMinutes: number;
  clock: Clock;
  /** A new, empty store for a partition this node takes. */
  newStore: () => TraceStore;
  log: (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string) => void;
  /** How long a publish may wait for JetStream's acknowledgement before the batch is refused. */
  publishTimeoutMs?: number;
}

export interface OwnedPartition {
  store: TraceStore;
  /** Stream sequence of the last message applied to the store. */
  appliedSeq: number;
  /** Messages JetStream still holds for this partition's consumer. */
  lag: number;
  /** false while the partition is replayed after this node took it. */
  caughtUp: boolean;
}

/** What /metrics shows of the node, read at scrape time. */
export interface ClusterStats {
  publishes: number;
  publishedRecords: number;
  publishedBytes: number;
  /** Seconds from publish to acknowledgement, every message since the last read (the reader empties it). */
  publishLatencies: number[];
  leaseChanges: number;
  spansConsumed: number;
}

export class ClusterNode {
  readonly writer: ClusterWriter;
  /**
   * Read-your-writes: the sequence each owned partition has applied, from its consumer; the
   * internal query routes wait on it for the minimums a fanned-out question carries.
   */
  readonly applied = new AppliedSequenceBoard();
  private readonly consumers = new Map<number, PartitionConsumer>();
  private readonly stats = { publishes: 0, publishedRecords: 0, publishedBytes: 0, spansConsumed: 0 };
  private latencies: number[] = [];
  private closed = false;
  private connected = true;

  private constructor(
    private readonly options: ClusterNodeOptions,
    readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    readonly publisher: SpanPublisher,
    private readonly leases: PartitionLeases,
  ) {
    this.writer = new ClusterWriter(publisher, options.partitions, options.clock, options.windowMinutes);
    void this.watchConnection();
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.options.log('warn', { server: status.data }, 'disconnected from NATS: ingest answers 503 until it is back');
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.options.log('info', { server: status.data }, 'reconnected to NATS');
      }
    }
  }

  /** Connects, checks or creates the stream and the lease bucket, and starts taking leases. */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const nc = await connect({
      servers: [...options.natsUrls],
      name: `traced ${options.nodeId}`,
      // NATS going away is an outage to ride out (ingest answers 503 meanwhile), not a reason to stop.
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5000,
      // Without it every publish builds an Error up front for the stack of a timeout that almost
      // never comes (4% of a node's CPU in a profile of 12-span ingest); our own errors name the
      // partition and operation anyway.
      noAsyncTraces: true,
    });
    try {
      const jsm = await nc.jetstreamManager();
      await ensureSpansStream(jsm, { partitions: options.partitions, replicas: options.replicas, windowMinutes: options.windowMinutes });
      const js = nc.jetstream();
      const kv = await js.views.kv(LEASE_BUCKET, { ttl: options.leaseTtlMs, history: 1, replicas: options.replicas });
      // The bucket's TTL rules (a node configured otherwise joins the first node's bucket).
      const ttlMs = (await kv.status()).ttl;
      let node: ClusterNode | undefined;
      const publisher = new SpanPublisher(js, {
        partitions: options.partitions,
        timeoutMs: options.publishTimeoutMs,
        onPublished: (latencyMs, records, bytes) => node?.notePublished(latencyMs, records, bytes),
      });
      const leases = new PartitionLeases({
        kv,
        nodeId: options.nodeId,
        url: options.advertiseUrl,
        partitions: options.partitions,
        ttlMs,
        onGained: (partition) => node?.gained(partition),
        onLost: (partition, reason) => node?.lost(partition, reason),
        onError: (error) => options.log('warn', { err: error }, 'lease round failed'),
      });
      node = new ClusterNode(options, nc, jsm, publisher, leases);
      if (ttlMs !== options.leaseTtlMs) options.log('warn', { bucketTtlMs: ttlMs, leaseTtlMs: options.leaseTtlMs }, 'the lease bucket was made with another TTL; using the bucket\'s');
      leases.start();
      return node;
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** The partitions this node owns now (leases still valid), with their stores. */
  ownedPartitions(): Map<number, OwnedPartition> {
    const owned = new Map<number, OwnedPartition>();
    for (const partition of this.leases.owned()) {
      const consumer = this.consumers.get(partition);
      if (consumer === undefined) continue;
      owned.set(partition, { store: consumer.store, appliedSeq: consumer.appliedSeq, lag: consumer.lag, caughtUp: consumer.caughtUp });
    }
    return owned;
  }

  /**
   * Per partition, the stream sequence of the last message this node published and JetStream
   * acknowledged. Read-your-writes: every batch this node answered 202 is at or below it, so an
   * owner whose appliedSeq has reached it holds them all.
   */
  publishedSeqs(): number[] {
    return Array.from(this.publisher.publishedSeq);
  }

  /** publishedSeqs() as the minimums of a fanned-out query: the partitions published to. */
  publishedMinimums(): Map<number, number> {
    const minimums = new Map<number, number>();
    const seqs = this.publisher.publishedSeq;
    for (let p = 0; p < seqs.length; p++) if (seqs[p]! > 0) minimums.set(p, seqs[p]!);
    return minimums;
  }

  /** Every partition's owner as this node last read the leases; undefined: no live owner. */
  owners(): Map<number, Owner | undefined> {
    return this.leases.owners();
  }

  peers(): Owner[] {
    return this.leases.peers();
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  get advertiseUrl(): string {
    return this.options.advertiseUrl;
  }

  get partitions(): number {
    return this.options.partitions;
  }

  /** false from a disconnect from NATS until the client has reconnected. */
  get natsConnected(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  /** /metrics' reading; empties the latencies collected since the last. */
  readStats(): ClusterStats {
    const latencies = this.latencies;
    this.latencies = [];
    return { ...this.stats, publishLatencies: latencies, leaseChanges: this.leases.changes };
  }

  /** What this node's partition stores hold together (the memory budget is held against it). */
  async storeStats(): Promise<StoreStats> {
    const total: StoreStats = { spans: 0, traces: 0, buckets: 0, bytes: 0 };
    for (const consumer of this.consumers.values()) {
      const stats = await consumer.store.stats();
      total.spans += stats.spans;
      total.traces += stats.traces;
      total.buckets += stats.buckets;
      total.bytes! += stats.bytes ?? 0;
    }
    return total;
  }

  /** Eviction of every owned partition's store, for the app's eviction ticker. */
  eviction(onEvicted: (spans: number) => void): EvictionParticipant {
    return {
      evict: async () => {
        let evicted = 0;
        let pending = false;
        for (const consumer of this.consumers.values()) {
          const result = await consumer.store.evict();
          evicted += result.evictedSpans;
          pending ||= result.pending;
        }
        return { evicted, pending };
      },
      onEvicted,
    };
  }

  /**
   * Leaves the cluster. `release` (a graceful stop) gives the leases back so the other nodes
   * take over at once; without it (as after a crash) they wait for the leases to expire.
   */
  async close(release = true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.leases.stop(release);
    await Promise.all([...this.consumers.values()].map((consumer) => consumer.stop()));
    for (const partition of this.consumers.keys()) this.applied.disown(partition);
    this.consumers.clear();
    // drain() would wait for publishes the server may never answer; close() rejects them.
    await this.nc.close();
  }

  private notePublished(latencyMs: number, records: number, bytes: number): void {
    this.stats.publishes++;
    this.stats.publishedRecords += records;
    this.stats.publishedBytes += bytes;
    // Bounded between scrapes: a sample is as good as every value for a histogram here.
    if (this.latencies.length < 10_000) this.latencies.push(latencyMs / 1000);
  }

  private gained(partition: number): void {
    if (this.closed) return;
    const consumer = new PartitionConsumer({
      js: this.nc.jetstream(),
      jsm: this.jsm,
      partition,
      store: this.options.newStore(),
      windowMinutes: this.options.windowMinutes,
      nowMs: this.options.clock.nowMs(),
      onProblem: (message, error) => this.options.log('error', { err: error, partition }, message),
      onApplied: (spans, sequence) => {
        this.stats.spansConsumed += spans;
        this.applied.applied(partition, sequence);
      },
    });
    // From 0: a question waiting for what this node published waits for the replay to reach it.
    this.applied.own(partition, 0);
    this.consumers.set(partition, consumer);
    this.options.log('info', { partition }, 'partition taken: replaying it from the stream');
    consumer.start().catch((error: unknown) => {
      this.options.log('error', { err: error, partition }, 'partition consumer failed to start');
      // Retried by giving the partition a fresh consumer, unless it was lost meanwhile.
      if (this.consumers.get(partition) === consumer && !this.closed) {
        this.consumers.delete(partition);
        setTimeout(() => {
          if (this.leases.isOwned(partition) && !this.consumers.has(partition)) this.gained(partition);
        }, 500).unref();
      }
    });
  }

  private lost(partition: number, reason: LossReason): void {
    const consumer = this.consumers.get(partition);
    this.consumers.delete(partition);
    this.applied.disown(partition);
    if (consumer !== undefined) void consumer.stop();
    if (reason !== 'closed') this.options.log(reason === 'released' ? 'info' : 'warn', { partition, reason }, 'partition given up: its store is dropped');
  }
}
