// npm run cluster:check: issue 17's "Done when", as one command. On loopback, with temp dirs:
//   1. 3 nats-servers (JetStream, R=3) and 2 collector nodes A and B (NATS_REPLICAS=3);
//   2. the emitter (tools/emit, the upstream emitter's port) at 10×, 200 workers, posts to A;
//   3. B is kill -9'd at a third of the emission (20 s of 60) and the stream's leader among the
//      nats-servers at half (30 s): the harshest of the three to lose;
//   4. the emitter's verifier, against A, must report found == expected (and pass every check);
//   5. B starts again with the same NODE_ID and port and must take back its share of partitions;
//   6. GET /traces?limit=0 on B must report the same total as on A, neither flagged partial.
// Each step is printed with its time; exit 0 only if every check held. Every process it started
// is stopped by its PID at the end, on failure and on Ctrl-C.
//
//   npm run cluster:check
//   npm run cluster:check -- --duration=15s --workers=40   shorter; the kills move with the duration

import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { connect } from 'nats';
import { SPANS_STREAM } from '../../src/cluster/partitions.js';
import { freePort, startNats, type NatsCluster } from './nats-servers.js';
import { stopCollectorProcess } from './collector-process.js';
import { listingTotal, nodeHealth, startNodeProcess, waitHealthy, type ListingTotal, type NodeProcess } from './node-process.js';
import { askingAgain, waitFor } from './wait-for.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const durationS = Number(arg('duration', '60s').replace(/s$/, ''));
const workers = Number(arg('workers', '200'));
const killNodeAtS = durationS / 3;
const killNatsAtS = durationS / 2;
const PARTITIONS = 16;

const started = Date.now();
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
const say = (line: string): void => void process.stdout.write(`${stamp()} ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class CheckFailed extends Error {}

let nats: NatsCluster | undefined;
const nodes: NodeProcess[] = [];
let emitter: ChildProcess | undefined;
let cleaning: Promise<void> | undefined;

async function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    if (emitter !== undefined && emitter.exitCode === null && emitter.signalCode === null) emitter.kill('SIGKILL');
    await Promise.all(nodes.map((node) => stopCollectorProcess(node, 'SIGKILL')));
    await nats?.stop();
  })();
  return cleaning;
}

process.on('SIGINT', () => {
  say('interrupted: stopping everything');
  void cleanUp().then(() => process.exit(130));
});

function startNode(id: string, port: number): NodeProcess {
  const node = startNodeProcess({ natsUrls: nats!.urls, id, port, replicas: 3 });
  nodes.push(node);
  return node;
}

const ownedCaughtUp = async (node: NodeProcess): Promise<number> => {
  const view = (await nodeHealth(node.url)).cluster;
  return view.owned.filter((p) => p.caught_up).length;
};

/** The nats-server leading the spans stream now. */
async function streamLeader(): Promise<number> {
  const nc = await connect({ servers: nats!.urls.split(','), timeout: 2000 });
  try {
    const info = await (await nc.jetstreamManager({ timeout: 5000 })).streams.info(SPANS_STREAM);
    const leader = nats!.servers.findIndex((s) => s.name === info.cluster?.leader);
    return leader === -1 ? 0 : leader;
  } finally {
    await nc.close();
  }
}

/** The node's listing total, which must be answered (200). */
async function total(url: string): Promise<ListingTotal> {
  const answer = await listingTotal(url, 10_000);
  if (answer.status !== 200) throw new CheckFailed(`${url}/traces?limit=0 answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  return answer;
}

/** Says each line the emitter writes on `stream`, whole: a line cut across two chunks waits for its end. */
function relayLines(stream: Readable): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line !== '') say(`emit | ${line}`);
  });
  stream.on('end', () => {
    if (pending !== '') say(`emit | ${pending}`);
  });
}

/** Runs the emitter against `target`; its exit code and the numbers of its verification line. */
async function runEmitter(target: string, during: Array<{ atS: number; what: () => Promise<void> }>): Promise<{ code: number; expected: number; found: number; report: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/emit/main.ts', '--workers', String(workers), '--duration', `${durationS}s`, '--target', target], { stdio: ['ignore', 'pipe', 'pipe'] });
  emitter = child;
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  relayLines(child.stdout!);
  relayLines(child.stderr!);
  // 'close', once its output is all read: the verification line is among the last it writes.
  const exited = new Promise<number>((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128))));
  const emitStart = Date.now();
  const faults = during.map(async ({ atS, what }) => {
    await sleep(emitStart + atS * 1000 - Date.now());
    if (child.exitCode === null) await what();
  });
  const code = await exited;
  await Promise.all(faults);
  const report = stdout.split('\n').find((line) => line.startsWith('expected=')) ?? '';
  const number = (name: string) => Number(new RegExp(`(?:^| )${name}=(\\d+)`).exec(report)?.[1] ?? NaN);
  return { code, expected: number('expected'), found: number('found'), report };
}

