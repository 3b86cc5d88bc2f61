// Another collector's stores, asked over HTTP: a source of the merged store
// (src/store/merged-store.ts) like a local store, through the internal query routes
// (src/http/internal-query.ts, schemas/internal.ts).
//
// Each question has a deadline (PEER_TIMEOUT_MS) covering connect, headers and the whole body, and
// a cap on the body's size; an answer that misses either, is not 200, is not JSON or is not the
// promised form (peer-wire.ts) rejects, and the merged answer goes on without this peer and says
// so. A peer that hangs therefore costs a query at most the deadline, never a hung request.

import type { QuerySource } from '../store/merged-store.js';
import type { DependencyReport, LatencyReport, ListQuery, RangeQuery, StoreStats, TraceDetail, TraceList } from '../store/store-shapes.js';
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

  constructor(private readonly options: PeerClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  }

  get name(): string {
    return this.base;
  }

  /** GET of an internal route, its body parsed as JSON, within the deadline and the size cap. */
  private async getJson(path: string, params?: URLSearchParams): Promise<unknown> {
    const query = params === undefined || params.size === 0 ? '' : `?${params.toString()}`;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}${query}`, { signal, headers: { accept: 'application/json' } });
    } catch (error) {
      throw new PeerAnswerError(`${this.base}${path}: ${signal.aborted ? `no answer within ${this.options.timeoutMs} ms` : (error as Error).message}`);
    }
    try {
      const text = await this.readCapped(response);
      if (response.status !== 200) throw new PeerAnswerError(`${this.base}${path} answered ${response.status}`);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new PeerAnswerError(`${this.base}${path} answered something other than JSON`);
      }
    } catch (error) {
      if (error instanceof PeerAnswerError) throw error;
      throw new PeerAnswerError(`${this.base}${path}: ${signal.aborted ? `no whole answer within ${this.options.timeoutMs} ms` : (error as Error).message}`);
    }
  }

  private async readCapped(response: Response): Promise<string> {
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > this.maxAnswerBytes) {
      await response.body?.cancel();
      throw new PeerAnswerError(`${this.base} answered ${declared} bytes, more than ${this.maxAnswerBytes}`);
    }
    if (response.body === null) return '';
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      if (bytes > this.maxAnswerBytes) {
        await response.body.cancel().catch(() => undefined);
        throw new PeerAnswerError(`${this.base} answered more than ${this.maxAnswerBytes} bytes`);
      }
      chunks.push(chunk);
    }
    // fatal: an answer that is not UTF-8 is garbage, not text with U+FFFD in it.
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  }

  private prefixed<T>(path: string, decode: () => T): T {
    try {
      return decode();
    } catch (error) {
      if (error instanceof PeerAnswerError) throw new PeerAnswerError(`${this.base}${path}: ${error.message}`);
      throw error;
    }
  }

  async listTraces(query: ListQuery): Promise<TraceList> {
    const value = await this.getJson('/internal/v1/traces', listQueryParams(query));
    return this.prefixed('/internal/v1/traces', () => decodeTraceList(value, query.limit));
  }

  async getTrace(traceId: string): Promise<TraceDetail | undefined> {
    const path = `/internal/v1/traces/${encodeURIComponent(traceId)}`;
    const value = await this.getJson(path);
    return this.prefixed(path, () => decodeTrace(value, traceId));
  }

  async latency(range: RangeQuery): Promise<LatencyReport> {
    const value = await this.getJson('/internal/v1/latency', rangeParams(range));
    return this.prefixed('/internal/v1/latency', () => decodeLatency(value));
  }

  async dependencies(range: RangeQuery): Promise<DependencyReport> {
    const value = await this.getJson('/internal/v1/dependencies', rangeParams(range));
    return this.prefixed('/internal/v1/dependencies', () => decodeDependencies(value));
  }

  async stats(): Promise<StoreStats> {
    const value = await this.getJson('/internal/v1/store-stats');
    return this.prefixed('/internal/v1/store-stats', () => decodeStoreStats(value));
  }
}
