import { isTracingSuppressed, withSpan } from './context.js';
import { defaultPropagator, type TextMapPropagator } from './propagation.js';
import type { Tracer } from './tracer.js';

export interface InstrumentFetchOptions {
  readonly tracer: Tracer;
  readonly propagator?: TextMapPropagator;
}

/** On every wrapped fetch: the fetch it wraps. The exporter uses it to stay untraced. */
const ORIGINAL_FETCH = Symbol.for('@traced/sdk.originalFetch');

type Fetch = typeof fetch;

/**
 * Returns a fetch that opens a CLIENT span per call (tags `http.method`, `http.url`,
 * `http.status_code`), injects `traceparent` (and `tracestate`) into the request, and ends the
 * span when the response headers arrive, or with error and the exception tags when the call
 * throws (the error is rethrown unchanged). As in OpenTelemetry's HTTP conventions, a client
 * span is marked error for status >= 400.
 *
 * The global fetch is left untouched; assign the result where you want it. `http.url` carries
 * origin and path only: query strings and credentials often hold secrets.
 */
export function instrumentFetch<F extends Fetch>(fetchImpl: F, options: InstrumentFetchOptions): F {
  const original = unwrapFetch(fetchImpl);
  const { tracer } = options;
  const propagator = options.propagator ?? defaultPropagator;

  const traced = async function tracedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    if (isTracingSuppressed()) return original(input, init);
    const request = typeof input === 'object' && !(input instanceof URL) ? input : undefined;
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const url = safeUrl(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const span = tracer.startSpan(`${method} ${url}`, {
      kind: 'client',
      tags: { 'http.method': method, 'http.url': url },
    });

    let headers: Headers;
    try {
      headers = new Headers(init?.headers ?? request?.headers);
      propagator.inject(span.spanContext(), headers);
    } catch (error) {
      // Malformed caller headers: let fetch itself report them, exactly as without tracing.
      span.recordException(error);
      span.end();
      return original(input, init);
    }

    try {
      const response = await withSpan(span, () => original(input, { ...init, headers }));
      span.setTag('http.status_code', response.status);
      if (response.status >= 400) span.setStatus('error');
      span.end();
      return response;
    } catch (error) {
      span.recordException(error);
      span.end();
      throw error;
    }
  };
  Object.defineProperty(traced, ORIGINAL_FETCH, { value: original });
  return traced as F;
}

/** The uninstrumented fetch behind `fetchImpl` (itself if it was never wrapped). */
export function unwrapFetch<F extends Fetch>(fetchImpl: F): F {
  let current: F = fetchImpl;
  for (;;) {
    if (typeof current !== 'function') return current;
    const original = (current as unknown as Record<symbol, F | undefined>)[ORIGINAL_FETCH];
    if (original === undefined) return current;
    current = original;
  }
}

/** origin + pathname: no query, fragment or credentials. Unparseable input is kept as given. */
function safeUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    return parsed.origin + parsed.pathname;
  } catch {
    const cut = raw.search(/[?#]/);
    return cut === -1 ? raw : raw.slice(0, cut);
  }
}
