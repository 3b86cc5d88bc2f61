// The query parameters of Zipkin's GET /api/v2/traces, /dependencies and friends, turned into the
// store's terms. Zipkin's times are epoch milliseconds (endTs, lookback) and its durations
// microseconds (minDuration, maxDuration).

import type { NsText } from '../time/nanos.js';

/** Zipkin's default lookback: a day (the window is shorter, so in effect "the whole window"). */
export const DEFAULT_LOOKBACK_MS = 86_400_000;

/** [after, before) in ns for endTs and lookback (ms), as Zipkin reads them: (endTs − lookback, endTs]. */
export function lookbackRange(endTsMs: number, lookbackMs: number): { after: NsText; before: NsText } {
  const end = BigInt(endTsMs);
  const start = end - BigInt(lookbackMs);
  return { after: ((start < 0n ? 0n : start) * 1_000_000n).toString(), before: ((end + 1n) * 1_000_000n).toString() };
}

/**
 * annotationQuery: terms joined by " and ". `key=value` asks for a span with that tag; a bare
 * `term` for a span with a tag named `term` or an annotation whose value is `term` (Zipkin's
 * meaning). The store's filter can only ask for exact tag pairs, so bare terms are checked on the
 * traces it returns (see the route).
 */
export interface AnnotationQuery {
  pairs: Array<{ key: string; value: string }>;
  terms: string[];
}

export function parseAnnotationQuery(text: string | undefined): AnnotationQuery {
  const query: AnnotationQuery = { pairs: [], terms: [] };
  if (text === undefined) return query;
  for (const raw of text.split(/\s+and\s+/i)) {
    const term = raw.trim();
    if (term === '') continue;
    const eq = term.indexOf('=');
    if (eq > 0) query.pairs.push({ key: term.slice(0, eq), value: term.slice(eq + 1) });
    else query.terms.push(term);
  }
  return query;
}
