// Random traces of many shapes for the tests that compare answers across stores, nodes and
// collectors: deterministic from a seed, so that a failure reproduces.
import type { WireSpanInput } from './http.js';
import { nsAt, uuid } from './spans.js';

const SERVICES = ['checkout', 'payment', 'inventory', 'db', 'auth'];
const OPERATIONS = ['charge', 'reserve', 'query', 'login', 'place_order'];

/** A small deterministic generator of numbers in [0, 1). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export interface RandomTraceOptions {
  /** Traces start within this many minutes before `nowMs` (and at least 5 s before it). */
  spreadMinutes: number;
  /** Some spans get a second tag (`tier`), for filters on two tags. */
  tiers?: boolean;
  /** Every eleventh trace gets a span whose parent is in no batch. */
  orphans?: boolean;
}

/**
 * `count` traces of 1–6 spans before `nowMs`: errors, tags, children under earlier spans, some
 * roots missing, and every tenth trace starting at the very nanosecond of the one before, so that
 * ties in the listing order cross partitions, nodes and collectors. Ids differ by `salt`.
 */
export function makeTraces(count: number, nowMs: number, salt: number, options: RandomTraceOptions): WireSpanInput[][] {
  const next = random(salt);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const traces: WireSpanInput[][] = [];
  let previous = 0n;
  for (let t = 0; t < count; t++) {
    const traceId = uuid(t, salt);
    const start = t % 10 === 1 ? previous : BigInt(nsAt(nowMs - 5000 - Math.floor(next() * options.spreadMinutes * 60_000), BigInt(Math.floor(next() * 1e6))));
    previous = start;
    const spans: WireSpanInput[] = [];
    const size = 1 + Math.floor(next() * 6);
    for (let s = 0; s < size; s++) {
      const spanStart = start + BigInt(s) * 1_000_000n + BigInt(Math.floor(next() * 1000));
      const span: WireSpanInput = {
        trace_id: traceId,
        span_id: uuid(t * 16 + s, salt + 1),
        service: s === 0 ? pick(SERVICES.slice(0, 2)) : pick(SERVICES),
        operation: pick(OPERATIONS),
        start_time: spanStart.toString(),
        end_time: (spanStart + BigInt(Math.floor(next() * 600_000_000))).toString(),
        status: next() < 0.15 ? 'error' : 'ok',
      };
      if (s > 0) span.parent_span_id = uuid(t * 16 + Math.floor(next() * s), salt + 1);
      if (next() < 0.5) span.tags = { region: pick(['eu', 'us']), ...(options.tiers === true && next() < 0.5 ? { tier: pick(['gold', 'free']) } : {}) };
      spans.push(span);
    }
    if (t % 13 === 5 && spans.length > 1) spans.shift(); // the root never arrived
    if (options.orphans === true && t % 11 === 3) spans.push({ ...spans[spans.length - 1]!, span_id: uuid(t * 16 + 15, salt + 1), parent_span_id: uuid(99_999, salt + 1) });
    traces.push(spans);
  }
  return traces;
}