async function main(): Promise<void> {
  say(`cluster check: 3 nats-servers (R=3), nodes A and B; emitter ${workers} workers for ${durationS} s to A; kill -9 B at ${killNodeAtS.toFixed(0)} s, a nats-server at ${killNatsAtS.toFixed(0)} s`);
  nats = await startNats(3);
  say(`nats-servers ready: ${nats.urls}`);
  const [portA, portB] = [await freePort(), await freePort()];
  const a = startNode('node-a', portA);
  let b = startNode('node-b', portB);
  await Promise.all([waitHealthy(a), waitHealthy(b)]);
  say(`collectors up: A ${a.url}, B ${b.url}`);
  let ms = await waitFor('A and B to own 8 partitions each, caught up', askingAgain(async () => (await ownedCaughtUp(a)) === PARTITIONS / 2 && (await ownedCaughtUp(b)) === PARTITIONS / 2), 60_000, 100);
  say(`partitions shared 8/8 (${ms} ms)`);

  let takeover: Promise<void> = Promise.resolve();
  const emitted = await runEmitter(a.url, [
    {
      atS: killNodeAtS,
      what: async () => {
        await stopCollectorProcess(b, 'SIGKILL');
        say(`kill -9 B (pid ${b.child.pid})`);
        const killedAt = Date.now();
        takeover = waitFor('A to own all 16 partitions, caught up', askingAgain(async () => (await ownedCaughtUp(a)) === PARTITIONS), 60_000, 250).then(
          () => say(`A owns all 16 partitions, caught up, ${((Date.now() - killedAt) / 1000).toFixed(1)} s after B's kill`),
          (error: unknown) => say(`WARNING: ${String(error)}`),
        );
      },
    },
    {
      atS: killNatsAtS,
      what: async () => {
        const leader = await streamLeader();
        await nats!.kill(leader);
        say(`kill -9 nats-server ${nats!.servers[leader]!.name} (${nats!.servers[leader]!.url}), the ${SPANS_STREAM} stream's leader`);
      },
    },
  ]);
  await takeover;
  say(`emitter exited ${emitted.code}; verifier against A: expected=${emitted.expected} found=${emitted.found}`);
  if (!(emitted.expected > 0 && emitted.found === emitted.expected)) throw new CheckFailed(`the verifier against A reported found=${emitted.found}, expected=${emitted.expected}`);
  if (emitted.code !== 0) throw new CheckFailed(`the emitter failed (exit ${emitted.code}): ${emitted.report}`);
  say('CHECK verifier: found == expected, every check passed');

  b = startNode('node-b', portB);
  await waitHealthy(b);
  say(`B started again (same NODE_ID, ${b.url})`);
  const restartedAt = Date.now();
  ms = await waitFor('B to hold 8 partitions', askingAgain(async () => (await nodeHealth(b.url)).cluster.owned.length === PARTITIONS / 2), 60_000, 100);
  say(`B holds 8 partitions again (${(ms / 1000).toFixed(1)} s)`);
  await waitFor('B to have replayed its 8 partitions, and A to hold 8', askingAgain(async () => (await ownedCaughtUp(b)) === PARTITIONS / 2 && (await ownedCaughtUp(a)) === PARTITIONS / 2), 60_000, 100);
  say(`B took back 8 partitions, caught up (${((Date.now() - restartedAt) / 1000).toFixed(1)} s after it answered /health)`);
  const [onA, onB] = [await total(a.url), await total(b.url)];
  say(`GET /traces?limit=0: A total=${onA.total}${onA.partial === undefined ? '' : ` partial="${onA.partial}"`}, B total=${onB.total}${onB.partial === undefined ? '' : ` partial="${onB.partial}"`} (verifier expected ${emitted.expected})`);
  if (onA.partial !== undefined || onB.partial !== undefined) throw new CheckFailed('an answer was flagged partial (X-Traced-Partial)');
  if (onA.total !== onB.total) throw new CheckFailed(`B's total ${onB.total} differs from A's ${onA.total}`);
  say('CHECK totals: B == A');
}

main().then(
  async () => {
    await cleanUp();
    say('PASSED');
    process.exitCode = 0;
  },
  async (error: unknown) => {
    say(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof CheckFailed) && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    for (const node of nodes) process.stderr.write(`--- ${node.id} (pid ${node.child.pid}), last output:\n${node.output().slice(-3000)}\n`);
    await cleanUp();
    process.exitCode = 1;
  },
);
