// What the query routes read, chosen once at start-up (app.ts):
// - a single node: its store, directly (no fan-out cost);
// - with static peers (AppOptions.peers, tests): its store and the peers, merged;
// - in cluster mode: every partition from its owner of the moment (cluster/cluster-queries.ts),
//   and the internal routes serve the partitions this node owns.

import type { FastifyBaseLogger } from 'fastify';
import type { ClusterNode } from './cluster/cluster-node.js';
import { ClusterQueries } from './cluster/cluster-queries.js';
import { BarrierSource, type AppliedSequenceBoard, type PublishedSequences } from './cluster/fanout-read-barrier.js';
import { PeerClient } from './cluster/peer-client.js';
import type { Config } from './config.js';
import { fanoutErrorCounter } from './http/fanout-metrics.js';
import type { CollectorMetrics } from './http/collector-metrics.js';
import { MergedStore, type QuerySource } from './store/merged-store.js';
import type { TraceReader } from './store/reader.js';
import type { TraceStats } from './store/stats.js';
import type { Clock } from './time/clock.js';

export interface QuerySourcesOptions {
  config: Config;
  clock: Clock;
  /** This process's store (empty in cluster mode, whose data is in the partition stores). */
  store: QuerySource;
  metrics: CollectorMetrics;
  log: FastifyBaseLogger;
  peers?: readonly string[];
  readYourWrites?: { applied: AppliedSequenceBoard; published: PublishedSequences };
  cluster?: ClusterNode;
}

export interface QuerySources {
  /** The public query routes' reader. */
  queries: TraceReader & TraceStats;
  /** What the internal query routes serve: this node's own stores, never a merged view of others. */
  own: QuerySource;
  /** Read-your-writes board the internal routes wait on, if any. */
  applied?: AppliedSequenceBoard;
  /** How long an owner waits for minimums. */
  readWaitMs: number;
  /** Owned partitions the internal routes name behind (a takeover replay still running). */
  replaying?: () => number[];
  /** Cluster mode: the own answer for some partitions, for internal questions scoped to them. */
  scoped?: (partitions: readonly number[]) => { store: QuerySource; notOwned: number[] };
  close(): void;
}

export function querySources(options: QuerySourcesOptions): QuerySources {
  const { config, clock, store, metrics, log, cluster } = options;
  // An owner waits for minimums at most half a peer's deadline, so that the asking node still has
  // its answer in time.
  const readWaitMs = Math.min(1000, Math.floor(config.peerTimeoutMs / 2));
  const ryw = options.readYourWrites;
  // Without peers the query routes read the store directly: a single node pays nothing for fan-out.
  if (cluster === undefined && (options.peers === undefined || options.peers.length === 0)) {
    return { queries: store, own: store, applied: ryw?.applied, readWaitMs, close: () => undefined };
  }
  const fanoutErrors = fanoutErrorCounter(metrics.registry);
  const onSourceError = (name: string, error: unknown): void => {
    fanoutErrors.inc({ source: name });
    log.warn({ source: name, err: error }, 'a source of a fanned-out query did not answer');
  };
  if (cluster !== undefined) {
    const cq = new ClusterQueries(cluster, { clock, windowMinutes: config.windowMinutes, peerTimeoutMs: config.peerTimeoutMs, readWaitMs, onSourceError });
    return { queries: cq.all, own: cq.own, applied: cluster.applied, readWaitMs, replaying: () => cq.replaying(), scoped: (partitions) => cq.scoped(partitions), close: () => cq.close() };
  }
  const peers = (options.peers ?? []).map((baseUrl) => new PeerClient({ baseUrl, timeoutMs: config.peerTimeoutMs, published: ryw?.published }));
  const local = ryw === undefined ? store : new BarrierSource(store, ryw.applied, ryw.published, readWaitMs);
  const queries = new MergedStore({
    sources: [{ name: 'local', source: local, inProcess: true }, ...peers.map((peer) => ({ name: peer.name, source: peer }))],
    clock,
    windowMinutes: config.windowMinutes,
    onSourceError,
  });
  return {
    queries,
    own: store,
    applied: ryw?.applied,
    readWaitMs,
    close: () => {
      for (const peer of peers) peer.close();
    },
  };
}
