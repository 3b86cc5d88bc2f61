// How a cluster node answers queries: every partition from its owner of the moment, merged exactly
// (store/merged-store.ts), read again at every question since leases move.
//
// - The node's own answer (its internal query routes, and its own share of a public query) is the
//   merge of the stores of the partitions it owns now. A partition still replaying after a
//   takeover answers what it holds and is named `partition N behind`, like an owner that has not
//   applied a query's minimums yet: the answer is not whole yet.
// - A public query asks that own answer and one PeerClient per other owner's ADVERTISE_URL (kept
//   per URL, so connections are reused), with this node's published sequences as minimums
//   (read-your-writes, fanout-read-barrier.ts). A partition with no live owner is a source that
//   always fails, named `partition N unowned`, so the answer is flagged partial (X-Traced-Partial)
//   and never waits for it.
// - GET /traces/{id} asks only the source holding hash(trace_id)'s partition.
//
// Each question takes one snapshot of ownedPartitions() and owners() (the leases are read by
// time, so two reads could disagree), used for the sources and for the router alike.

import type { DependencyReport, LatencyReport, ListQuery, RangeQuery, StoreStats, TraceDetail, TraceList } from '../store/store-shapes.js';
import { MergedStore, type NamedSource, type QuerySource } from '../store/merged-store.js';
import type { Clock } from '../time/clock.js';
import type { OwnedPartition } from './cluster-node.js';
import { BarrierSource, behindName, type AppliedSequenceBoard, type PublishedSequences } from './fanout-read-barrier.js';
import type { Owner } from './partition-leases.js';
import { partitionOfTraceWords } from './partitions.js';
import { PeerClient } from './peer-client.js';
import { writeUuidWords } from '../codec/uuid-words.js';

/** What the queries read of the cluster node (cluster-node.ts). */
export interface ClusterQueryView {
  readonly nodeId: string;
  readonly advertiseUrl: string;
  readonly partitions: number;
  readonly applied: AppliedSequenceBoard;
  ownedPartitions(): Map<number, OwnedPartition>;
  owners(): Map<number, Owner | undefined>;
  publishedMinimums(): Map<number, number>;
}

export interface ClusterQueriesOptions {
  clock: Clock;
  windowMinutes: number;
  /** A peer's deadline per question (PEER_TIMEOUT_MS). */
  peerTimeoutMs: number;
  /** How long an owner waits for a question's minimums. */
  readWaitMs: number;
  /** Told of every peer that failed (not of unowned partitions, which are no one's failure). */
  onSourceError?: (name: string, error: unknown) => void;
}

/** The failure of a partition no live node owns: the merge names it and goes on at once. */
export class UnownedPartitionError extends Error {}

export function unownedName(partition: number): string {
  return `partition ${partition} unowned`;
}

function unowned(partition: number): QuerySource {
  const fail = (): Promise<never> => Promise.reject(new UnownedPartitionError(`no live node owns partition ${partition}`));
  return { listTraces: fail, getTrace: fail, latency: fail, dependencies: fail, stats: fail };
}

