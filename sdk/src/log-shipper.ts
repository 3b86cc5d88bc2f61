import { nowNs } from './clock.js';
import { suppressTracing } from './context.js';
import { unwrapFetch } from './fetch.js';
import { isUuid } from './ids.js';
import { MAX_TAG_KEY_LENGTH, truncate } from './limits.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';
import { RingBuffer } from './ring-buffer.js';

/** Limits of the collector's POST /logs (openapi.yaml, LogRecord / LogIngestRequest). */
export const MAX_LOGS_PER_REQUEST = 500;
/** The collector's default MAX_LOG_BODY_BYTES: a request body larger than this is answered 413. */
export const MAX_LOG_BODY_BYTES = 4 * 1024 * 1024;
/** `{"logs":[` and `]}` around the lines. */
const BODY_FRAME_BYTES = 11;
const MAX_MESSAGE_LENGTH = 8192;
const MAX_ATTRIBUTES = 50;
const MAX_ATTRIBUTE_LENGTH = 1024;
const MAX_SERVICE_LENGTH = 256;

export interface TracedLogShipperOptions {
  /** Collector base URL, e.g. `http://localhost:8080`; lines go to `{url}/logs`. */
  readonly url: string;
  /** `service` of every line (1-256 characters). */
  readonly service: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Lines held while waiting to be sent; past it the OLDEST are dropped and counted. Default 10,000. */
  readonly maxQueueSize?: number;
  /** Lines per request, at most 500. Default 500. */
  readonly maxBatchSize?: number;
  /** Bytes per request body, at most the collector's MAX_LOG_BODY_BYTES. Default 4 MiB, its default. */
  readonly maxBatchBytes?: number;
  /** A partial batch waits at most this long. Default 1,000 ms. */
  readonly scheduledDelayMs?: number;
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Fields of a pino line not copied into `attributes`. Default `pid`, `hostname`. */
  readonly omitFields?: readonly string[];
  /** Key of the message in a pino line. Default `msg`. */
  readonly messageKey?: string;
  readonly fetch?: typeof fetch;
}

export interface TracedLogShipperStats {
  bufferedLines: number;
  /** Lines the collector accepted (its `accepted` count). */
  sentLines: number;
  /** Lines without a `trace_id`: the collector files logs by trace, so they are not sent. */
  uncorrelatedLines: number;
  /** Lines lost: buffer overflow, not JSON, given up after retries, or left at shutdown. */
  droppedLines: number;
}

const PINO_LEVELS: ReadonlyArray<[number, string]> = [
  [60, 'fatal'],
  [50, 'error'],
  [40, 'warn'],
  [30, 'info'],
  [20, 'debug'],
  [10, 'trace'],
];
const LEVEL_NAMES = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const CONSUMED_FIELDS = ['level', 'time', 'trace_id', 'span_id'];

function levelName(level: unknown): string {
  if (typeof level === 'string') return LEVEL_NAMES.has(level) ? level : 'info';
  if (typeof level !== 'number') return 'info';
  for (const [value, name] of PINO_LEVELS) if (level >= value) return name;
  return 'trace';
}

/**
 * The line's time as exact Unix nanoseconds. pino writes `time` as epoch milliseconds by default;
 * with `timestamp: nanosecondTimestamp` it writes nanoseconds. The digits are read from the raw
 * line (JSON.parse would round a 19-digit number): values above 10^15 are nanoseconds.
 */
function timeOf(line: string, parsed: Record<string, unknown>): bigint {
  const literal = /"time":(\d{1,19})[,}]/.exec(line)?.[1];
  if (literal !== undefined) {
    const value = BigInt(literal);
    return value > 1_000_000_000_000_000n ? value : value * 1_000_000n;
  }
  if (typeof parsed.time === 'string') {
    const ms = Date.parse(parsed.time);
    if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n;
  }
  return nowNs();
}

