// Real nats-server processes (Debian's 2.9, installed by .ci/run) for the cluster tests, the
// cluster benchmark and `npm run cluster`: 1 or 3
// JetStream-enabled servers on free loopback ports with temp store dirs. start() returns once
// JetStream answers (for 3 servers: once a meta leader is elected and counts all three as peers,
// so a stream replicated on all of them can be placed); every server is stopped by
// its PID in stop(), and at the latest when the test process exits, so a failing test leaves none.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect, StorageType } from 'nats';
import { createServer } from 'node:net';

export interface NatsServer {
  name: string;
  clientPort: number;
  url: string;
  storeDir: string;
  child: ChildProcess | undefined;
  /** Everything the server wrote, for failure messages. */
  output: string;
}

export interface NatsCluster {
  servers: NatsServer[];
  /** Every client URL, comma-separated (the NATS_URL form). */
  urls: string;
  /** SIGKILLs one server and waits for it to be gone. */
  kill(index: number): Promise<void>;
  /** Starts a stopped server again on its ports and store dir. */
  restart(index: number): Promise<void>;
  /** Waits until JetStream answers through the servers still running. */
  waitReady(ms?: number): Promise<void>;
  /** Stops every server (SIGTERM, then SIGKILL) and removes the store dirs. */
  stop(): Promise<void>;
}

/** Ports freePort() handed out lately, oldest first. */
const recentPorts: number[] = [];

/**
 * A loopback port free a moment ago, for servers that take ports on their command line, not 0
 * (nats-server here; the collector processes of test/ingest-log/collector-process.ts).
 */
export async function freePort(): Promise<number> {
  // Ports are often taken before any is bound (a cluster's client and route ports, then the
  // servers): the kernel may hand out a port it just released again, so this process never
  // hands out one it gave lately (two servers of one test once got the same port).
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    if (recentPorts.includes(port)) continue;
    recentPorts.push(port);
    if (recentPorts.length > 256) recentPorts.shift();
    return port;
  }
}

/** nats-server on PATH, else where Debian puts it (/usr/sbin is not on every user's PATH). */
function natsServerBinary(): string {
  const onPath = (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'nats-server')));
  return onPath || !existsSync('/usr/sbin/nats-server') ? 'nats-server' : '/usr/sbin/nats-server';
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function launch(server: NatsServer, clusterArgs: string[]): void {
  const args = ['-a', '127.0.0.1', '-p', String(server.clientPort), '-js', '-sd', server.storeDir, '-n', server.name, ...clusterArgs];
  const child = spawn(natsServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  server.child = child;
  running.add(child);
  const collect = (chunk: string) => {
    // Bounded: a long test must not keep every line.
    server.output = (server.output + chunk).slice(-20_000);
  };
  child.stdout!.setEncoding('utf8').on('data', collect);
  child.stderr!.setEncoding('utf8').on('data', collect);
  child.on('exit', () => running.delete(child));
}

async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts `count` (1 or 3) JetStream servers; with 3 they form one cluster. */
export async function startNats(count: 1 | 3 = 1): Promise<NatsCluster> {
  const servers: NatsServer[] = [];
  const clusterPorts: number[] = [];
  for (let i = 0; i < count; i++) {
    servers.push({ name: `n${i}`, clientPort: await freePort(), url: '', storeDir: mkdtempSync(join(tmpdir(), 'nats-js-')), child: undefined, output: '' });
    servers[i]!.url = `nats://127.0.0.1:${servers[i]!.clientPort}`;
    if (count > 1) clusterPorts.push(await freePort());
  }
  const clusterArgs = (i: number): string[] =>
    count === 1
      ? []
      : ['--cluster_name', 'traced-test', '--cluster', `nats://127.0.0.1:${clusterPorts[i]}`, '--routes', clusterPorts.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`).join(',')];
  for (let i = 0; i < count; i++) launch(servers[i]!, clusterArgs(i));

  const cluster: NatsCluster = {
    servers,
    urls: servers.map((s) => s.url).join(','),
    async kill(index) {
      const child = servers[index]!.child;
      if (child === undefined) return;
      child.kill('SIGKILL');
      await exited(child, 5000);
      servers[index]!.child = undefined;
    },
    async restart(index) {
      if (servers[index]!.child !== undefined) throw new Error(`server ${index} is running`);
      launch(servers[index]!, clusterArgs(index));
    },
    async waitReady(ms = 20_000) {
      const live = servers.filter((s) => s.child !== undefined);
      const deadline = Date.now() + ms;
      let lastError: unknown;
      while (Date.now() < deadline) {
        try {
          const nc = await connect({ servers: live.map((s) => s.url), timeout: 1000, reconnect: false });
          try {
            // Answers only once JetStream is up and, clustered, once the meta group has a leader.
            const jsm = await nc.jetstreamManager({ timeout: 1000 });
            await jsm.getAccountInfo();
            // A leader can answer before it counts every server as a JetStream peer; until then
            // a stream replicated on all of them fails with "no suitable peers for placement".
            if (live.length > 1) {
              const probe = `ready_probe_${process.pid}_${Date.now()}`;
              await jsm.streams.add({ name: probe, subjects: [`${probe}.>`], num_replicas: live.length, storage: StorageType.Memory });
              await jsm.streams.delete(probe);
            }
            return;
          } finally {
            await nc.close();
          }
        } catch (error) {
          lastError = error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      throw new Error(`JetStream not ready within ${ms} ms (${String(lastError)}):\n${live.map((s) => `--- ${s.name}\n${s.output}`).join('\n')}`);
    },
    async stop() {
      for (const server of servers) {
        const child = server.child;
        if (child === undefined) continue;
        child.kill('SIGTERM');
        if (!(await exited(child, 5000))) {
          child.kill('SIGKILL');
          await exited(child, 5000);
        }
        server.child = undefined;
      }
      for (const server of servers) rmSync(server.storeDir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.waitReady();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
