// Traces past bigTraceSpans spans get a span-id index: the span writer then looks a new span's
// duplicate, parent, waiting children and roots up in maps instead of walking the whole chain
// (which would make a trace of n spans cost n² to ingest).

import { NO_SPAN, spanRef } from './span-ref.js';
import type { SpanBucket } from './span-bucket.js';
import type { BigTrace, StoreState } from './store-state.js';
import { TraceTable } from './trace-table.js';
import { uuidFromWords } from '../../codec/uuid-words.js';
import { FLAG_HAS_PARENT, FLAG_LINKED, SPAN_CHUNK_BITS, SPAN_CHUNK_MASK } from './word-layout.js';


/** Builds the index of a trace that has just passed bigTraceSpans, from one walk of its chain. */
export function indexBigTrace(state: StoreState, rec: number): void {
  const big: BigTrace = { spans: new Map(), roots: [], waiting: new Map() };
  let ref = state.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
  while (ref !== NO_SPAN) {
    const pos = state.minutes.positionOf(ref);
    if (pos === undefined) break;
    const chunk = pos.bucket.chunks[pos.index >>> SPAN_CHUNK_BITS]!;
    const at = pos.index & SPAN_CHUNK_MASK;
    // Newest first: an aged-out copy further down the chain must not shadow a live one.
    const key = uuidFromWords(chunk.spanId, at * 4);
    if (!big.spans.has(key)) big.spans.set(key, ref);
    const flags = chunk.flags[at]!;
    if ((flags & FLAG_HAS_PARENT) === 0) big.roots.push(ref);
    else if ((flags & FLAG_LINKED) === 0) pushTo(big.waiting, uuidFromWords(chunk.parentId, at * 4), ref);
    ref = chunk.next[at]!;
  }
  state.bigTraces.set(rec, big);
}

/** Drops a released span (span `index` of a detached bucket) from its trace's index, if it is the one indexed. */
export function forgetReleasedSpan(big: BigTrace, bucket: SpanBucket, index: number): void {
  const at = index & SPAN_CHUNK_MASK;
  const key = uuidFromWords(bucket.chunks[index >>> SPAN_CHUNK_BITS]!.spanId, at * 4);
  if (big.spans.get(key) === spanRef(bucket.minute, index)) big.spans.delete(key);
}

export function pushTo(map: Map<string, number[]>, key: string, ref: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [ref]);
  else list.push(ref);
}