/** For pino's `timestamp` option: `time` in nanoseconds from the SDK's clock, the clock spans use. */
export function nanosecondTimestamp(): string {
  return `,"time":${nowNs()}`;
}

/**
 * A pino destination that ships log lines to the collector's `POST /logs`, where
 * `GET /traces/{id}/logs` shows them beside the trace. Use it with `pinoTraceMixin()` so lines
 * carry `trace_id` / `span_id`:
 *
 *   const shipper = new TracedLogShipper({ url: 'http://localhost:8080', service: 'checkout' });
 *   const log = pino({ mixin: pinoTraceMixin(), timestamp: nanosecondTimestamp }, shipper);
 *   // or beside stdout: pino({ mixin: pinoTraceMixin() }, pino.multistream([process.stdout, shipper]))
 *
 * Like the span exporter it never blocks or throws into the application: `write()` encodes the
 * line and pushes it into a bounded buffer; batches leave from an unref'd timer, one request at a
 * time, retried on 429/502/503/504 and network errors (honouring Retry-After), with tracing
 * suppressed. `attributes` are the line's other fields as strings (objects as JSON), `level` the
 * pino level's name; lines without `trace_id` are counted and not sent.
 */
export class TracedLogShipper {
  private readonly endpoint: string;
  private readonly service: string;
  private readonly headers: Record<string, string>;
  private readonly buffer: RingBuffer<string>;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly delayMs: number;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly skipFields: Set<string>;
  private readonly messageKey: string;
  private readonly fetchImpl: typeof fetch;
  private readonly stopController = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private stopped = false;
  private readonly counters = { sentLines: 0, uncorrelatedLines: 0, droppedLines: 0 };

