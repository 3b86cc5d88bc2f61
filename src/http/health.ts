// GET /health: 200 once the collector takes ingest; 503 with the replay's progress while the
// ingest log is replayed at start-up, so a load balancer or orchestrator waits for it. In cluster
// mode the 200 also carries the node's view of the cluster (partitions, lag, peers).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthResponse, ReplayingResponse, type ClusterView } from '../../schemas/common.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { ReplayProgress } from '../ingest-log/replay.js';

export interface HealthRouteOptions {
  /** The replay's progress while it runs, else undefined. */
  replaying?: () => ReplayProgress | undefined;
  /** Cluster mode: the node whose view to show. */
  cluster?: ClusterNode;
}

export function clusterView(node: ClusterNode): ClusterView {
  const owned = node.ownedPartitions();
  const owners = node.owners();
  const byNode = new Map<string, number[]>();
  const unowned: number[] = [];
  for (const [partition, owner] of owners) {
    if (owner === undefined) unowned.push(partition);
    else byNode.set(owner.nodeId, [...(byNode.get(owner.nodeId) ?? []), partition]);
  }
  return {
    node_id: node.nodeId,
    advertise_url: node.advertiseUrl,
    partitions: node.partitions,
    nats_connected: node.natsConnected,
    owned: [...owned].map(([partition, { appliedSeq, lag, caughtUp }]) => ({ partition, applied_seq: appliedSeq, lag, caught_up: caughtUp })),
    unowned,
    peers: node.peers().map((peer) => ({ node_id: peer.nodeId, url: peer.url, partitions: byNode.get(peer.nodeId) ?? [] })),
  };
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (app, { replaying, cluster }) => {
  app.get('/health', { schema: { response: { 200: HealthResponse, 503: ReplayingResponse } } }, async (_request, reply) => {
    const progress = replaying?.();
    if (progress === undefined) return cluster === undefined ? { status: 'ok' as const } : { status: 'ok' as const, cluster: clusterView(cluster) };
    return reply.code(503).send({
      status: 'replaying' as const,
      segments_done: progress.segmentsDone,
      segments_total: progress.segmentsTotal,
      bytes_done: progress.bytesDone,
      bytes_total: progress.bytesTotal,
      spans_replayed: progress.spans,
      logs_replayed: progress.logs,
    });
  });
};
