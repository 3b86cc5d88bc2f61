// npm run cluster: a cluster on this machine in one command. Three nats-servers (JetStream, R=3)
// and two collector nodes (src/main.ts with NATS_URL) on free loopback ports, temp store dirs;
// prints their URLs and stops everything on Ctrl-C (or SIGTERM).
//
//   npm run cluster                 2 collector nodes
//   npm run cluster -- --nodes=3    3 collector nodes

import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { freePort, startNats } from './nats-servers.js';

const nodeCount = Number(process.argv.find((a) => a.startsWith('--nodes='))?.split('=')[1] ?? '2');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  process.stdout.write('starting 3 nats-servers (JetStream, R=3)…\n');
  const nats = await startNats(3);
  const nodes: Array<{ url: string; child: ChildProcess }> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping…\n');
    for (const node of nodes) node.child.kill('SIGTERM');
    await Promise.all(nodes.map((node) => new Promise((resolve) => (node.child.exitCode !== null ? resolve(undefined) : node.child.once('exit', resolve)))));
    await nats.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (let i = 0; i < nodeCount; i++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', NATS_URL: nats.urls, NODE_ID: `node-${i}`, ADVERTISE_URL: url, NATS_REPLICAS: '3', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => {
      if (!stopping) {
        process.stderr.write(`node-${i} exited (${code}); stopping the cluster\n`);
        void stop(1);
      }
    });
    nodes.push({ url, child });
  }
  for (const node of nodes) {
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await request(`${node.url}/health`)).statusCode === 200) break;
      } catch {
        // Not listening yet.
      }
      if (attempt > 300) throw new Error(`${node.url} did not answer /health`);
      await sleep(100);
    }
  }
  process.stdout.write(`\nNATS (JetStream, R=3): ${nats.urls}\n`);
  nodes.forEach((node, i) => process.stdout.write(`collector node-${i}: ${node.url}   (health and the cluster view: ${node.url}/health)\n`));
  process.stdout.write(`\nSend spans to any node, e.g.  npm run emit -- --target ${nodes[0]!.url}\nCtrl-C stops everything.\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run cluster: ${String(error)}\n`);
  process.exit(1);
});
