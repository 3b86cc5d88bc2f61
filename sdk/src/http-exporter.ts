import { EXPORT_OK, type ExportResult, type SpanExporter } from './exporter.js';
import { unwrapFetch } from './fetch.js';
import { MAX_SPANS_PER_REQUEST } from './limits.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';
import { encodeIngestRequest } from './serialize.js';
import type { ReadableSpan } from './span.js';

export interface TracedHttpExporterOptions {
  /** Collector base URL, e.g. `http://localhost:8080`; spans go to `{url}/spans`. */
  readonly url: string;
  /** Extra request headers (auth, tenancy). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout; a timed-out request counts as a network error (retryable). */
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Defaults to the global fetch, unwrapped if it was instrumented (the exporter never traces itself). */
  readonly fetch?: typeof fetch;
  /** Test seams: how to wait between attempts, and the jitter source. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export interface TracedHttpExporterStats {
  /** Requests answered 2xx. */
  sentBatches: number;
  /** `accepted` summed over 202 bodies. */
  acceptedSpans: number;
  /** `discarded` summed over 202 bodies (spans outside the collector's rolling window). */
  discardedSpans: number;
  /** Re-sends after a 429/502/503/504 or a network error. */
  retries: number;
  /** Batches given up: attempts exhausted, non-retryable status (e.g. 400), or shutdown deadline. */
  failedBatches: number;
  failedSpans: number;
}

/**
 * `POST {url}/spans` with `{"spans":[...]}` bodies (the Traced contract), retrying 429/503 and
 * network errors with backoff that honours Retry-After. Never rejects: failures resolve as
 * `{ ok: false }` and are counted in `stats()`.
 *
 * Connections: Node's global fetch (undici) keeps connections alive and reuses them by default;
 * the body of every response is read to the end so its connection returns to the pool.
 */
export class TracedHttpExporter implements SpanExporter {
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly sleepImpl: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly shutdownController = new AbortController();
  private readonly counters: TracedHttpExporterStats = {
    sentBatches: 0,
    acceptedSpans: 0,
    discardedSpans: 0,
    retries: 0,
    failedBatches: 0,
    failedSpans: 0,
  };

  constructor(options: TracedHttpExporterOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/spans`;
    new URL(this.endpoint); // configuration error: fail at startup, not on the first export
    this.headers = { 'content-type': 'application/json', ...options.headers };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (!(this.policy.maxAttempts >= 1)) throw new RangeError('retry.maxAttempts must be >= 1');
    this.fetchImpl = unwrapFetch(options.fetch ?? globalThis.fetch);
    this.sleepImpl = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
  }

  stats(): Readonly<TracedHttpExporterStats> {
    return { ...this.counters };
  }

  async export(spans: readonly ReadableSpan[], signal?: AbortSignal): Promise<ExportResult> {
    if (spans.length === 0) return EXPORT_OK;
    // Keep every request within the contract's maxItems even if a caller hands us more.
    let result: ExportResult = EXPORT_OK;
    for (let i = 0; i < spans.length; i += MAX_SPANS_PER_REQUEST) {
      const chunk = spans.length <= MAX_SPANS_PER_REQUEST ? spans : spans.slice(i, i + MAX_SPANS_PER_REQUEST);
      const chunkResult = await this.sendWithRetry(chunk, signal);
      if (!chunkResult.ok) result = chunkResult;
    }
    return result;
  }

  /** Aborts in-flight requests and backoff waits; later exports fail fast. */
  shutdown(): Promise<void> {
    this.shutdownController.abort();
    return Promise.resolve();
  }

  private async sendWithRetry(spans: readonly ReadableSpan[], callerSignal: AbortSignal | undefined): Promise<ExportResult> {
    let body: string;
    try {
      body = encodeIngestRequest(spans);
    } catch (error) {
      return this.giveUp(spans.length, error);
    }
    const stop = linkedAbort([callerSignal, this.shutdownController.signal]);
    try {
      for (let attempt = 1; ; attempt++) {
        if (stop.signal.aborted) return this.giveUp(spans.length, new Error('export aborted'));
        let error: unknown;
        let retryable: boolean;
        let retryAfterMs: number | undefined;
        const request = linkedAbort([stop.signal], this.timeoutMs);
        try {
          const response = await this.fetchImpl(this.endpoint, { method: 'POST', headers: this.headers, body, signal: request.signal });
          const text = await response.text();
          if (response.ok) {
            this.recordAccepted(spans.length, text);
            return EXPORT_OK;
          }
          error = new Error(`collector answered ${response.status}: ${text.slice(0, 200)}`);
          retryable = isRetryableStatus(response.status);
          retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        } catch (caught) {
          error = caught; // connection refused, reset, DNS, timeout
          retryable = true;
        } finally {
          request.dispose();
        }
        if (!retryable || attempt >= this.policy.maxAttempts || stop.signal.aborted) return this.giveUp(spans.length, error);
        this.counters.retries++;
        await this.sleepImpl(backoffDelayMs(this.policy, attempt, retryAfterMs, this.random), stop.signal);
      }
    } finally {
      stop.dispose();
    }
  }

  private recordAccepted(spanCount: number, text: string): void {
    this.counters.sentBatches++;
    let accepted = spanCount;
    try {
      const parsed = JSON.parse(text) as { accepted?: unknown; discarded?: unknown };
      if (typeof parsed.accepted === 'number') accepted = parsed.accepted;
      if (typeof parsed.discarded === 'number') this.counters.discardedSpans += parsed.discarded;
    } catch {
      // A 2xx without the counts (older collector) still means the batch was taken.
    }
    this.counters.acceptedSpans += accepted;
  }

  private giveUp(spanCount: number, error: unknown): ExportResult {
    this.counters.failedBatches++;
    this.counters.failedSpans += spanCount;
    return { ok: false, error };
  }
}

/**
 * An AbortSignal that aborts when any of `sources` does, or after `timeoutMs` (timer unref'd).
 * Not AbortSignal.any: on Node 20 every AbortSignal.any() over a long-lived signal (our shutdown
 * signal) stays referenced from it, about 60 bytes per export forever. Here the listeners are
 * removed again by dispose(), so nothing outlives the request.
 */
function linkedAbort(sources: readonly (AbortSignal | undefined)[], timeoutMs?: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const linked: AbortSignal[] = [];
  for (const source of sources) {
    if (source === undefined) continue;
    if (source.aborted) {
      controller.abort();
      break;
    }
    source.addEventListener('abort', abort, { once: true });
    linked.push(source);
  }
  let timer: NodeJS.Timeout | undefined;
  if (timeoutMs !== undefined && !controller.signal.aborted) {
    timer = setTimeout(() => controller.abort(new DOMException('export request timed out', 'TimeoutError')), timeoutMs);
    timer.unref();
  }
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const source of linked) source.removeEventListener('abort', abort);
    },
  };
}
