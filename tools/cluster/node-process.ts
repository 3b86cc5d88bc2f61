// A collector node (src/main.ts with NATS_URL) as a child process on a loopback port, for the
// cluster scripts that kill and restart nodes (`npm run cluster:check`, `bench:cluster --takeover`):
// start, wait for /health, read the node's view of the cluster, kill -9 by PID, start again on
// the same port and NODE_ID. What a node writes is kept (bounded) for failure messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'undici';

export interface NodeProcessOptions {
  natsUrls: string;
  id: string;
  port: number;
  replicas: number;
  /** Further settings (LEASE_TTL_MS, LOG_LEVEL, OTLP_GRPC_PORT, …). */
  env?: Record<string, string>;
  /** Sees everything the node writes, as it comes (kept for output() either way). */
  onOutput?: (chunk: string) => void;
}

export interface NodeProcess {
  id: string;
  url: string;
  child: ChildProcess;
  /** The last 20,000 characters the node wrote. */
  output(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<number | string>;
}

export interface ClusterHealth {
  status: string;
  cluster: {
    node_id: string;
    nats_connected: boolean;
    owned: Array<{ partition: number; applied_seq: number; lag: number; caught_up: boolean }>;
    unowned: number[];
    peers: Array<{ node_id: string; url: string; partitions: number[] }>;
  };
}

const running = new Set<ChildProcess>();
// Whatever ends this process, no node it started outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function startNodeProcess(options: NodeProcessOptions): NodeProcess {
  const url = `http://127.0.0.1:${options.port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    // No fixed port: two nodes on one machine would both want 4317.
    OTLP_GRPC_PORT: '0',
    NATS_URL: options.natsUrls,
    NODE_ID: options.id,
    ADVERTISE_URL: url,
    NATS_REPLICAS: String(options.replicas),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: string) => {
    output = (output + chunk).slice(-20_000);
    options.onOutput?.(chunk);
  };
  child.stdout!.setEncoding('utf8').on('data', collect);
  child.stderr!.setEncoding('utf8').on('data', collect);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return { id: options.id, url, child, output: () => output, exited };
}

/** Sends `signal` to the node by its PID and waits (bounded) until it is gone. */
export async function stopNodeProcess(node: NodeProcess, signal: NodeJS.Signals, ms = 15_000): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  node.child.kill(signal);
  const gone = await Promise.race([node.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
  if (!gone) {
    node.child.kill('SIGKILL');
    await node.exited;
  }
}

export async function nodeHealth(url: string, timeoutMs = 5000): Promise<ClusterHealth> {
  const response = await request(`${url}/health`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${url}/health answered ${response.statusCode}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as ClusterHealth;
}

/** Waits until the node answers /health with its cluster view; fails early if it exits. */
export async function waitHealthy(node: NodeProcess, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let exitedWith: number | string | undefined;
  void node.exited.then((code) => (exitedWith = code));
  for (;;) {
    if (exitedWith !== undefined) throw new Error(`${node.id} exited (${exitedWith}) before answering /health:\n${node.output()}`);
    try {
      if ((await nodeHealth(node.url, 1000)).cluster !== undefined) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${node.id} did not answer /health within ${ms} ms:\n${node.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls `probe` every `stepMs` until it holds; the time it took, or an error naming `what`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, ms: number, stepMs = 100): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      if (await probe()) return Date.now() - started;
    } catch {
      // A node between states (restarting, busy): ask again.
    }
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
