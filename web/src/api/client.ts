// The HTTP client for a Traced-contract server. Every failure becomes an ApiError whose message
// is a sentence a person can act on; bodies are parsed losslessly and decoded into the shapes in
// types.ts, tolerating the extension fields being absent.

import { nsField, parseLossless } from './lossless-json.js';
import type {
  Capabilities,
  DependencyEdge,
  OperationRow,
  ServiceRow,
  Span,
  Stats,
  TraceDetail,
  TraceList,
  TraceSummary,
} from './types.js';

export type Params = Array<[string, string]>;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: 'network' | 'timeout' | 'http' | 'format' | 'aborted',
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A request its caller cancelled (a poll restarting, a view closing): not a failure to show. */
export function isCancelled(error: unknown): boolean {
  return error instanceof ApiError && error.kind === 'aborted';
}

const TIMEOUT_MS = 8000;

/** "" means the page's own origin. Trailing slashes are dropped. */
export function normalizeBaseUrl(input: string): string | undefined {
  const trimmed = input.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  try {
    const url = new URL(trimmed);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return trimmed;
  } catch {
    return undefined;
  }
}

function obj(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError('the server answered with something that is not a JSON object', 'format');
  }
  return value as Record<string, unknown>;
}

function num(value: unknown, fallback = 0): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '' && Number.isFinite(Number(value))) return Number(value);
  return fallback;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : String(value ?? '');
}

function ns(value: unknown, field: string): string {
  const text = nsField(value);
  if (text === undefined) throw new ApiError(`the server sent ${field} that is not an integer nanosecond time`, 'format');
  return text;
}

function decodeSummary(raw: unknown): TraceSummary {
  const t = obj(raw);
  return {
    trace_id: str(t.trace_id),
    root_service: str(t.root_service),
    root_operation: str(t.root_operation),
    span_count: num(t.span_count),
    duration_ms: num(t.duration_ms),
    start_time: ns(t.start_time, 'a trace start_time'),
    status: t.status === 'error' ? 'error' : 'ok',
    services: Array.isArray(t.services) ? t.services.map(str) : undefined,
    error_count: typeof t.error_count === 'number' ? t.error_count : undefined,
    partial: typeof t.partial === 'boolean' ? t.partial : undefined,
  };
}

function decodeSpan(raw: unknown): Span {
  const s = obj(raw);
  const tags = s.tags !== undefined && s.tags !== null && typeof s.tags === 'object' ? (s.tags as Record<string, unknown>) : undefined;
  return {
    trace_id: str(s.trace_id),
    span_id: str(s.span_id),
    parent_span_id: typeof s.parent_span_id === 'string' && s.parent_span_id !== '' ? s.parent_span_id : undefined,
    service: str(s.service),
    operation: str(s.operation),
    start_time: ns(s.start_time, 'a span start_time'),
    end_time: ns(s.end_time, 'a span end_time'),
    status: s.status === 'error' ? 'error' : 'ok',
    tags: tags === undefined ? undefined : Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, str(v)])),
    depth: typeof s.depth === 'number' ? s.depth : undefined,
    children: Array.isArray(s.children) ? s.children.map(str) : undefined,
    orphan: s.orphan === true ? true : undefined,
  };
}

function decodeLatency(r: Record<string, unknown>) {
  return {
    span_count: num(r.span_count),
    error_count: num(r.error_count),
    error_rate: num(r.error_rate),
    p50_ms: num(r.p50_ms),
    p95_ms: num(r.p95_ms),
    p99_ms: num(r.p99_ms),
  };
}

export class TracedApi {
  /** `baseUrl` "" talks to the page's own origin. */
  constructor(readonly baseUrl: string) {}

  get label(): string {
    return this.baseUrl === '' ? window.location.origin : this.baseUrl;
  }

  url(path: string, params: Params = []): string {
    const query = new URLSearchParams(params).toString();
    return `${this.baseUrl}${path}${query === '' ? '' : `?${query}`}`;
  }

