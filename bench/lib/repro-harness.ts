// What every reproduction of issue 14 (bench/reproductions.ts) needs: a real collector process
// (src/main.ts, the shipped defaults plus what the reproduction sets) on a free loopback port, a
// /health probe in a process of its own, one-shot raw requests, /metrics readings, and the row
// each reproduction reports. Raw sockets rather than an HTTP client: several reproductions send
// what no client would (15 MiB bodies left unfinished, bytes that are not UTF-8).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtobufStatus } from '../../src/otlp/protobuf-codec.js';
import { projectRoot } from '../../src/http/paths.js';
import { startWorker } from './child.js';
import { ResponseReader } from './raw-http-client.js';
import { COLLECTOR_NODE_FLAGS } from '../../src/node-flags.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Resolves after `ms`, without keeping the process alive: for the losing side of a race. */
export const expire = (ms: number) => new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref());
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** A UUID unique to this run (`run`), to the reproduction (`kind`) and to `n`. */
export const uuidOf = (run: number, kind: number, n: number) => `${hex(run, 8)}-${hex(kind, 4)}-4000-8000-${hex(n, 12)}`;
export const runId = () => Math.floor(Math.random() * 0xffffffff);
export const nowNs = () => BigInt(Date.now()) * 1_000_000n;

// Settings of src/config.ts: unset in the collector's environment, so that it runs with the
// shipped defaults whatever the shell running the bench has exported.
const CONFIG_VARIABLES = /^(PORT|HOST|OTLP_GRPC_\w+|WINDOW_MINUTES|MAX_BODY_BYTES|LOG_LEVEL|CORS_ORIGIN|MAX_SPANS|INGEST_DELAY_TARGET_MS|MAX_ENDPOINTS|MAX_SPAN_BYTES|MAX_LOG_BYTES|MAX_LOG_BODY_BYTES|STORAGE|DATA_DIR|QUERY_SCAN_BUDGET|MAX_LOGS|MAX_OTLP_SPANS_PER_REQUEST|REQUEST_TIMEOUT_MS|MAX_INFLIGHT_BODY_BYTES|SHUTDOWN_GRACE_MS|SAMPLING_RATE|TAIL_\w+)$/;

export interface Collector {
  pid: number;
  port: number;
  child: ChildProcess;
  /** Resolves with how and when (performance.now()) the process ended. */
  exited: Promise<{ code: number | null; signal: string | null; atMs: number }>;
  running: () => boolean;
  /** The last lines the process wrote (it logs to a file in its temporary directory). */
  logTail: (chars?: number) => string;
  /** SIGTERM, then SIGKILL after 20 s; removes the temporary directory unless asked to keep it. */
  stop: (keepLog?: boolean) => Promise<void>;
}

/**
 * src/main.ts in a process of its own, on a free port of 127.0.0.1 (PORT=0: the kernel picks, and
 * the port is read from the "listening at" line, so LOG_LEVEL must stay at info or below).
 */
export async function startCollector(env: Record<string, string> = {}): Promise<Collector> {
  const dir = mkdtempSync(join(tmpdir(), 'traced-repro-'));
  const logPath = join(dir, 'collector.log');
  const logFd = openSync(logPath, 'a');
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONFIG_VARIABLES.test(k)));
  // Output goes straight to a file: a load generator whose own loop is busy cannot stall it.
  const child = spawn(process.execPath, [...COLLECTOR_NODE_FLAGS, '--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    // The shipped defaults are durable: the ingest log goes in the run's own directory.
    env: { ...base, PORT: '0', OTLP_GRPC_PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(dir, 'data'), ...env },
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const exited = new Promise<{ code: number | null; signal: string | null; atMs: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() })),
  );
  const logTail = (chars = 2000) => {
    try {
      return readFileSync(logPath, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  };
  const running = () => child.exitCode === null && child.signalCode === null;
  let port = 0;
  for (const deadline = performance.now() + 60_000; port === 0; await sleep(50)) {
    const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(logTail(1_000_000));
    if (m?.[1] !== undefined) port = Number(m[1]);
    else if (!running() || performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the collector did not start: ${logTail()}`);
    }
  }
  return {
    pid: child.pid!,
    port,
    child,
    exited,
    running,
    logTail,
    stop: async (keepLog = false) => {
      if (running()) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(killer);
      }
      if (keepLog) process.stderr.write(`reproductions: collector log kept at ${logPath}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  /** The HTTP status, or 0 when no answer came (then `error` says why). */
  status: number;
  body: Buffer;
  ms: number;
  error?: string;
}

/**
 * One request on a connection of its own (closed after it), timed from the first byte written to
 * the last byte of the answer. Never rejects: a reset or a timeout is an answer of status 0. An
 * answer that comes before the body is all written (a refusal) ends the request.
 */
export function request(
  port: number,
  method: string,
  path: string,
  body?: Buffer | string,
  options: { contentType?: string; timeoutMs?: number; contentLength?: number } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const reader = new ResponseReader();
    let done = false;
    const finish = (answer: Omit<Answer, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...answer, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish({ status: 0, body: Buffer.alloc(0), error: 'no answer in time' }), options.timeoutMs ?? 60_000);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const headers = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    if (bytes !== undefined) headers.push(`Content-Type: ${options.contentType ?? 'application/json'}`, `Content-Length: ${options.contentLength ?? bytes.length}`);
    socket.on('connect', () => {
      socket.write(headers.join('\r\n') + '\r\n\r\n');
      if (bytes !== undefined) socket.write(bytes);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (r) => finish({ status: r.status, body: r.body }));
      } catch (error) {
        finish({ status: 0, body: Buffer.alloc(0), error: (error as Error).message });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, body: Buffer.alloc(0), error: error.code ?? error.message }));
    socket.on('close', () => finish({ status: 0, body: Buffer.alloc(0), error: 'closed without an answer' }));
  });
}

