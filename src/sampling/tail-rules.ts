// The pieces of a tail decision that read a trace's spans: its root (whose duration the "slow"
// rule judges), the rule itself, and what a waiting span costs the buffer.

import type { IngestSpan } from '../store/trace-store.js';

/**
 * Heap bytes a waiting span holds, counted high: the object and its time strings, and its
 * strings at 2 bytes a character (V8 keeps 1 only for Latin-1 text).
 */
export function spanHeapBytes(span: IngestSpan): number {
  let chars = span.service.length + span.operation.length;
  if (span.tags !== undefined) for (const key in span.tags) chars += key.length + span.tags[key]!.length;
  return 400 + 2 * chars;
}

/** The earliest parentless span (ties by span_id), as the stores choose a trace's root. */
export function rootOf(spans: readonly IngestSpan[]): IngestSpan | undefined {
  let root: IngestSpan | undefined;
  let rootStart = 0n;
  for (const s of spans) {
    if (s.parentSpanId !== undefined) continue;
    const start = BigInt(s.startTime);
    if (root === undefined || start < rootStart || (start === rootStart && s.spanId < root.spanId)) {
      root = s;
      rootStart = start;
    }
  }
  return root;
}

/** The root's duration in ns (a number: a root lasting 2^53 ns is 104 days). */
export function rootDurationNs(root: IngestSpan): number {
  return Number(BigInt(root.endTime) - BigInt(root.startTime));
}

export function isSlow(rootMs: number, slowMs: number | undefined, p99Ms: number | undefined): boolean {
  return (slowMs !== undefined && rootMs >= slowMs) || (p99Ms !== undefined && rootMs >= p99Ms);
}
