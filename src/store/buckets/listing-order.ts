// Positions in the listing order (root start descending, trace id ascending): how a cursor of
// GET /traces finds its place among a bucket's sorted roots, and how roots of different buckets
// compare.

import { NS_PER_SEC, secondsOf, subsecondNanosOf } from '../../time/nanos.js';
import type { ListPosition } from '../trace-store.js';
import type { SpanBucket } from './span-bucket.js';
import { TraceTable } from './trace-table.js';
import { writeUuidWords } from '../../codec/uuid-words.js';
import { SPAN_CHUNK_MASK } from './word-layout.js';

/** A cursor resolved against the store's minutes. */
export interface CursorAt {
  minute: number;
  offset: number;
  ids: Uint32Array;
}

/** A cursor position against the store's minutes (`baseMinute`: minute-ring.ts). */
export function cursorAt(position: ListPosition, baseMinute: number): CursorAt {
  const sec = secondsOf(position.startTime);
  const absMinute = Math.floor(sec / 60);
  const ids = new Uint32Array(4);
  writeUuidWords(position.traceId, ids, 0);
  return {
    minute: absMinute - baseMinute,
    offset: (sec - absMinute * 60) * NS_PER_SEC + subsecondNanosOf(position.startTime),
    ids,
  };
}

/** Whether a root comes strictly after the cursor in the listing order. */
export function isAfterCursor(traces: TraceTable, bucket: SpanBucket, index: number, c: CursorAt): boolean {
  if (bucket.minute !== c.minute) return bucket.minute < c.minute;
  const offset = bucket.startOffsetOf(index);
  if (offset !== c.offset) return offset < c.offset;
  const rec = bucket.chunk(index).trace[index & SPAN_CHUNK_MASK]!;
  const words = traces.chunkOf(rec).idWords;
  const o = TraceTable.offset(rec) * 4;
  for (let k = 0; k < 4; k++) if (words[o + k] !== c.ids[k]) return words[o + k]! > c.ids[k]!;
  return false;
}

/** The first sorted position in [from, to) whose root is not after the cursor. */
export function cursorCut(traces: TraceTable, bucket: SpanBucket, c: CursorAt, from: number, to: number): number {
  if (bucket.minute > c.minute) return from;
  if (bucket.minute < c.minute) return to;
  // Sorted ascending, so the roots after the cursor (earlier, or equal and larger id) lead.
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAfterCursor(traces, bucket, bucket.roots[mid]!, c)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Root order of rootOrderFor across buckets: ascending start, then descending trace id. */
export function compareRoots(ba: SpanBucket, a: number, bb: SpanBucket, b: number): number {
  if (ba !== bb) return ba.minute - bb.minute;
  return ba.rootOrder(a, b);
}
