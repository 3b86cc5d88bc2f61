// Root words (word-layout.ts): what a root span keeps about its trace in its unused parent-id
// words, for search. The span writer calls these as spans arrive: a child finds the roots on the
// chain walk that ingest does anyway (for duplicates) and folds itself into them; a root arriving
// after children walks the chain once.

import type { BigTrace } from './store-state.js';
import type { SpanPosition } from './minute-ring.js';
import * as spanRef from './span-ref.js';
import type { RefList } from './span-ref.js';
import type { SpanBucket } from './span-bucket.js';
import type { StoreState } from './store-state.js';
import { sameWords } from './trace-facts.js';
import { TraceTable } from './trace-table.js';
import { uuidFromWords } from '../../codec/uuid-words.js';
import * as wordLayout from './word-layout.js';

// Module-local copies of constants read per span (src/store/README.md: "Constants in hot code").
const { NO_SPAN, SPANS_PER_BUCKET_LIMIT } = spanRef;
const { FLAG_ERROR, FLAG_HAS_PARENT, ROOT_BLOOM, ROOT_OPERATIONS, ROOT_SERVICES, ROOT_STATE, SPAN_CHUNK_MASK, STATE_EARLY, STATE_ERROR, STATE_MISSING_MASK, STATE_MULTI } = wordLayout;

/** Folds a new child, span `childIndex` of `childBucket`, into the root words of the roots its walk found (`roots`). */
export function updateRoots(store: StoreState, roots: RefList, endpoint: number, error: boolean, childBucket: SpanBucket, childIndex: number, missingDelta: number): void {
  const endpoints = store.endpoints;
  const minutes = store.minutes;
  const svc = endpoints.serviceBit[endpoint]!;
  const op = endpoints.operationBit[endpoint]!;
  const bloom = endpoints.bloomBits[endpoint]!;
  const minute = childBucket.minute;
  const startOffset = childBucket.startOffsetOf(childIndex);
  for (let k = 0; k < roots.length; k++) {
    // Ref arithmetic written out (see SpanWriter.scanChain). Creating this span's bucket may have
    // detached a stale one the walk still saw.
    const r = roots.items[k]!;
    const rootMinute = Math.floor(r / SPANS_PER_BUCKET_LIMIT);
    const rootBucket = minutes.bucketAt(rootMinute);
    if (rootBucket === undefined) continue;
    const rootIndex = r - rootMinute * SPANS_PER_BUCKET_LIMIT;
    const chunk = rootBucket.chunk(rootIndex);
    const at = rootIndex & SPAN_CHUNK_MASK;
    const words = chunk.parentId;
    const o = at * 4;
    words[o + ROOT_SERVICES] = words[o + ROOT_SERVICES]! | svc;
    words[o + ROOT_OPERATIONS] = words[o + ROOT_OPERATIONS]! | op;
    words[o + ROOT_BLOOM] = words[o + ROOT_BLOOM]! | bloom;
    let state = words[o + ROOT_STATE]!;
    if (error) state |= STATE_ERROR;
    if (minute < rootBucket.minute || (minute === rootBucket.minute && startOffset < chunk.startOffset[at]!)) state |= STATE_EARLY;
    const missing = Math.min(STATE_MISSING_MASK, Math.max(0, (state & STATE_MISSING_MASK) + missingDelta));
    words[o + ROOT_STATE] = ((state & ~STATE_MISSING_MASK) | missing) >>> 0;
    rootBucket.rootWordsChanged(rootIndex);
  }
}

/** Root words of a root that arrives after other spans of its trace: one walk of the chain. */
export function initRootWords(store: StoreState, bucket: SpanBucket, index: number, rec: number, big: BigTrace | undefined): void {
  const endpoints = store.endpoints;
  const minutes = store.minutes;
  const chunk = bucket.chunk(index);
  const at = index & SPAN_CHUNK_MASK;
  const rootOffset = chunk.startOffset[at]!;
  let svc = 0;
  let op = 0;
  let bloom = 0;
  let state = 0;
  const held: SpanPosition[] = [];
  let ref = store.traces.chunkOf(rec).head[TraceTable.offset(rec)]!;
  while (ref !== NO_SPAN) {
    const pos = minutes.positionOf(ref);
    if (pos === undefined) {
      // Older spans have left the window: they started before this root.
      state |= STATE_EARLY;
      break;
    }
    held.push(pos);
    const c = pos.bucket.chunk(pos.index);
    const a = pos.index & SPAN_CHUNK_MASK;
    const e = c.endpoint[a]!;
    svc |= endpoints.serviceBit[e]!;
    op |= endpoints.operationBit[e]!;
    bloom |= endpoints.bloomBits[e]!;
    if ((c.flags[a]! & FLAG_ERROR) !== 0) state |= STATE_ERROR;
    if (pos.bucket.minute < bucket.minute || (pos.bucket === bucket && c.startOffset[a]! < rootOffset)) state |= STATE_EARLY;
    ref = c.next[a]!;
  }
  let missing = 0;
  for (const pos of held) {
    const c = pos.bucket.chunk(pos.index);
    const a = pos.index & SPAN_CHUNK_MASK;
    if ((c.flags[a]! & FLAG_HAS_PARENT) === 0) continue;
    let present: boolean;
    if (big !== undefined) {
      const parentRef = big.spans.get(uuidFromWords(c.parentId, a * 4));
      present = parentRef !== undefined && minutes.positionOf(parentRef) !== undefined;
    } else {
      present = held.some((p) => sameWords(p.bucket.chunk(p.index).spanId, (p.index & SPAN_CHUNK_MASK) * 4, c.parentId, a * 4));
    }
    if (!present) missing++;
  }
  const o = at * 4;
  const words = chunk.parentId;
  words[o + ROOT_SERVICES] = svc >>> 0;
  words[o + ROOT_OPERATIONS] = op >>> 0;
  words[o + ROOT_BLOOM] = bloom >>> 0;
  words[o + ROOT_STATE] = (state | Math.min(missing, STATE_MISSING_MASK)) >>> 0;
  bucket.rootWordsChanged(index);
}

/** Marks a root whose trace holds another parentless span. */
export function markMulti(bucket: SpanBucket, index: number): void {
  const words = bucket.chunk(index).parentId;
  const o = (index & SPAN_CHUNK_MASK) * 4 + ROOT_STATE;
  words[o] = (words[o]! | STATE_MULTI) >>> 0;
  bucket.rootWordsChanged(index);
}
