/**
 * When and how long to wait before re-sending a batch. Aligned with the OTLP exporter spec:
 * retry on 429, 502, 503, 504 and network errors; exponential backoff with jitter; a server's
 * Retry-After wins over our own guess (but is capped, so a bogus header cannot park the exporter).
 */
export interface RetryPolicy {
  /** Attempts per batch including the first; after the last, the batch is given up and counted. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Upper bound for a server-requested Retry-After. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  maxRetryAfterMs: 30_000,
});

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/**
 * Delay before attempt `failedAttempts + 1`. Exponential (initial * 2^(n-1), capped) with "equal
 * jitter": half fixed, half random, so clients that failed together do not retry together while
 * the wait never collapses to zero. `random` is injectable for tests (jitter is not security
 * sensitive; ids never come from here).
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  failedAttempts: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, failedAttempts - 1));
  const jittered = exponential / 2 + (random() * exponential) / 2;
  if (retryAfterMs === undefined) return Math.round(jittered);
  return Math.round(Math.min(policy.maxRetryAfterMs, Math.max(retryAfterMs, 0)));
}

/**
 * Parses a Retry-After header: delta-seconds or an HTTP-date. Undefined when absent or invalid.
 * `nowMs` is injectable for tests.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with a day name; this also keeps
  // Date.parse's lenient guesses ("-1" is year -1) out.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. The timer is unref'd. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
