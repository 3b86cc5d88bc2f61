// npm run bench:cluster: ingest through cluster mode, as issue 17 sizes it. Starts nats-server(s)
// (1 at R=1, or 3 at R=3 with --replicas=3) and collector nodes (`node --max-semi-space-size=32 dist/src/main.js`, as
// `npm start` runs them, built first; with NATS_URL) on loopback, then a closed loop of 12-span POST /spans batches (bench/lib's raw
// client and body templates, spread over the nodes) and reports:
//   - spans/s accepted (202s only) and the latency of the answers;
//   - CPU-seconds per million accepted spans of each process (collector nodes: ingest and
//     materialising alike, since every node does both; each nats-server; this load generator),
//     from /proc/<pid>/stat over the measured run;
//   - that the owners kept up: spans applied by the nodes' consumers against spans accepted.
// Nothing is pinned: every process shares the machine's cores, so figures move with the load
// of the machine; run it more than once.
//
//   npm run bench:cluster                                   1 server R=1, 2 nodes, 20 s
//   npm run bench:cluster -- --replicas=3 --duration=30s    3 servers R=3
//   npm run bench:cluster -- --connections=128 --nodes=2 --spans=12
//   npm run bench:cluster -- --baseline     also one single node (STORAGE=memory, no NATS) under
//                                           the same load first, for the machine's state that day
//   npm run bench:cluster -- --takeover     instead: the time from kill -9 of a node holding
//                                           --victim-spans=2000000 spans to complete answers on the
//                                           other (bench/lib/cluster-takeover.ts)

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startNats, freePort } from '../tools/cluster/nats-servers.js';
import { BodyTemplate } from './lib/body-template.js';
import { metric, runTakeover } from './lib/cluster-takeover.js';
import { percentile, runRawLoad } from './lib/raw-http-client.js';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const replicas = Number(arg('replicas', '1'));
const nodeCount = Number(arg('nodes', '2'));
const connections = Number(arg('connections', '64'));
const spansPerBody = Number(arg('spans', '12'));
const durationMs = Number(arg('duration', '20s').replace(/s$/, '')) * 1000;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const runId = () => Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat; 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Node {
  url: string;
  child: ChildProcess;
}

/** A collector process; with `urls` a cluster node, without a single node in memory. */
async function startNode(urls: string | undefined, id: string): Promise<Node> {
  const port = await freePort();
  const cluster = urls === undefined ? {} : { NATS_URL: urls, NODE_ID: id, NATS_REPLICAS: String(replicas) };
  // OTLP_GRPC_PORT 0: two nodes on one machine cannot both take the default 4317.
  // The shipped defaults otherwise (load shedding on), compiled as `npm start` runs them.
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', OTLP_GRPC_PORT: '0', LOG_LEVEL: 'warn', STORAGE: 'memory', ...cluster };
  const child = spawn(process.execPath, [...COLLECTOR_NODE_FLAGS, 'dist/src/main.js'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await request(`${url}/health`)).statusCode === 200) return { url, child };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`node ${id} did not answer /health`);
}