/** An owned partition's store, named `behind` in the answers while its takeover replay runs. */
function replaying(partition: number, store: QuerySource): QuerySource {
  const flag = <T extends { unavailable?: string[] }>(answer: T): T => ({ ...answer, unavailable: [...(answer.unavailable ?? []), behindName(partition)] });
  return {
    listTraces: async (query: ListQuery): Promise<TraceList> => flag(await store.listTraces(query)),
    getTrace: (traceId: string): Promise<TraceDetail | undefined> | TraceDetail | undefined => store.getTrace(traceId),
    latency: async (range: RangeQuery): Promise<LatencyReport> => flag(await store.latency(range)),
    dependencies: async (range: RangeQuery): Promise<DependencyReport> => flag(await store.dependencies(range)),
    stats: (): StoreStats | Promise<StoreStats> => store.stats(),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The partition of a trace id as text; undefined when it is no UUID (every source is asked then). */
export function partitionOfTraceId(traceId: string, partitions: number): number | undefined {
  if (!UUID.test(traceId)) return undefined;
  const words = new Uint32Array(4);
  writeUuidWords(traceId, words, 0);
  return partitionOfTraceWords(words, 0, partitions);
}

interface Snapshot {
  sources: NamedSource[];
  /** Partition → index in `sources`. */
  indexOf: Int32Array;
}

/** The index of the source holding the trace's partition; undefined (ask all) when unknown. */
function indexOfTrace(snapshot: Snapshot | undefined, traceId: string, partitions: number): number | undefined {
  const partition = partitionOfTraceId(traceId, partitions);
  if (snapshot === undefined || partition === undefined) return undefined;
  const index = snapshot.indexOf[partition]!;
  return index < 0 ? undefined : index;
}

export class ClusterQueries {
  /** The node's own answer: its owned partitions, merged. Served by its internal query routes. */
  readonly own: MergedStore;
  /** The public query routes' store: every partition, from its owner. */
  readonly all: MergedStore;
  readonly published: PublishedSequences;
  private readonly peers = new Map<string, PeerClient>();
  private ownSnapshot: Snapshot | undefined;
  private allSnapshot: Snapshot | undefined;

  constructor(
    private readonly node: ClusterQueryView,
    private readonly options: ClusterQueriesOptions,
  ) {
    this.published = () => node.publishedMinimums();
    const merged = (read: () => Snapshot, last: () => Snapshot | undefined, onSourceError?: ClusterQueriesOptions['onSourceError']) =>
      new MergedStore({
        sources: () => read().sources,
        clock: options.clock,
        windowMinutes: options.windowMinutes,
        // Called right after `sources` in the same turn: the snapshot just taken.
        traceOwner: (traceId) => indexOfTrace(last(), traceId, node.partitions),
        onSourceError,
      });
    this.own = merged(
      () => (this.ownSnapshot = this.ownSources(node.ownedPartitions())),
      () => this.ownSnapshot,
    );
    this.all = merged(
      () => (this.allSnapshot = this.allSources()),
      () => this.allSnapshot,
      (name, error) => {
        if (!(error instanceof UnownedPartitionError)) options.onSourceError?.(name, error);
      },
    );
  }

  /** Partitions this node owns and is still replaying: its internal routes name them behind. */
  replaying(): number[] {
    const out: number[] = [];
    for (const [partition, owned] of this.node.ownedPartitions()) if (!owned.caughtUp) out.push(partition);
    return out.sort((a, b) => a - b);
  }

  /** Closes the peers' kept-alive connections. */
  close(): void {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }

  private ownSources(owned: Map<number, OwnedPartition>): Snapshot {
    const indexOf = new Int32Array(this.node.partitions).fill(-1);
    const sources: NamedSource[] = [];
    for (const partition of [...owned.keys()].sort((a, b) => a - b)) {
      const { store, caughtUp } = owned.get(partition)!;
      indexOf[partition] = sources.length;
      sources.push({ name: `partition ${partition}`, source: caughtUp ? store : replaying(partition, store), inProcess: true });
    }
    return { sources, indexOf };
  }

  private allSources(): Snapshot {
    const { node, options } = this;
    const owned = node.ownedPartitions();
    const owners = node.owners();
    const ownSnapshot = this.ownSources(owned);
    const ownMerge = new MergedStore({
      sources: ownSnapshot.sources,
      clock: options.clock,
      windowMinutes: options.windowMinutes,
      traceOwner: (traceId) => indexOfTrace(ownSnapshot, traceId, node.partitions),
    });
    // This node's share waits for what it published to its own partitions, as a peer would.
    const sources: NamedSource[] = [{ name: node.advertiseUrl, source: new BarrierSource(ownMerge, node.applied, this.published, options.readWaitMs), inProcess: true }];
    const indexOf = new Int32Array(node.partitions).fill(-1);
    const byOwner = new Map<string, number[]>();
    const ownerless: number[] = [];
    for (let partition = 0; partition < node.partitions; partition++) {
      if (owned.has(partition)) {
        indexOf[partition] = 0;
        continue;
      }
      const owner = owners.get(partition);
      // A partition this node holds by lease but whose consumer is not running yet is no one's.
      if (owner === undefined || owner.nodeId === node.nodeId) ownerless.push(partition);
      else byOwner.set(owner.url, [...(byOwner.get(owner.url) ?? []), partition]);
    }
    // Each owner is asked for the partitions this node takes it to own, and names the ones whose
    // lease has moved on since: a moved lease is flagged, never silently missed or counted twice.
    for (const [url, partitions] of byOwner) {
      for (const partition of partitions) indexOf[partition] = sources.length;
      sources.push({ name: url, source: this.peer(url).scoped(partitions) });
    }
    for (const partition of ownerless) {
      indexOf[partition] = sources.length;
      sources.push({ name: unownedName(partition), source: unowned(partition) });
    }
    return { sources, indexOf };
  }

  /** The node's own answer for some of its partitions (internal routes asked with `partitions`). */
  scoped(partitions: readonly number[]): { store: QuerySource; notOwned: number[] } {
    const owned = this.node.ownedPartitions();
    const mine = new Map<number, OwnedPartition>();
    const notOwned: number[] = [];
    for (const partition of partitions) {
      const held = owned.get(partition);
      if (held === undefined) notOwned.push(partition);
      else mine.set(partition, held);
    }
    const snapshot = this.ownSources(mine);
    const store = new MergedStore({
      sources: snapshot.sources,
      clock: this.options.clock,
      windowMinutes: this.options.windowMinutes,
      traceOwner: (traceId) => indexOfTrace(snapshot, traceId, this.node.partitions),
    });
    return { store, notOwned: notOwned.sort((a, b) => a - b) };
  }

  private peer(url: string): PeerClient {
    let peer = this.peers.get(url);
    if (peer === undefined) {
      peer = new PeerClient({ baseUrl: url, timeoutMs: this.options.peerTimeoutMs, published: this.published });
      this.peers.set(url, peer);
    }
    return peer;
  }
}
