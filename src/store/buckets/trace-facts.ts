// A trace recomputed from its spans in the window: what queries fall back on when a root's words
// may overstate (STATE_EARLY, STATE_MULTI), when a name past the exact mask bits must be
// confirmed, and what GET /traces/{id} reads.

import type { Instant } from '../window.js';
import type { SpanPosition } from './minute-ring.js';
import { NO_SPAN } from './span-ref.js';
import type { StoreState } from './store-state.js';
import { TraceTable } from './trace-table.js';
import { uuidFromWords } from '../../codec/uuid-words.js';
import { FLAG_ERROR, FLAG_HAS_PARENT, SPAN_CHUNK_MASK } from './word-layout.js';

export interface TraceFacts {
  spans: SpanPosition[];
  /** The earliest parentless span (ties by span_id): the one the listing shows. */
  root: SpanPosition | undefined;
  errors: number;
  services: Set<number>;
  operations: Set<number>;
  partial: boolean;
}

/** Held spans of a trace with start >= edge, newest bucket first. */
export function heldSpansOf(state: StoreState, rec: number, edge: Instant): SpanPosition[] {
  const out: SpanPosition[] = [];
  let ref = state.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
  while (ref !== NO_SPAN) {
    const pos = state.minutes.positionOf(ref);
    if (pos === undefined) break;
    const chunk = pos.bucket.chunk(pos.index);
    const at = pos.index & SPAN_CHUNK_MASK;
    if (chunk.startOffset[at]! >= pos.bucket.offsetOf(edge)) out.push(pos);
    ref = chunk.next[at]!;
  }
  return out;
}

/** A trace from its spans in the window (positions newest bucket first). */
export function factsOf(state: StoreState, rec: number, edge: Instant): TraceFacts {
  const spans = heldSpansOf(state, rec, edge);
  const endpoints = state.endpoints;
  const facts: TraceFacts = { spans, root: undefined, errors: 0, services: new Set(), operations: new Set(), partial: false };
  for (const pos of spans) {
    const chunk = pos.bucket.chunk(pos.index);
    const at = pos.index & SPAN_CHUNK_MASK;
    const flags = chunk.flags[at]!;
    const endpoint = chunk.endpoint[at]!;
    facts.services.add(endpoints.serviceOf[endpoint]!);
    facts.operations.add(endpoints.operationOf[endpoint]!);
    if ((flags & FLAG_ERROR) !== 0) facts.errors++;
    if ((flags & FLAG_HAS_PARENT) === 0) {
      if (facts.root === undefined || compareSpanPositions(pos, facts.root) < 0) facts.root = pos;
    }
  }
  // Partial: some span's parent id is not among the span ids. Pairwise for small traces.
  const ids = spans.length > 16 ? new Set(spans.map((p) => uuidFromWords(p.bucket.chunk(p.index).spanId, (p.index & SPAN_CHUNK_MASK) * 4))) : undefined;
  for (const pos of spans) {
    const chunk = pos.bucket.chunk(pos.index);
    const at = pos.index & SPAN_CHUNK_MASK;
    if ((chunk.flags[at]! & FLAG_HAS_PARENT) === 0) continue;
    const present =
      ids !== undefined
        ? ids.has(uuidFromWords(chunk.parentId, at * 4))
        : spans.some((p) => sameWords(p.bucket.chunk(p.index).spanId, (p.index & SPAN_CHUNK_MASK) * 4, chunk.parentId, at * 4));
    if (!present) {
      facts.partial = true;
      break;
    }
  }
  return facts;
}

/** Span order: start ascending, ties by span id. */
export function compareSpanPositions(a: SpanPosition, b: SpanPosition): number {
  if (a.bucket !== b.bucket) return a.bucket.minute - b.bucket.minute;
  const ca = a.bucket.chunk(a.index);
  const cb = b.bucket.chunk(b.index);
  const ia = a.index & SPAN_CHUNK_MASK;
  const ib = b.index & SPAN_CHUNK_MASK;
  const d = ca.startOffset[ia]! - cb.startOffset[ib]!;
  if (d !== 0) return d;
  for (let k = 0; k < 4; k++) {
    const wa = ca.spanId[ia * 4 + k]!;
    const wb = cb.spanId[ib * 4 + k]!;
    if (wa !== wb) return wa - wb;
  }
  return 0;
}

/** Whether four id words at `ao` of `a` equal those at `bo` of `b`. */
export function sameWords(a: Uint32Array, ao: number, b: Uint32Array, bo: number): boolean {
  return a[ao] === b[bo] && a[ao + 1] === b[bo + 1] && a[ao + 2] === b[bo + 2] && a[ao + 3] === b[bo + 3];
}