/** The same closed loop against one single node, for comparison. */
async function baseline(): Promise<void> {
  const node = await startNode(undefined, 'single');
  try {
    const template = new BodyTemplate(runId(), spansPerBody, true, BigInt(Date.now()) * 1_000_000n);
    const load = (ms: number) => runRawLoad({ host: '127.0.0.1', port: Number(new URL(node.url).port), connections, durationMs: ms, path: '/spans', nextBody: () => template.next() });
    await load(3000);
    const before = [cpuSeconds(node.child.pid!), cpuSeconds(process.pid)];
    const r = await load(durationMs);
    const after = [cpuSeconds(node.child.pid!), cpuSeconds(process.pid)];
    const accepted = (r.byStatus[202] ?? 0) * template.spans;
    console.log(`\nbaseline: one node, STORAGE=memory, ${connections} connections, ${template.spans}-span batches, ${fmt(r.elapsedMs / 1000, 1)} s`);
    console.log(`accepted           ${fmt(accepted / (r.elapsedMs / 1000))} spans/s  (statuses ${JSON.stringify(r.byStatus)})`);
    console.log(`CPU-seconds per million accepted spans: collector ${fmt(((after[0]! - before[0]!) / accepted) * 1e6, 2)}, load generator ${fmt(((after[1]! - before[1]!) / accepted) * 1e6, 2)}`);
  } finally {
    node.child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  if (args.includes('--takeover')) return runTakeover({ victimSpans: Number(arg('victim-spans', '2000000')), connections, spansPerBody });
  // The nodes run the compiled collector, as `npm start` does.
  if (spawnSync('npm', ['run', 'build:server'], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error('npm run build:server failed');
  if (args.includes('--baseline')) await baseline();
  const nats = await startNats(replicas === 3 ? 3 : 1);
  const nodes: Node[] = [];
  try {
    for (let i = 0; i < nodeCount; i++) nodes.push(await startNode(nats.urls, `bench-${i}`));
    // Until the leases are shared out (each node its fair share, every partition owned).
    for (let i = 0; i < 200; i++) {
      const owned = await Promise.all(nodes.map(async (n) => (JSON.parse(await (await request(`${n.url}/health`)).body.text()) as { cluster: { owned: unknown[] } }).cluster.owned.length));
      if (owned.reduce((a, b) => a + b, 0) === 16 && owned.every((o) => o === Math.ceil(16 / nodeCount) || o === Math.floor(16 / nodeCount))) break;
      await sleep(100);
    }
    const template = new BodyTemplate(runId(), spansPerBody, true, BigInt(Date.now()) * 1_000_000n);
    const load = (ms: number) =>
      Promise.all(nodes.map((n) => runRawLoad({ host: '127.0.0.1', port: Number(new URL(n.url).port), connections: Math.ceil(connections / nodes.length), durationMs: ms, path: '/spans', nextBody: () => template.next() })));
    await load(3000);
    const pids = [...nodes.map((n) => n.child.pid!), ...nats.servers.map((s) => s.child!.pid!), process.pid];
    const consumedBefore = (await Promise.all(nodes.map((n) => metric(n.url, 'traced_cluster_consumed_spans_total')))).reduce((a, b) => a + b, 0);
    const cpuBefore = pids.map(cpuSeconds);
    const results = await load(durationMs);
    const cpuAfter = pids.map(cpuSeconds);
    const accepted = results.reduce((sum, r) => sum + (r.byStatus[202] ?? 0), 0) * template.spans;
    const elapsedMs = Math.max(...results.map((r) => r.elapsedMs));
    const statuses: Record<number, number> = {};
    for (const r of results) for (const [status, count] of Object.entries(r.byStatus)) statuses[Number(status)] = (statuses[Number(status)] ?? 0) + count;
    const latencies = Float64Array.from(results.flatMap((r) => [...r.latenciesMs])).sort();
    await sleep(2000);
    const consumed = (await Promise.all(nodes.map((n) => metric(n.url, 'traced_cluster_consumed_spans_total')))).reduce((a, b) => a + b, 0) - consumedBefore;
    const perMillion = (i: number) => ((cpuAfter[i]! - cpuBefore[i]!) / accepted) * 1e6;
    const names = [...nodes.map((_, i) => `collector node ${i}`), ...nats.servers.map((s) => `nats-server ${s.name}`), 'load generator'];
    console.log(`\ncluster ingest: ${nats.servers.length} nats-server(s), R=${replicas}, ${nodes.length} nodes, ${connections} connections, ${template.spans}-span batches, ${fmt(elapsedMs / 1000, 1)} s`);
    console.log(`accepted           ${fmt(accepted / (elapsedMs / 1000))} spans/s  (${fmt(accepted)} spans; statuses ${JSON.stringify(statuses)})`);
    console.log(`latency            p50 ${fmt(percentile(latencies, 0.5), 2)} ms, p99 ${fmt(percentile(latencies, 0.99), 2)} ms`);
    console.log(`applied by owners  ${fmt(consumed)} spans within 2 s of the end (${fmt((consumed / accepted) * 100, 1)}% of accepted)`);
    console.log('CPU-seconds per million accepted spans:');
    names.forEach((name, i) => console.log(`  ${name.padEnd(20)} ${fmt(perMillion(i), 2)}  (${fmt(cpuAfter[i]! - cpuBefore[i]!, 2)} CPU-s)`));
  } finally {
    for (const node of nodes) node.child.kill('SIGTERM');
    await sleep(500);
    for (const node of nodes) node.child.kill('SIGKILL');
    await nats.stop();
  }
}

void main();
