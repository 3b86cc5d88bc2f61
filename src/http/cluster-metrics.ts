// /metrics in cluster mode: publishing (latency from publish to JetStream's acknowledgement,
// messages, records, bytes), consumption (spans applied, lag per owned partition), and leases
// (partitions owned, gains and losses).

import { Gauge, Histogram, type Registry } from 'prom-client';
import type { ClusterNode } from '../cluster/cluster-node.js';

export function registerClusterMetrics(registry: Registry, node: ClusterNode): void {
  const registers = [registry];
  let last = node.readStats();
  const read = () => last;
  // Registered first, so its collect() takes the scrape's one reading that the gauges below show.
  new Histogram({
    name: 'traced_cluster_publish_seconds',
    help: 'Seconds from publishing a message of batches to JetStream to its acknowledgement.',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers,
    collect() {
      last = node.readStats();
      for (const seconds of last.publishLatencies) this.observe(seconds);
    },
  });
  const stat = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });
  stat('traced_cluster_publishes_total', 'Messages published to JetStream and acknowledged, since start.', () => read().publishes);
  stat('traced_cluster_published_records_total', 'Batch parts (one per partition a request touched) acknowledged by JetStream, since start.', () => read().publishedRecords);
  stat('traced_cluster_published_bytes_total', 'Bytes of messages acknowledged by JetStream, since start.', () => read().publishedBytes);
  stat('traced_cluster_consumed_spans_total', 'Spans applied from the stream to this node\'s partition stores, since start.', () => read().spansConsumed);
  stat('traced_cluster_lease_changes_total', 'Partition leases this node gained or lost, since start.', () => read().leaseChanges);
  stat('traced_cluster_partitions_owned', 'Partitions this node owns.', () => node.ownedPartitions().size);
  stat('traced_cluster_nats_connected', '1 while connected to NATS.', () => (node.natsConnected ? 1 : 0));
  new Gauge({
    name: 'traced_cluster_consumer_lag',
    help: 'Messages JetStream still holds for an owned partition\'s consumer.',
    labelNames: ['partition'],
    registers,
    collect() {
      this.reset();
      for (const [partition, { lag }] of node.ownedPartitions()) this.set({ partition: String(partition) }, lag);
    },
  });
}