/** An answer's body as text: JSON as it is, a protobuf google.rpc.Status (OTLP) decoded. */
function bodyText(body: Buffer): string {
  if (body[0] === 0x08) {
    try {
      const status = decodeProtobufStatus(body);
      return `google.rpc.Status code ${status.code}: ${status.message}`;
    } catch {
      // not a Status after all: shown as text
    }
  }
  return body.toString('utf8');
}

/**
 * Answers by status code ("none" when no answer came), the body of the first that was not 2xx,
 * and each distinct non-2xx body (the first few) with its count: one flood can meet several limits.
 */
export class Answers {
  readonly byStatus: Record<string, number> = {};
  firstNon2xx: { status: number | string; body: string } | null = null;
  readonly refusals: Array<{ status: string; body: string; count: number }> = [];

  add(status: number | string, body: Buffer | string = ''): void {
    const key = status === 0 ? 'none' : String(status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    if (/^2\d\d$/.test(key)) return;
    // Control characters escaped; numbers that differ from one refusal to the next (held bytes,
    // heap shares) make no new entry.
    const text = (typeof body === 'string' ? body : bodyText(body)).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${hex(c.charCodeAt(0), 2)}`).slice(0, 300);
    this.firstNon2xx ??= { status: key, body: text };
    const shape = (t: string) => t.replace(/\d+/g, '#');
    const same = this.refusals.find((r) => r.status === key && shape(r.body) === shape(text));
    if (same !== undefined) same.count++;
    else if (this.refusals.length < 4) this.refusals.push({ status: key, body: text, count: 1 });
  }

  addAnswer(answer: Answer): Answer {
    this.add(answer.status, answer.status === 0 ? (answer.error ?? '') : answer.body);
    return answer;
  }
}

/** A sample's value from /metrics (the first series of that name), or undefined. */
export async function metric(port: number, name: string): Promise<number | undefined> {
  const answer = await request(port, 'GET', '/metrics', undefined, { timeoutMs: 30_000 });
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(answer.body.toString('latin1'));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Samples a gauge every `everyMs` until stopped; returns the highest value seen. */
export function sampleMax(port: number, name: string, everyMs: number): { stop: () => number } {
  let max = 0;
  let busy = false;
  const timer = setInterval(() => {
    // One sample at a time: under load a /metrics answer can take longer than the interval.
    if (busy) return;
    busy = true;
    void metric(port, name).then((v) => {
      busy = false;
      if (v !== undefined) max = Math.max(max, v);
    });
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return max;
    },
  };
}

export const mib = (bytes: number | undefined) => (bytes === undefined ? null : Math.round(bytes / 2 ** 20));

/** The process's peak resident set size so far (Linux: VmHWM), in bytes; undefined elsewhere. */
export function peakRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) the process has used so far (Linux: /proc); undefined elsewhere. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** A valid POST /spans body: `count` spans of fresh traces, ending now. */
export function validSpansBody(run: number, kind: number, from: number, count: number, tags?: Record<string, string>): Buffer {
  const now = nowNs();
  const spans: string[] = [];
  const tagsJson = tags === undefined ? '' : `,"tags":${JSON.stringify(tags)}`;
  for (let i = from; i < from + count; i++) {
    // Times as 19-digit literals: JSON.stringify cannot write an int64.
    spans.push(
      `{"trace_id":"${uuidOf(run, kind, i)}","span_id":"${uuidOf(run, kind | 0x8000, i)}","service":"checkout","operation":"GET /cart",` +
        `"start_time":${now - 2_000_000n},"end_time":${now},"status":"ok"${tagsJson}}`,
    );
  }
  return Buffer.from(`{"spans":[${spans.join(',')}]}`);
}

export interface HealthFigure {
  probes: number;
  worstMs: number | null;
  over100ms: Array<{ atMs: number; ms: number }>;
  failures: number;
  error?: string;
}

/** bench/lib/health-probe.ts: GET /health every 100 ms from its own process, until stopped. */
export async function startHealthProbe(port: number): Promise<{ stop: () => Promise<HealthFigure> }> {
  const worker = startWorker('bench/lib/health-probe.ts', [String(port), '100']);
  await worker.next();
  let result: Promise<HealthFigure> | undefined;
  const stop = async (): Promise<HealthFigure> => {
    worker.send({ stop: true });
    // A /health that never answers (a frozen collector) must not hang the bench.
    const timeout = expire(60_000).then(() => ({ error: 'the probe got no answer to its last /health within 60 s' }));
    const r = await Promise.race([worker.next<{ worstMs: number; count: number; slow: HealthFigure['over100ms']; failures: number }>(), timeout]).catch(
      (error: Error) => ({ error: error.message }),
    );
    await worker.stop();
    if ('error' in r) return { probes: 0, worstMs: null, over100ms: [], failures: 0, error: r.error };
    return { probes: r.count, worstMs: Number(r.worstMs.toFixed(1)), over100ms: r.slow, failures: r.failures };
  };
  return { stop: () => (result ??= stop()) };
}

export interface ReproRow {
  id: string;
  title: string;
  /** What the collector is documented to answer (README / TRADEOFFS "Budgets"). */
  expected: string;
  sent: string;
  answers: Record<string, number>;
  first_non_2xx: { status: number | string; body: string } | null;
  /** Each distinct non-2xx answer (the first four) and how many times it came. */
  refusals: Array<{ status: string; body: string; count: number }>;
  /** The figures that matter for this reproduction, in a few words (from `summarize`). */
  figures: string;
  stayed_up: boolean | string;
  health: HealthFigure;
  valid_batch_after: number | string;
  details: Record<string, unknown>;
  error?: string;
}

export interface ReproContext {
  collector: Collector;
  port: number;
  run: number;
  answers: Answers;
  details: Record<string, unknown>;
  /** Describe what was sent (the table's "sent" column). */
  sent: (text: string) => void;
  /** Stops the /health probe early (before a shutdown the reproduction causes itself). */
  stopProbe: () => Promise<HealthFigure>;
  /** For a reproduction that ends the process itself: what to report instead of the checks after. */
  ended?: { stayedUp: string; validBatch: string };
}

export interface Reproduction {
  id: string;
  title: string;
  expected: string;
  /** Settings of the reproduction itself, on top of the shipped defaults. */
  env?: Record<string, string>;
  body: (context: ReproContext) => Promise<void>;
  /** The table's "figures" cell, from what the body put in `details`. */
  summarize?: (details: Record<string, any>) => string;
}

/**
 * Runs one reproduction against a fresh collector: /health probed throughout; afterwards, whether
 * the process is up and answers a normal 10-span batch with 202. Never throws: a failure of the
 * bench itself is reported in the row's `error`, and a crashed collector keeps its log.
 */
export async function runReproduction(repro: Reproduction): Promise<ReproRow> {
  const collector = await startCollector(repro.env);
  const probe = await startHealthProbe(collector.port);
  const context: ReproContext = {
    collector,
    port: collector.port,
    run: runId(),
    answers: new Answers(),
    details: {},
    sent: (text) => (row.sent = text),
    stopProbe: probe.stop,
  };
  const row: ReproRow = {
    id: repro.id,
    title: repro.title,
    expected: repro.expected,
    sent: '',
    answers: {},
    first_non_2xx: null,
    refusals: [],
    figures: '',
    stayed_up: false,
    health: { probes: 0, worstMs: null, over100ms: [], failures: 0 },
    valid_batch_after: 'not checked',
    details: context.details,
  };
  try {
    await repro.body(context);
  } catch (error) {
    row.error = (error as Error).stack ?? String(error);
  }
  row.health = await probe.stop();
  row.answers = context.answers.byStatus;
  row.first_non_2xx = context.answers.firstNon2xx;
  row.refusals = context.answers.refusals;
  try {
    row.figures = repro.summarize?.(context.details) ?? '';
  } catch (error) {
    row.figures = `(no figures: ${(error as Error).message})`;
  }
  if (context.ended !== undefined) {
    row.stayed_up = context.ended.stayedUp;
    row.valid_batch_after = context.ended.validBatch;
  } else {
    const health = await request(collector.port, 'GET', '/health', undefined, { timeoutMs: 10_000 });
    row.stayed_up = collector.running() && health.status === 200;
    const after = await request(collector.port, 'POST', '/spans', validSpansBody(context.run, 0xfff, 0, 10), { timeoutMs: 10_000 });
    row.valid_batch_after = after.status === 0 ? (after.error ?? 'no answer') : after.status;
  }
  if (!collector.running() && context.ended === undefined) row.details.collector_log_tail = collector.logTail(1500);
  await collector.stop(row.stayed_up === false);
  return row;
}