  /** Status and body text; throws only when no HTTP answer came back. */
  async raw(path: string, params: Params = [], signal?: AbortSignal): Promise<{ status: number; text: string }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), TIMEOUT_MS);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort);
    try {
      const response = await fetch(this.url(path, params), { signal: controller.signal, headers: { accept: 'application/json, text/plain' } });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      if (signal?.aborted === true) throw new ApiError('request cancelled', 'aborted');
      if (controller.signal.aborted) {
        throw new ApiError(`${this.label} did not answer within ${TIMEOUT_MS / 1000} seconds`, 'timeout');
      }
      throw new ApiError(
        `cannot reach ${this.label}: the server is not running, the address is wrong, or it does not allow requests from this page (CORS)`,
        'network',
      );
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async json(path: string, params: Params = [], signal?: AbortSignal): Promise<unknown> {
    const { status, text } = await this.raw(path, params, signal);
    if (status < 200 || status > 299) {
      let detail = '';
      try {
        const body = parseLossless(text) as { error?: unknown };
        if (typeof body?.error === 'string') detail = `: ${body.error}`;
      } catch {
        // not JSON: the status alone says it
      }
      if (status === 404 && (path === '/health' || path === '/traces')) {
        throw new ApiError(`${this.label} answered 404 for GET ${path}: is this the address of a Traced server?`, 'http', status);
      }
      const what = status === 404 ? 'not found' : status === 503 ? 'busy' : status >= 500 ? 'failed' : 'refused the request';
      throw new ApiError(`${this.label}${path} ${what} (HTTP ${status})${detail}`, 'http', status);
    }
    try {
      return parseLossless(text);
    } catch {
      throw new ApiError(`${this.label}${path} did not answer with JSON: is this a Traced server?`, 'format');
    }
  }

  async health(signal?: AbortSignal): Promise<void> {
    const body = obj(await this.json('/health', [], signal));
    if (body.status !== 'ok') throw new ApiError(`${this.label}/health did not say ok`, 'format');
  }

  async listTraces(params: Params, signal?: AbortSignal): Promise<TraceList> {
    const body = obj(await this.json('/traces', params, signal));
    if (!Array.isArray(body.traces)) throw new ApiError('GET /traces answered without a traces list', 'format');
    return {
      traces: body.traces.map(decodeSummary),
      total: num(body.total, body.traces.length),
      next_cursor: typeof body.next_cursor === 'string' && body.next_cursor !== '' ? body.next_cursor : undefined,
    };
  }

  async getTrace(traceId: string, signal?: AbortSignal): Promise<TraceDetail> {
    const body = obj(await this.json(`/traces/${encodeURIComponent(traceId)}`, [], signal));
    if (!Array.isArray(body.spans)) throw new ApiError('GET /traces/{id} answered without spans', 'format');
    return {
      trace_id: str(body.trace_id),
      spans: body.spans.map(decodeSpan),
      root_span_id: typeof body.root_span_id === 'string' ? body.root_span_id : undefined,
      partial: typeof body.partial === 'boolean' ? body.partial : undefined,
    };
  }

  async services(signal?: AbortSignal): Promise<ServiceRow[]> {
    const body = obj(await this.json('/services', [], signal));
    const rows = Array.isArray(body.services) ? body.services : [];
    return rows.map((raw) => {
      const r = obj(raw);
      return { service: str(r.service), ...decodeLatency(r) };
    });
  }

  async operations(service: string, signal?: AbortSignal): Promise<OperationRow[]> {
    const body = obj(await this.json(`/services/${encodeURIComponent(service)}/operations`, [], signal));
    const rows = Array.isArray(body.operations) ? body.operations : [];
    return rows.map((raw) => {
      const r = obj(raw);
      return { operation: str(r.operation), ...decodeLatency(r) };
    });
  }

  async stats(params: Params, signal?: AbortSignal): Promise<Stats> {
    const r = obj(await this.json('/stats', params, signal));
    return {
      after: nsField(r.after),
      before: nsField(r.before),
      request_count: num(r.request_count),
      request_rate_per_sec: num(r.request_rate_per_sec),
      error_count: num(r.error_count),
      error_rate: num(r.error_rate),
      p50_ms: num(r.p50_ms),
      p90_ms: num(r.p90_ms),
      p95_ms: num(r.p95_ms),
      p99_ms: num(r.p99_ms),
      max_ms: num(r.max_ms),
      relative_error: typeof r.relative_error === 'number' ? r.relative_error : undefined,
    };
  }

  async dependencies(params: Params, signal?: AbortSignal): Promise<DependencyEdge[]> {
    const body = obj(await this.json('/dependencies', params, signal));
    const edges = Array.isArray(body.edges) ? body.edges : [];
    return edges.map((raw) => {
      const e = obj(raw);
      return {
        parent: str(e.parent),
        child: str(e.child),
        call_count: num(e.call_count),
        error_count: num(e.error_count),
        p95_ms: typeof e.p95_ms === 'number' ? e.p95_ms : undefined,
      };
    });
  }

  async metricsText(signal?: AbortSignal): Promise<string> {
    const { status, text } = await this.raw('/metrics', [], signal);
    if (status !== 200) throw new ApiError(`${this.label}/metrics answered HTTP ${status}`, 'http', status);
    return text;
  }

  /**
   * Which extensions the server has, by asking: an endpoint that answers 200 exists. The search
   * filters are detected by an invalid `status` value: a server that validates it (400) knows
   * the parameter; a contract-only server ignores unknown parameters (200).
   */
  async probe(signal?: AbortSignal): Promise<Capabilities> {
    const ok = async (path: string, params: Params = []): Promise<number> => {
      try {
        return (await this.raw(path, params, signal)).status;
      } catch (error) {
        if (isCancelled(error)) throw error;
        return 0;
      }
    };
    const [search, services, stats, dependencies, metrics] = await Promise.all([
      ok('/traces', [['limit', '0'], ['status', 'no-such-status']]),
      ok('/services'),
      ok('/stats'),
      ok('/dependencies'),
      this.raw('/metrics', [], signal).then(
        (r) => (r.status === 200 && r.text.includes('traced_spans_accepted_total') ? 200 : r.status),
        () => 0,
      ),
    ]);
    return {
      search: search === 400,
      services: services === 200,
      stats: stats === 200,
      dependencies: dependencies === 200,
      ingestMetrics: metrics === 200,
    };
  }
}
