// npm run cluster: a cluster on this machine in one command. Three nats-servers (JetStream, R=3)
// and two collector nodes (src/main.ts with NATS_URL) on free loopback ports, temp store dirs;
// prints their URLs and stops everything on Ctrl-C (or SIGTERM). Each node gets an OTLP/gRPC
// port of its own: two on one machine cannot both take the default 4317.
//
//   npm run cluster                 2 collector nodes
//   npm run cluster -- --nodes=3    3 collector nodes

import { freePort, startNats } from './nats-servers.js';
import { stopCollectorProcess } from './collector-process.js';
import { startNodeProcess, waitHealthy, type NodeProcess } from './node-process.js';

const nodeCount = Number(process.argv.find((a) => a.startsWith('--nodes='))?.split('=')[1] ?? '2');

async function main(): Promise<void> {
  process.stdout.write('starting 3 nats-servers (JetStream, R=3)…\n');
  const nats = await startNats(3);
  const nodes: Array<{ node: NodeProcess; grpcPort: number }> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping…\n');
    // SIGTERM: each node gives its leases back and answers what it holds before it exits.
    await Promise.all(nodes.map(({ node }) => stopCollectorProcess(node, 'SIGTERM')));
    await nats.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (let i = 0; i < nodeCount; i++) {
    const grpcPort = await freePort();
    const node = startNodeProcess({
      natsUrls: nats.urls,
      id: `node-${i}`,
      port: await freePort(),
      replicas: 3,
      env: { OTLP_GRPC_PORT: String(grpcPort), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      onOutput: (chunk) => process.stderr.write(chunk),
    });
    void node.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`node-${i} exited (${code}); stopping the cluster\n`);
        void stop(1);
      }
    });
    nodes.push({ node, grpcPort });
  }
  await Promise.all(nodes.map(({ node }) => waitHealthy(node)));
  process.stdout.write(`\nNATS (JetStream, R=3): ${nats.urls}\n`);
  for (const { node, grpcPort } of nodes) process.stdout.write(`collector ${node.id}: ${node.url}   (OTLP/gRPC 127.0.0.1:${grpcPort}; health and the cluster view: ${node.url}/health)\n`);
  process.stdout.write(`\nSend spans to any node, e.g.  npm run emit -- --target ${nodes[0]!.node.url}\nCtrl-C stops everything.\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run cluster: ${String(error)}\n`);
  process.exit(1);
});
