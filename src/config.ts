// Configuration is read from the environment once, validated, typed, and passed down.
// Nothing below this file reads process.env.

import { hostname, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

export interface Config {
  port: number;
  host: string;
  /**
   * OTLP_GRPC_PORT: where OTLP/gRPC (TraceService, LogsService) listens; 0 serves no gRPC.
   * OTLP_GRPC_HOST: its interface, HOST unless set.
   */
  otlpGrpcPort: number;
  otlpGrpcHost: string;
  windowMinutes: number;
  maxBodyBytes: number;
  logLevel: LogLevel;
  /** `true` for any origin, else the allowed origins. */
  corsOrigin: true | string[];
  /** Memory budget: POST /spans answers 503 while this many spans are held. */
  maxSpans: number;
  /**
   * INGEST_DELAY_TARGET_MS: the queueing delay admission control holds ingest to, refusing only
   * the share of batches beyond it (0: never refuse for load).
   */
  ingestDelayTargetMs: number;
  /**
   * MAX_ENDPOINTS: distinct (service, operation) pairs the window holds at most; spans of further
   * pairs are stored under the name traced.overflow (store/buckets/endpoint-table.ts).
   */
  maxEndpoints: number;
  /**
   * MAX_SPAN_BYTES: bytes the span store's columns, tag text and trace records may hold; span
   * ingest answers 503 beyond them, as at MAX_SPANS.
   */
  maxSpanBytes: number;
  /** MAX_LOG_BYTES: heap bytes the log store may hold; POST /logs answers 503 beyond them. */
  maxLogBytes: number;
  /** Largest POST /logs body (MAX_LOG_BODY_BYTES), at most MAX_BODY_BYTES. */
  maxLogBodyBytes: number;
  /**
   * QUERY_SCAN_BUDGET: spans and rows one search with filters may examine beyond the search
   * summary before it answers `incomplete` (store/buckets/trace-search.ts).
   */
  queryScanBudget: number;
  /** Log budget: POST /logs answers 503 while this many log lines are held. */
  maxLogs: number;
  /** MAX_OTLP_SPANS_PER_REQUEST: POST /v1/traces answers 400 to a request holding more spans. */
  maxOtlpSpansPerRequest: number;
  /**
   * REQUEST_TIMEOUT_MS: a request whose headers and body have not all arrived this long after it
   * began is answered 408 and its connection closed (headers alike: Node's headersTimeout).
   */
  requestTimeoutMs: number;
  /**
   * MAX_INFLIGHT_BODY_BYTES: bytes of ingest bodies held from their headers to their answer;
   * a body that would take the total past it is refused with 503 (admission/inflight-bodies.ts).
   */
  maxInflightBodyBytes: number;
  /** SHUTDOWN_GRACE_MS: how long SIGTERM lets in-flight requests finish before closing them. */
  shutdownGraceMs: number;
  /** Sampling (src/sampling/); the defaults keep every span. */
  sampling: SamplingConfig;
  /**
   * STORAGE: `disk` (the default) writes every accepted batch to the ingest log in DATA_DIR
   * before answering, and replays it at start; `memory` keeps nothing across a restart.
   */
  storage: 'disk' | 'memory';
  /** DATA_DIR: where the ingest log's segments and lock file live (default ./data). */
  dataDir: string;
  /**
   * PEER_TIMEOUT_MS: how long a query fanned out to other collectors waits for each of them
   * (src/cluster/peer-client.ts) before answering without it, flagged partial. Unused on a
   * single node.
   */
  peerTimeoutMs: number;
  /** Cluster mode (src/cluster/), on when NATS_URL is set; undefined: the single node. */
  cluster: ClusterConfig | undefined;
}

export interface ClusterConfig {
  /** NATS_URL: the NATS servers, e.g. nats://h1:4222,nats://h2:4222. */
  natsUrls: string[];
  /** NODE_ID: this node's name in leases and presence; default host:port. */
  nodeId: string;
  /** ADVERTISE_URL: how the other nodes reach this node's HTTP API; default http://host:port. */
  advertiseUrl: string;
  /** PARTITIONS: partitions of the stream, fixed for its life (a mismatch stops start-up). */
  partitions: number;
  /** NATS_REPLICAS: replicas of the stream and the lease bucket. */
  replicas: number;
  /** LEASE_TTL_MS: a partition lease not renewed this long is free for another node. */
  leaseTtlMs: number;
}

export interface SamplingConfig {
  /** SAMPLING_RATE: head sampling, the share of trace ids kept, in (0, 1]. */
  rate: number;
  /** TAIL_SAMPLING=on. */
  tail: boolean;
  /** TAIL_SLOW_MS: keep traces whose root lasted at least this long; unset: only the p99 rule. */
  tailSlowMs: number | undefined;
  /** TAIL_KEEP_RATE: share of the other traces kept, in [0, 1]. */
  tailKeepRate: number;
  /** TAIL_DECISION_SECONDS: a trace is decided once quiet for this long. */
  tailDecisionSeconds: number;
  /** TAIL_BUFFER_SPANS: spans waiting for decisions at most. */
  tailBufferSpans: number;
  /** TAIL_BUFFER_BYTES: heap bytes of waiting spans at most; default an eighth of the V8 heap. */
  tailBufferBytes: number;
}

/** Default TAIL_BUFFER_SPANS: about 100 MB of waiting span objects. */
export const DEFAULT_TAIL_BUFFER_SPANS = 250_000;

/**
 * Default INGEST_DELAY_TARGET_MS. An accepted batch also waits for its group's durable write and
 * for the event loop to come round (15–25 ms at p50 in an open loop at twice capacity), so a
 * longer queue only lengthens answers that are already the longest. Busy closed loops are not
 * refused at 10 ms: the controller acts on the shortest wait of 100 ms, and their waves empty
 * the queue (0–0.9% refused in bench:overload's five closed loops, 2026-12-07). A closed loop
 * refused only comes straight back.
 */
export const DEFAULT_INGEST_DELAY_TARGET_MS = 10;

/**
 * Default MAX_ENDPOINTS. Real fleets hold hundreds to a few thousand pairs; a pair costs up to
 * ~1 KB of names plus a latency sketch per minute it appears in, so 10,000 pairs stay within tens
 * of MB even with 256-byte names, while a service that puts ids in its operation names cannot
 * grow the table (or GET /services) without bound.
 */
export const DEFAULT_MAX_ENDPOINTS = 10_000;

/**
 * Default QUERY_SCAN_BUDGET. A unit (a span read from its trace's chain or tag text, a row tested
 * from its root words) costs 450–650 ns here (a 200k-trace store, tag and bloom-name searches).
 * At 64,000 the worst searches held the loop 70 ms with their page's summaries and JSON; at
 * 32,000, 24–44 ms (npm run bench:bounded): under the 50 ms that any query may take.
 */
export const DEFAULT_QUERY_SCAN_BUDGET = 32_000;

/** Default PARTITIONS: twice as many as nodes a first cluster is likely to run, so shares stay even. */
export const DEFAULT_PARTITIONS = 16;

/**
 * Default LEASE_TTL_MS. A dead node's partitions are taken over after at most this long (plus the
 * replay), and a live one renews every quarter of it, so it survives three lost heartbeats.
 */
export const DEFAULT_LEASE_TTL_MS = 5000;

/** Default MAX_LOGS: logs are plain objects on the JS heap (~150 bytes plus text each). */
export const DEFAULT_MAX_LOGS = 200_000;
/** MAX_LOG_BODY_BYTES unless set (the SDK's log shipper cuts its batches at the same size). */
export const DEFAULT_MAX_LOG_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Default MAX_OTLP_SPANS_PER_REQUEST. One OTLP request is decoded, mapped and stored in one turn
 * of the event loop, so its size bounds how long everything else waits: 20–40 µs a span with a
 * dozen attributes (bench/otlp-request-cost.ts): 50–85 ms at 2048, 230–440 ms at 8192 (the
 * Collector's batch size). SDKs' BatchSpanProcessor sends at most 512; a Collector needs
 * send_batch_max_size set (unlimited by default, so no cap would fit it unconfigured).
 */
export const DEFAULT_MAX_OTLP_SPANS_PER_REQUEST = 2048;

/**
 * Default REQUEST_TIMEOUT_MS. OpenTelemetry exporters give up on a request after 10 s, so a body
 * still arriving after 30 s has no one waiting for its answer; and a full 16 MiB body still
 * arrives in that time at 4.5 Mbit/s.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Default SHUTDOWN_GRACE_MS. Admitted batches and queries are answered in milliseconds, so this is
 * for slow clients only; 10 s also leaves a third of Kubernetes' default 30 s before SIGKILL.
 */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * Default PEER_TIMEOUT_MS. A peer answers a 1000-trace page or the window's statistics in tens of
 * milliseconds; one that has not answered in 2 s is down or stalled, and the dashboard polls
 * again within seconds anyway, so waiting longer only delays every fanned-out query.
 */
export const DEFAULT_PEER_TIMEOUT_MS = 2000;

/**
 * Default MAX_INFLIGHT_BODY_BYTES: a sixteenth of the machine's memory, at most 1 GiB, and never
 * less than one largest body. Span bytes may take half the memory (MAX_SPAN_BYTES), and a body
 * costs several times its size again while it is parsed; a sixteenth leaves room for both. 1 GiB
 * is 64 bodies of 16 MiB, or thousands of ordinary batches (500 spans are ~150 KB), at once.
 */
export function defaultMaxInflightBodyBytes(totalMemoryBytes: number, maxBodyBytes: number): number {
  return Math.max(maxBodyBytes, Math.min(2 ** 30, Math.floor(totalMemoryBytes / 16)));
}

/**
 * Bytes a span may cost on average when the default budget is derived: the bucket store needs
 * about 80 with empty tags (bench/memory.ts); the rest leaves room for tags and request buffers.
 */
export const BUDGET_BYTES_PER_SPAN = 200;

/**
 * Default MAX_LOG_BYTES: a quarter of the V8 heap. Logs are the only large thing on the heap
 * that a client controls (span columns and tag text live outside it), and the heap guard refuses
 * spans past 85%: this way logs alone cannot get there.
 */
export function defaultMaxLogBytes(heapLimitBytes: number): number {
  return Math.floor(heapLimitBytes / 4);
}

/** Default MAX_SPANS: half of the machine's memory at BUDGET_BYTES_PER_SPAN. */
export function defaultMaxSpans(totalMemoryBytes: number): number {
  return Math.max(100_000, Math.floor(totalMemoryBytes / 2 / BUDGET_BYTES_PER_SPAN));
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A configuration problem; its message is the one line shown at start-up. */
export class ConfigError extends Error {}

/** The trimmed value, or undefined when unset or empty (compose files often write `VAR=`). */
function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  const parsed = Number(raw);
  if (parsed < min || parsed > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${parsed}`);
  return parsed;
}

/** A decimal such as 0.25 or 1, within [min, max] (or (min, max] when minExclusive). */
function fraction(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, minExclusive: boolean): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const range = `${minExclusive ? 'greater than' : 'from'} ${min} ${minExclusive ? 'and at most' : 'to'} ${max}`;
  if (!/^(?:\d+\.?\d*|\.\d+)$/.test(raw)) throw new ConfigError(`${name} must be a decimal number ${range}, got "${raw}"`);
  const parsed = Number(raw);
  if (parsed > max || parsed < min || (minExclusive && parsed === min)) throw new ConfigError(`${name} must be ${range}, got ${raw}`);
  return parsed;
}

/** Settings that no longer exist, and what replaced them: set, they stop start-up. */
const RETIRED: Record<string, string> = {
  MAX_EVENT_LOOP_LAG_MS: 'INGEST_DELAY_TARGET_MS (how long ingest may wait to be stored; 0 never sheds)',
  MAX_EVENT_LOOP_UTILIZATION: 'INGEST_DELAY_TARGET_MS (how long ingest may wait to be stored; 0 never sheds)',
};

function refuseRetired(env: NodeJS.ProcessEnv): void {
  for (const [name, replacement] of Object.entries(RETIRED)) {
    if (value(env, name) !== undefined) {
      throw new ConfigError(`${name} is no longer a setting: overload is now judged by queueing delay, set ${replacement}`);
    }
  }
}

function storageMode(env: NodeJS.ProcessEnv): 'disk' | 'memory' {
  const raw = value(env, 'STORAGE')?.toLowerCase() ?? 'disk';
  if (raw !== 'disk' && raw !== 'memory') throw new ConfigError(`STORAGE must be disk or memory, got "${env.STORAGE}"`);
  return raw;
}

/**
 * The cluster settings, validated whether or not NATS_URL turns cluster mode on (a typo is found
 * before the day it matters). The defaults name this node by the address it listens on; with
 * HOST=0.0.0.0 (the default) that address is the machine's host name, since 0.0.0.0 reaches no peer.
 */
function clusterConfig(env: NodeJS.ProcessEnv, host: string, port: number, machineName: string): ClusterConfig | undefined {
  const rawUrls = value(env, 'NATS_URL');
  const natsUrls = rawUrls === undefined ? [] : rawUrls.split(',').map((url) => url.trim());
  for (const url of natsUrls) {
    if (!/^(?:nats|tls):\/\/[^\s/,]+$/.test(url)) throw new ConfigError(`NATS_URL must be a comma-separated list of nats://host:port, got "${url}"`);
  }
  const reachable = host === '0.0.0.0' || host === '::' ? machineName : host;
  const nodeId = value(env, 'NODE_ID') ?? `${reachable}:${port}`;
  if (nodeId.length > 200 || /[\s\x00-\x1f]/.test(nodeId)) throw new ConfigError(`NODE_ID must be at most 200 characters without spaces, got "${env.NODE_ID}"`);
  const advertiseUrl = value(env, 'ADVERTISE_URL') ?? `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  if (!/^https?:\/\/[^/\s]+\/?$/.test(advertiseUrl)) throw new ConfigError(`ADVERTISE_URL must be an origin like http://10.0.0.5:8080, got "${advertiseUrl}"`);
  const partitions = integer(env, 'PARTITIONS', DEFAULT_PARTITIONS, 1, 4096);
  // JetStream replicates a stream on at most 5 servers.
  const replicas = integer(env, 'NATS_REPLICAS', 1, 1, 5);
  const leaseTtlMs = integer(env, 'LEASE_TTL_MS', DEFAULT_LEASE_TTL_MS, 1000, 600_000);
  if (natsUrls.length === 0) return undefined;
  return { natsUrls, nodeId, advertiseUrl: advertiseUrl.replace(/\/$/, ''), partitions, replicas, leaseTtlMs };
}

function onOff(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined || raw === 'off' || raw === 'false' || raw === '0') return false;
  if (raw === 'on' || raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
}

function samplingConfig(env: NodeJS.ProcessEnv, windowMinutes: number, heapLimitBytes: number): SamplingConfig {
  const sampling: SamplingConfig = {
    rate: fraction(env, 'SAMPLING_RATE', 1, 0, 1, true),
    tail: onOff(env, 'TAIL_SAMPLING'),
    tailSlowMs: value(env, 'TAIL_SLOW_MS') === undefined ? undefined : integer(env, 'TAIL_SLOW_MS', 0, 0, 86_400_000),
    tailKeepRate: fraction(env, 'TAIL_KEEP_RATE', 0.1, 0, 1, false),
    tailDecisionSeconds: integer(env, 'TAIL_DECISION_SECONDS', 10, 1, 3600),
    tailBufferSpans: integer(env, 'TAIL_BUFFER_SPANS', DEFAULT_TAIL_BUFFER_SPANS, 1, 2 ** 31),
    // Waiting spans are objects on the heap, tags and all: their spans count alone cannot bound them.
    tailBufferBytes: integer(env, 'TAIL_BUFFER_BYTES', Math.floor(heapLimitBytes / 8), 1024 * 1024, 2 ** 50),
  };
  // Buffered spans must still be in the window when their trace is decided.
  if (sampling.tail && sampling.tailDecisionSeconds >= windowMinutes * 60) {
    throw new ConfigError(`TAIL_DECISION_SECONDS must be less than the window (${windowMinutes * 60} s), got ${sampling.tailDecisionSeconds}`);
  }
  return sampling;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, totalMemoryBytes = totalmem(), heapLimitBytes = getHeapStatistics().heap_size_limit, machineName = hostname()): Config {
  refuseRetired(env);
  const logLevel = (value(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const host = value(env, 'HOST') ?? '0.0.0.0';
  const cors = value(env, 'CORS_ORIGIN') ?? '*';
  let corsOrigin: true | string[] = true;
  if (cors !== '*') {
    corsOrigin = cors.split(',').map((o) => o.trim());
    for (const origin of corsOrigin) {
      if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
        throw new ConfigError(`CORS_ORIGIN must be * or a comma-separated list of origins like http://localhost:8081, got "${origin}"`);
      }
    }
  }
  // Up to a week: the ring of minute buckets is sized by the window.
  const windowMinutes = integer(env, 'WINDOW_MINUTES', 30, 1, 10_080);
  const maxBodyBytes = integer(env, 'MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  // A budget smaller than one largest body would refuse that body forever.
  const maxInflightBodyBytes = integer(env, 'MAX_INFLIGHT_BODY_BYTES', defaultMaxInflightBodyBytes(totalMemoryBytes, maxBodyBytes), 1024, 2 ** 50);
  if (maxInflightBodyBytes < maxBodyBytes) {
    throw new ConfigError(`MAX_INFLIGHT_BODY_BYTES must be at least MAX_BODY_BYTES (${maxBodyBytes}), so that one largest body fits, got ${maxInflightBodyBytes}`);
  }
  // A log batch is parsed, validated and stored in one turn of the event loop: 16 MiB of lines
  // held it 200–450 ms, 4 MiB about a quarter of that.
  const maxLogBodyBytes = integer(env, 'MAX_LOG_BODY_BYTES', Math.min(DEFAULT_MAX_LOG_BODY_BYTES, maxBodyBytes), 1024, 1024 * 1024 * 1024);
  if (maxLogBodyBytes > maxBodyBytes) {
    throw new ConfigError(`MAX_LOG_BODY_BYTES must be at most MAX_BODY_BYTES (${maxBodyBytes}), got ${maxLogBodyBytes}`);
  }
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const sampling = samplingConfig(env, windowMinutes, heapLimitBytes);
  const cluster = clusterConfig(env, host, port, machineName);
  // Tail decisions are swept on the app's one sampler; partition stores would wait for them forever.
  if (cluster !== undefined && sampling.tail) throw new ConfigError('TAIL_SAMPLING=on is not supported in cluster mode (NATS_URL) yet; use SAMPLING_RATE');
  return {
    port,
    host,
    // 4317 is the OTLP/gRPC port every OpenTelemetry SDK and Collector exporter defaults to.
    otlpGrpcPort: integer(env, 'OTLP_GRPC_PORT', 4317, 0, 65535),
    otlpGrpcHost: value(env, 'OTLP_GRPC_HOST') ?? host,
    windowMinutes,
    maxBodyBytes,
    logLevel: logLevel as LogLevel,
    corsOrigin,
    maxSpans: integer(env, 'MAX_SPANS', defaultMaxSpans(totalMemoryBytes), 1, 2 ** 40),
    ingestDelayTargetMs: integer(env, 'INGEST_DELAY_TARGET_MS', DEFAULT_INGEST_DELAY_TARGET_MS, 0, 10_000),
    maxEndpoints: integer(env, 'MAX_ENDPOINTS', DEFAULT_MAX_ENDPOINTS, 1, 10_000_000),
    maxSpanBytes: integer(env, 'MAX_SPAN_BYTES', Math.floor(totalMemoryBytes / 2), 1024 * 1024, 2 ** 50),
    maxLogBytes: integer(env, 'MAX_LOG_BYTES', defaultMaxLogBytes(heapLimitBytes), 1024 * 1024, 2 ** 50),
    queryScanBudget: integer(env, 'QUERY_SCAN_BUDGET', DEFAULT_QUERY_SCAN_BUDGET, 1000, 2 ** 40),
    maxLogs: integer(env, 'MAX_LOGS', DEFAULT_MAX_LOGS, 1, 2 ** 32),
    maxLogBodyBytes,
    maxOtlpSpansPerRequest: integer(env, 'MAX_OTLP_SPANS_PER_REQUEST', DEFAULT_MAX_OTLP_SPANS_PER_REQUEST, 1, 1_000_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 100, 600_000),
    maxInflightBodyBytes,
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', DEFAULT_SHUTDOWN_GRACE_MS, 0, 600_000),
    sampling,
    storage: storageMode(env),
    dataDir: value(env, 'DATA_DIR') ?? './data',
    peerTimeoutMs: integer(env, 'PEER_TIMEOUT_MS', DEFAULT_PEER_TIMEOUT_MS, 10, 600_000),
    cluster,
  };
}
