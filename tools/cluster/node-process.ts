// A collector node (src/main.ts with NATS_URL) as a child process on a loopback port, for the
// cluster scripts that kill and restart nodes (`npm run cluster`, `cluster:check`,
// `bench:cluster --takeover`): start, wait for /health, read the node's view of the cluster,
// kill -9 by PID (stopCollectorProcess), start again on the same port and NODE_ID. What a node
// writes is kept (bounded) for failure messages.
import { request } from 'undici';
import { spawnCollector, waitWhileRunning, type CollectorProcess } from './collector-process.js';
import { askingAgain } from './wait-for.js';

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

/** output() holds the last 20,000 characters the node wrote. */
export interface NodeProcess extends CollectorProcess {
  id: string;
  url: string;
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
  const proc = spawnCollector({ name: options.id, env, keepChars: 20_000, onOutput: options.onOutput });
  return { ...proc, id: options.id, url };
}

/** The node's GET /health; throws unless it answers 200 within `timeoutMs`. */
export async function nodeHealth(url: string, timeoutMs = 5000): Promise<ClusterHealth> {
  const response = await request(`${url}/health`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${url}/health answered ${response.statusCode}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as ClusterHealth;
}

export interface ListingTotal {
  status: number;
  /** The listing's total; NaN unless the node answered 200. */
  total: number;
  /** The X-Traced-Partial header: what the answer lacks, when it is not whole. */
  partial: string | undefined;
  /** The body as it came (for messages about a non-200). */
  text: string;
}

/** GET /traces?limit=0 of the node: how many traces it lists and whether the answer is whole. */
export async function listingTotal(url: string, timeoutMs = 5000): Promise<ListingTotal> {
  const response = await request(`${url}/traces?limit=0`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await response.body.text();
  const partial = response.headers['x-traced-partial'];
  return {
    status: response.statusCode,
    total: response.statusCode === 200 ? (JSON.parse(text) as { total: number }).total : NaN,
    partial: typeof partial === 'string' ? partial : undefined,
    text,
  };
}

/** Waits until the node answers /health with its cluster view; fails early if it exits. */
export async function waitHealthy(node: NodeProcess, ms = 30_000): Promise<void> {
  await waitWhileRunning(node, 'answering /health', askingAgain(async () => (await nodeHealth(node.url, 1000)).cluster !== undefined), ms, 100);
}
