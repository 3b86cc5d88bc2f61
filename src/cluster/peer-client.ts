// Another collector's stores, asked over HTTP: a source of the merged store
// (src/store/merged-store.ts) like a local store, through the internal query routes
// (src/http/internal-query.ts, schemas/internal.ts).
//
// Each question has a deadline (PEER_TIMEOUT_MS) covering connect, headers and the whole body, and
// a cap on the body's size; an answer that misses either, is not 200, is not JSON or is not the
// promised form (peer-wire.ts) rejects, and the merged answer goes on without this peer and says
// so. A peer that hangs therefore costs a query at most the deadline, never a hung request.

import { isUtf8 } from 'node:buffer';
import { Agent, get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import type { QuerySource } from '../store/merged-store.js';
import type { DependencyReport, LatencyReport, ListQuery, RangeQuery, StoreStats, TraceDetail, TraceList } from '../store/store-shapes.js';
import { encodeMinimums, type PublishedSequences } from './fanout-read-barrier.js';
import { decodeDependencies, decodeLatency, decodeStoreStats, decodeTrace, decodeTraceList, PeerAnswerError } from './peer-wire.js';

export interface PeerClientOptions {
  /** The peer's HTTP API, e.g. http://10.0.0.7:8080 (its ADVERTISE_URL). */
  baseUrl: string;
  /** Deadline of one question, connect to last byte. */
  timeoutMs: number;
  /**
   * Largest answer read. A 1000-trace page is ~300 KB and statistics of 10,000 endpoints a few MB;
   * the default leaves room for both and bounds what a broken peer can make this node hold.
   */
  maxAnswerBytes?: number;
  /**
   * Read-your-writes: what this node has published, per partition; every question carries it as
   * `min_applied`, and the peer waits briefly for the partitions it owns to apply that much.
   */
  published?: PublishedSequences;
}

const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** The internal list query: GET /traces's filters, exact times, the position unencoded. */
export function listQueryParams(query: ListQuery): URLSearchParams {
  const params = new URLSearchParams();
  params.set('limit', String(query.limit));
  if (query.after !== undefined) params.set('after', query.after);
  if (query.before !== undefined) params.set('before', query.before);
  const f = query.filter ?? {};
  if (f.service !== undefined) params.set('service', f.service);
  if (f.rootService !== undefined) params.set('root_service', f.rootService);
  if (f.operation !== undefined) params.set('operation', f.operation);
  if (f.status !== undefined) params.set('status', f.status);
  if (f.minDurationMs !== undefined) params.set('min_duration_ms', String(f.minDurationMs));
  if (f.maxDurationMs !== undefined) params.set('max_duration_ms', String(f.maxDurationMs));
  for (const t of f.tags ?? []) params.append('tag', `${t.key}:${t.value}`);
  if (f.partial !== undefined) params.set('partial', String(f.partial));
  if (query.cursor !== undefined) {
    params.set('cursor_start_time', query.cursor.startTime);
    params.set('cursor_trace_id', query.cursor.traceId);
  }
  return params;
}

function rangeParams(range: RangeQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (range.after !== undefined) params.set('after', range.after);
  if (range.before !== undefined) params.set('before', range.before);
  return params;
}

export class PeerClient implements QuerySource {
  private readonly base: string;
  private readonly maxAnswerBytes: number;
  /** Connections kept open between questions: a fanned-out query should not pay a TCP handshake. */
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly options: PeerClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  }

  /** Closes the kept-alive connections (the app's onClose). */
  close(): void {
    this.agent.destroy();
  }

  get name(): string {
    return this.base;
  }

  /**
   * This peer asked for some partitions only (cluster mode: those its leases name it owner of,
   * as this node read them); it names the ones it no longer owns, so a moved lease is flagged
   * instead of missed.
   */
  scoped(partitions: readonly number[]): QuerySource {
    const scope = partitions.join(',');
    return {
      listTraces: (query) => this.listTraces(query, scope),
      getTrace: (traceId) => this.getTrace(traceId, scope),
      latency: (range) => this.latency(range, scope),
      dependencies: (range) => this.dependencies(range, scope),
      stats: () => this.stats(),
    };
  }

  /** GET of an internal route, its body parsed as JSON, within the deadline and the size cap. */
  private async getJson(path: string, params = new URLSearchParams(), scope?: string): Promise<unknown> {
    const minimums = this.options.published?.();
    if (minimums !== undefined && minimums.size > 0) params.set('min_applied', encodeMinimums(minimums));
    if (scope !== undefined) params.set('partitions', scope);
    const query = params.size === 0 ? '' : `?${params.toString()}`;
    const body = await this.get(`${this.base}${path}${query}`, path);
    // isUtf8 first: an answer that is not UTF-8 is garbage, not text with U+FFFD in it.
    if (!isUtf8(body)) throw new PeerAnswerError(`${this.base}${path} answered bytes that are not UTF-8`);
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw new PeerAnswerError(`${this.base}${path} answered something other than JSON`);
    }
  }

  /**
   * The body of a 200, or a PeerAnswerError: one timer covers connect, headers and body. Plain
   * node:http on a keep-alive agent rather than fetch(), whose web streams cost CPU on the path
   * of every fanned-out listing (bench/fanout.ts reports the CPU per request).
   */
  private get(url: string, path: string): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, body?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error !== undefined) {
          request.destroy();
          reject(error instanceof PeerAnswerError ? error : new PeerAnswerError(`${this.base}${path}: ${error.message}`));
        } else resolve(body!);
      };
      const onResponse = (response: IncomingMessage): void => {
        if (response.statusCode !== 200) {
          response.resume();
          return finish(new PeerAnswerError(`${this.base}${path} answered ${response.statusCode}`));
        }
        const declared = Number(response.headers['content-length'] ?? NaN);
        if (declared > this.maxAnswerBytes) return finish(new PeerAnswerError(`${this.base} answered ${declared} bytes, more than ${this.maxAnswerBytes}`));
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > this.maxAnswerBytes) finish(new PeerAnswerError(`${this.base} answered more than ${this.maxAnswerBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes)));
        response.on('error', (error) => finish(error));
        response.on('aborted', () => finish(new Error('the answer was cut off')));
      };
      let request: ClientRequest;
      try {
        request = httpGet(url, { agent: this.agent, headers: { accept: 'application/json' } }, onResponse);
      } catch (error) {
        // A URL node:http cannot ask (another protocol): refused before any timer or socket.
        settled = true;
        return reject(new PeerAnswerError(`${this.base}${path}: ${(error as Error).message}`));
      }
      const timer = setTimeout(() => finish(new PeerAnswerError(`${this.base}${path}: no whole answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      request.on('error', (error) => finish(error));
    });
  }

  private prefixed<T>(path: string, decode: () => T): T {
    try {
      return decode();
    } catch (error) {
      if (error instanceof PeerAnswerError) throw new PeerAnswerError(`${this.base}${path}: ${error.message}`);
      throw error;
    }
  }

  async listTraces(query: ListQuery, scope?: string): Promise<TraceList> {
    const value = await this.getJson('/internal/v1/traces', listQueryParams(query), scope);
    return this.prefixed('/internal/v1/traces', () => decodeTraceList(value, query.limit));
  }

  async getTrace(traceId: string, scope?: string): Promise<TraceDetail | undefined> {
    const path = `/internal/v1/traces/${encodeURIComponent(traceId)}`;
    const value = await this.getJson(path, undefined, scope);
    return this.prefixed(path, () => decodeTrace(value, traceId));
  }

  async latency(range: RangeQuery, scope?: string): Promise<LatencyReport> {
    const value = await this.getJson('/internal/v1/latency', rangeParams(range), scope);
    return this.prefixed('/internal/v1/latency', () => decodeLatency(value));
  }

  async dependencies(range: RangeQuery, scope?: string): Promise<DependencyReport> {
    const value = await this.getJson('/internal/v1/dependencies', rangeParams(range), scope);
    return this.prefixed('/internal/v1/dependencies', () => decodeDependencies(value));
  }

  async stats(): Promise<StoreStats> {
    const value = await this.getJson('/internal/v1/store-stats');
    return this.prefixed('/internal/v1/store-stats', () => decodeStoreStats(value));
  }
}