  constructor(options: TracedLogShipperOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/logs`;
    new URL(this.endpoint); // a configuration error fails at start-up
    if (options.service.length === 0 || options.service.length > MAX_SERVICE_LENGTH) {
      throw new RangeError(`service must be 1-${MAX_SERVICE_LENGTH} characters`);
    }
    this.service = options.service;
    this.headers = { 'content-type': 'application/json', ...options.headers };
    this.buffer = new RingBuffer(options.maxQueueSize ?? 10_000);
    this.maxBatch = Math.max(1, Math.min(options.maxBatchSize ?? MAX_LOGS_PER_REQUEST, MAX_LOGS_PER_REQUEST));
    this.maxBatchBytes = options.maxBatchBytes ?? MAX_LOG_BODY_BYTES;
    this.delayMs = options.scheduledDelayMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.messageKey = options.messageKey ?? 'msg';
    this.skipFields = new Set([...CONSUMED_FIELDS, this.messageKey, ...(options.omitFields ?? ['pid', 'hostname'])]);
    this.fetchImpl = unwrapFetch(options.fetch ?? globalThis.fetch);
  }

  stats(): Readonly<TracedLogShipperStats> {
    return { bufferedLines: this.buffer.size, ...this.counters };
  }

  /** pino's destination interface: one serialized line per call. Never throws. */
  write(line: string): boolean {
    if (this.stopped) {
      this.counters.droppedLines++;
      return true;
    }
    let record: string | undefined;
    try {
      record = this.encode(line);
    } catch {
      this.counters.droppedLines++; // not a JSON object
      return true;
    }
    if (record === undefined) {
      this.counters.uncorrelatedLines++;
      return true;
    }
    if (this.buffer.push(record)) this.counters.droppedLines++;
    if (this.buffer.size >= this.maxBatch) this.schedule(0);
    else this.schedule(this.delayMs);
    return true;
  }

  /** Sends everything buffered now. Resolves, never rejects. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.sending !== undefined) await this.sending;
    while (this.buffer.size > 0 && !this.stopController.signal.aborted) {
      if (!(await this.sendBatch())) break;
    }
  }

  /** Flushes, then stops: later lines are dropped and counted. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.flush();
    this.stopped = true;
    this.clearTimer();
    this.counters.droppedLines += this.buffer.clear();
    this.stopController.abort();
  }

  /** The line as a LogRecord's JSON text, or undefined when it carries no trace_id. */
  private encode(line: string): string | undefined {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (parsed === null || typeof parsed !== 'object') throw new TypeError('not a JSON object');
    const traceId = parsed.trace_id;
    if (typeof traceId !== 'string' || !isUuid(traceId)) return undefined;
    const spanId = parsed.span_id;
    const message = parsed[this.messageKey];
    let out = `{"time":${timeOf(line, parsed)},"trace_id":"${traceId.toLowerCase()}"`;
    if (typeof spanId === 'string' && isUuid(spanId)) out += `,"span_id":"${spanId.toLowerCase()}"`;
    out += `,"service":${JSON.stringify(this.service)},"level":"${levelName(parsed.level)}"`;
    out += `,"message":${JSON.stringify(truncate(typeof message === 'string' ? message : message === undefined ? '' : JSON.stringify(message), MAX_MESSAGE_LENGTH))}`;
    let attributes = '';
    let count = 0;
    for (const key of Object.keys(parsed)) {
      if (this.skipFields.has(key) || count >= MAX_ATTRIBUTES || key.length > MAX_TAG_KEY_LENGTH) continue;
      const value = parsed[key];
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (text === undefined) continue;
      attributes += `${count === 0 ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(truncate(text, MAX_ATTRIBUTE_LENGTH))}`;
      count++;
    }
    if (count > 0) out += `,"attributes":{${attributes}}`;
    return out + '}';
  }

  private schedule(delayMs: number): void {
    if (this.sending !== undefined) return; // the running send picks up what is buffered
    if (this.timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delayMs);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Timer entry: one batch, then more while full ones are ready; the rest waits for the timer. */
  private async drain(): Promise<void> {
    while (this.sending === undefined && this.buffer.size > 0 && !this.stopped) {
      const ok = await this.sendBatch();
      if (!ok || this.buffer.size < this.maxBatch) break;
    }
    if (this.buffer.size > 0 && !this.stopped) this.schedule(this.delayMs);
  }

  private sendBatch(): Promise<boolean> {
    // Each line costs its UTF-8 bytes and a comma; the frame is counted up front.
    const batch = this.buffer.take(this.maxBatch, (line) => Buffer.byteLength(line, 'utf8') + 1, this.maxBatchBytes - BODY_FRAME_BYTES);
    const sending = suppressTracing(() => this.post(batch));
    this.sending = sending.then(() => undefined);
    return sending.finally(() => {
      this.sending = undefined;
    });
  }

  private async post(batch: string[]): Promise<boolean> {
    const body = `{"logs":[${batch.join(',')}]}`;
    const stop = this.stopController.signal;
    for (let attempt = 1; ; attempt++) {
      let retryable = false;
      let retryAfterMs: number | undefined;
      const timeout = AbortSignal.timeout(this.timeoutMs);
      try {
        const response = await this.fetchImpl(this.endpoint, { method: 'POST', headers: this.headers, body, signal: timeout });
        const text = await response.text();
        if (response.ok) {
          let accepted = batch.length;
          try {
            const parsed = JSON.parse(text) as { accepted?: unknown };
            if (typeof parsed.accepted === 'number') accepted = parsed.accepted;
          } catch {
            // A 2xx without counts still means the batch was taken.
          }
          this.counters.sentLines += accepted;
          return true;
        }
        retryable = isRetryableStatus(response.status);
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      } catch {
        retryable = true; // connection refused, reset, timeout
      }
      if (!retryable || attempt >= this.policy.maxAttempts || stop.aborted) {
        this.counters.droppedLines += batch.length;
        return false;
      }
      await sleep(backoffDelayMs(this.policy, attempt, retryAfterMs), stop);
    }
  }
}
