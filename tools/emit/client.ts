/**
 * HTTP to the collector: one keep-alive undici Pool for the target origin.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { asSafeInt, isJsonObject, parseJsonLossless, type JsonValue } from './json.js';

export const MAX_ATTEMPTS = 6;
const BASE_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/** A Retry-After beyond this is clamped: the run is time-boxed and a stuck server should show up as failures, not as a hang. */
const MAX_RETRY_AFTER_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * How long to wait before attempt `attempt + 1` (attempt counts from 1).
 * Honours Retry-After (delta-seconds or HTTP-date) when present, otherwise
 * exponential backoff with full jitter so 20 workers hitting a 429 together
 * do not come back in lock-step.
 */
export function retryDelayMs(attempt: number, retryAfter: string | undefined, nowMs: number, jitter: number): number {
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const t = retryAfter.trim();
    if (/^\d+$/.test(t)) return Math.min(Number(t) * 1000, MAX_RETRY_AFTER_MS);
    const date = Date.parse(t);
    if (!Number.isNaN(date)) return Math.min(Math.max(date - nowMs, 0), MAX_RETRY_AFTER_MS);
  }
  const ceiling = Math.min(BASE_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS);
  return Math.round(jitter * ceiling);
}

/** 429 and 503 mean "not processed, come back later": safe to resend. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 503;
}

/** Errors where the request provably never reached the server. */
function isNotSent(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * What became of one batch, from the point of view of "is it stored now":
 * - delivered: a 2xx — the spans are in (non-202 2xx are still counted);
 * - rejected: definitely not stored (4xx, 429/503 after all retries, or the
 *   connection was refused) — the server must not show these spans;
 * - uncertain: a 5xx or a broken connection mid-request — the server may or
 *   may not have stored them, so verification cannot hold it either way.
 */
export type DeliveryState = 'delivered' | 'rejected' | 'uncertain';

export interface PostOutcome {
  state: DeliveryState;
  /** Final status, if any answer was received. */
  status: number | undefined;
  attempts: number;
  /** Every non-202 answer on the way, including those that were retried. */
  non202: number[];
  networkErrors: number;
  accepted: number | undefined;
  discarded: number | undefined;
  /** For failures: a short description for the report. */
  detail: string | undefined;
}

export interface GetResult {
  status: number;
  body: JsonValue | undefined;
  text: string;
}

export class TracedClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    target: URL,
    connections: number,
    private readonly jitter: () => number = Math.random,
  ) {
    this.pool = new Pool(target.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: { timeout: 5_000 },
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    this.basePath = target.pathname.replace(/\/+$/, '');
  }

  async postSpans(body: string, signal?: AbortSignal): Promise<PostOutcome> {
    const outcome: PostOutcome = {
      state: 'uncertain',
      status: undefined,
      attempts: 0,
      non202: [],
      networkErrors: 0,
      accepted: undefined,
      discarded: undefined,
      detail: undefined,
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      outcome.attempts = attempt;
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      try {
        const res = await this.pool.request({
          path: `${this.basePath}/spans`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal,
        });
        status = res.statusCode;
        const ra = res.headers['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
        // The status line already tells the batch's fate; a body that fails
        // to arrive only costs us the optional counts.
        text = await res.body.text().catch(() => '');
      } catch (err) {
        outcome.networkErrors += 1;
        outcome.status = undefined;
        outcome.detail = describe(err);
        if (isNotSent(err)) {
          outcome.state = 'rejected';
          if (attempt < MAX_ATTEMPTS && signal?.aborted !== true) {
            await this.pause(attempt, undefined, signal);
            continue;
          }
        } else {
          // The body may have reached the server: resending could store the
          // spans twice, so stop here and call it uncertain.
          outcome.state = 'uncertain';
        }
        return outcome;
      }

      outcome.status = status;
      if (status !== 202) outcome.non202.push(status);
      if (status >= 200 && status < 300) {
        outcome.state = 'delivered';
        outcome.detail = undefined;
        readCounts(text, outcome);
        return outcome;
      }
      outcome.detail = `HTTP ${status}: ${text.slice(0, 200)}`;
      if (isRetryableStatus(status)) {
        outcome.state = 'rejected';
        if (attempt < MAX_ATTEMPTS && signal?.aborted !== true) {
          await this.pause(attempt, retryAfter, signal);
          continue;
        }
        return outcome;
      }
      outcome.state = status >= 500 ? 'uncertain' : 'rejected';
      return outcome;
    }
    return outcome;
  }

  /**
   * GET with lossless JSON parsing. GETs are idempotent, so transport errors
   * and 429/503 are retried; anything else is returned for the caller to
   * judge. Throws only when every attempt failed at the transport level or
   * the signal fired.
   */
  async get(pathAndQuery: string, signal?: AbortSignal): Promise<GetResult> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      signal?.throwIfAborted();
      try {
        const res = await this.pool.request({ path: `${this.basePath}${pathAndQuery}`, method: 'GET', signal });
        const text = await res.body.text();
        const ra = res.headers['retry-after'];
        if (isRetryableStatus(res.statusCode) && attempt < MAX_ATTEMPTS) {
          await this.pause(attempt, Array.isArray(ra) ? ra[0] : ra, signal);
          continue;
        }
        let body: JsonValue | undefined;
        try {
          body = parseJsonLossless(text);
        } catch {
          body = undefined;
        }
        return { status: res.statusCode, body, text };
      } catch (err) {
        if (signal?.aborted === true) throw err;
        lastError = err;
        if (attempt < MAX_ATTEMPTS) await this.pause(attempt, undefined, signal);
      }
    }
    throw new Error(`GET ${pathAndQuery} failed: ${describe(lastError)}`);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async pause(attempt: number, retryAfter: string | undefined, signal?: AbortSignal): Promise<void> {
    const ms = retryDelayMs(attempt, retryAfter, Date.now(), this.jitter());
    try {
      await sleep(ms, undefined, { signal });
    } catch {
      // aborted: the caller checks the signal
    }
  }
}

/** `{"status":"ok","accepted":N,"discarded":M}` is optional; count it when present. */
function readCounts(text: string, outcome: PostOutcome): void {
  if (text === '') return;
  let body: JsonValue;
  try {
    body = parseJsonLossless(text);
  } catch {
    return;
  }
  if (!isJsonObject(body)) return;
  outcome.accepted = asSafeInt(body.accepted);
  outcome.discarded = asSafeInt(body.discarded);
}
