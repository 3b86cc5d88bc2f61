// Where a trace lives in cluster mode: partition hash(trace_id) mod PARTITIONS, so all spans of a
// trace share a partition (a trace never spans two owners' stores), and its JetStream subject.
//
// The hash is the sampling hash (sampling/hash.ts) under its own salt: stable across nodes,
// versions and languages, spread well over ids that differ in a few bits, and independent of the
// head and tail decisions (a partition's traces are not all kept or all dropped together).

import { ID_WORDS, SpanBatch } from '../ingest/span-batch.js';
import { samplingHashOfWords } from '../sampling/hash.js';

/** The JetStream stream holding every partition's spans. */
export const SPANS_STREAM = 'TRACED_SPANS';
export const SPANS_SUBJECTS = 'traced.spans.*';

export function spansSubject(partition: number): string {
  return `traced.spans.${partition}`;
}

/** The partition of span i's trace. */
export function partitionOfSpan(batch: SpanBatch, i: number, partitions: number): number {
  return samplingHashOfWords(batch.ids, i * ID_WORDS, 'partition') % partitions;
}

/** The partition of a trace id held as four words at `offset`. */
export function partitionOfTraceWords(words: Uint32Array, offset: number, partitions: number): number {
  return samplingHashOfWords(words, offset, 'partition') % partitions;
}

/**
 * The batch's spans by partition, in batch order within each. A batch of one partition (one
 * trace, the common emitter batch) comes back as itself; the others are pooled copies, which the
 * caller releases (`part !== batch`).
 */
export function splitByPartition(batch: SpanBatch, partitions: number): Map<number, SpanBatch> {
  const parts = new Map<number, SpanBatch>();
  if (batch.length === 0) return parts;
  const first = partitionOfSpan(batch, 0, partitions);
  let i = 1;
  while (i < batch.length && partitionOfSpan(batch, i, partitions) === first) i++;
  if (i === batch.length) {
    parts.set(first, batch);
    return parts;
  }
  for (let s = 0; s < batch.length; s++) {
    const p = partitionOfSpan(batch, s, partitions);
    let part = parts.get(p);
    if (part === undefined) parts.set(p, (part = SpanBatch.acquire()));
    part.appendSpanOf(batch, s);
  }
  return parts;
}
