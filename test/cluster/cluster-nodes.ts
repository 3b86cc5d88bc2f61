// In-process collector nodes in cluster mode for the cluster tests: buildApp with a ClusterNode
// on the given NATS servers, listening on a free loopback port (advertised as such), each with its
// own NATS connection, leases and partition stores. `crash()` stops a node the way kill -9 does
// as far as the cluster can tell: its heartbeats stop and its connection drops, and its leases
// are left to expire.
import { buildApp, type Collector } from '../../src/app.js';
import { ClusterNode } from '../../src/cluster/cluster-node.js';
import { partitionOfTraceId } from '../../src/cluster/cluster-queries.js';
import { loadConfig, type Config } from '../../src/config.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import type { TraceDetail } from '../../src/store/store-shapes.js';
import { systemClock } from '../../src/time/clock.js';
import { freePort } from '../ingest-log/collector-process.js';

export interface TestNode {
  id: string;
  url: string;
  node: ClusterNode;
  collector: Collector;
  /** Leaves gracefully (leases given back). */
  stop(): Promise<void>;
  /** Leaves as a killed process would: no release, leases expire. */
  crash(): Promise<void>;
}

export interface TestNodeOptions {
  natsUrls: string;
  id: string;
  partitions?: number;
  replicas?: number;
  leaseTtlMs?: number;
  publishTimeoutMs?: number;
  windowMinutes?: number;
}

export async function startNode(options: TestNodeOptions): Promise<TestNode> {
  const port = await freePort();
  const config: Config = loadConfig({
    INGEST_DELAY_TARGET_MS: '0',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: String(port),
    STORAGE: 'memory',
    NATS_URL: options.natsUrls,
    NODE_ID: options.id,
    PARTITIONS: String(options.partitions ?? 16),
    NATS_REPLICAS: String(options.replicas ?? 1),
    LEASE_TTL_MS: String(options.leaseTtlMs ?? 2000),
    WINDOW_MINUTES: String(options.windowMinutes ?? 30),
  });
  const settings = config.cluster!;
  const newStore = () => new BucketStore({ clock: systemClock, windowMinutes: config.windowMinutes, maxEndpoints: config.maxEndpoints, scanBudget: config.queryScanBudget });
  const node = await ClusterNode.start({
    ...settings,
    windowMinutes: config.windowMinutes,
    clock: systemClock,
    newStore,
    publishTimeoutMs: options.publishTimeoutMs,
    // CLUSTER_TEST_LOG=1 shows what the nodes log.
    log: (level, fields, message) => {
      if (process.env.CLUSTER_TEST_LOG === '1') console.log(options.id, level, message, JSON.stringify(fields, (key, value: unknown) => (key === 'err' ? String(value) : value)));
    },
  });
  const collector = await buildApp({ config, store: newStore(), clock: systemClock, logger: false, cluster: node });
  await collector.app.listen({ port, host: '127.0.0.1' });
  let closed = false;
  const close = async (release: boolean) => {
    if (closed) return;
    closed = true;
    await node.close(release);
    await collector.app.close();
  };
  return { id: options.id, url: settings.advertiseUrl, node, collector, stop: () => close(true), crash: () => close(false) };
}

/** The trace as the store of its partition's owner among `nodes` holds it; undefined when no node owns it (or the id is no UUID) or it is not there. */
export async function traceAtOwner(nodes: readonly TestNode[], traceId: string, partitions = 16): Promise<{ owner: TestNode; trace: TraceDetail | undefined } | undefined> {
  const partition = partitionOfTraceId(traceId, partitions);
  if (partition === undefined) return undefined;
  for (const candidate of nodes) {
    const owned = candidate.node.ownedPartitions().get(partition);
    if (owned !== undefined) return { owner: candidate, trace: await owned.store.getTrace(traceId) };
  }
  return undefined;
}
