// No split-brain: a node cut off from NATS (through a TCP proxy the test cuts, while the node
// itself keeps running) stops answering for its partitions before the other node can take them.
// Ownership is sampled every 10 ms throughout: no partition is ever owned by both nodes.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startNats, type NatsCluster } from '../../tools/cluster/nats-servers.js';
import { waitFor } from '../support/http.js';
import { startNode, type TestNode } from './cluster-nodes.js';

let nats: NatsCluster | undefined;
const nodes: TestNode[] = [];
let proxy: { server: Server; sockets: Set<Socket> } | undefined;
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.crash().catch(() => undefined);
  if (proxy !== undefined) {
    for (const socket of proxy.sockets) socket.destroy();
    await new Promise((resolve) => proxy!.server.close(resolve));
    proxy = undefined;
  }
  await nats?.stop();
  nats = undefined;
});

/** A loopback TCP proxy to `port`; cut() drops every connection and refuses new ones. */
async function startProxy(port: number): Promise<{ url: string; cut: () => void }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = tcpConnect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy = { server, sockets };
  return {
    url: `nats://127.0.0.1:${(server.address() as { port: number }).port}`,
    cut: () => {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
  };
}

describe('leases', () => {
  it('a node cut off from NATS drops its partitions before another node takes any of them', async () => {
    nats = await startNats(1);
    const a = await startNode({ natsUrls: nats.urls, id: 'node-a', leaseTtlMs: 2000 });
    nodes.push(a);
    await waitFor('A owns all', () => a.node.ownedPartitions().size === 16, 10_000);
    const link = await startProxy(nats.servers[0]!.clientPort);
    const b = await startNode({ natsUrls: link.url, id: 'node-b', leaseTtlMs: 2000 });
    nodes.push(b);
    await waitFor('8 each', () => a.node.ownedPartitions().size === 8 && b.node.ownedPartitions().size === 8, 15_000);

    let overlaps = 0;
    const sampler = setInterval(() => {
      const ofB = b.node.ownedPartitions();
      for (const partition of a.node.ownedPartitions().keys()) if (ofB.has(partition)) overlaps++;
    }, 10);
    try {
      link.cut();
      // B's leases run out on its own clock first; then A takes them once they expire on the server.
      await waitFor('B owns nothing', () => b.node.ownedPartitions().size === 0, 5000, 10);
      await waitFor('A owns all 16', () => a.node.ownedPartitions().size === 16, 10_000);
    } finally {
      clearInterval(sampler);
    }
    expect(overlaps).toBe(0);
  }, 60_000);
});
