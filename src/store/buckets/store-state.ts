// What every part of the bucket store shares: the window, the memory pool, the trace records,
// the interned names, the live minutes and the counters the parts keep between them. The parts
// (span-writer.ts, trace-search.ts, trace-reader.ts, minute-statistics.ts, evictor.ts) are handed
// this object and read its fields directly; none of them owns it.
//
// Invariants that every part relies on:
// - Each trace chains its spans newest bucket first (span `next` refs). Releasing the oldest
//   buckets therefore only cuts chain tails, and a walk stops at the first ref whose bucket has
//   left the ring.
// - Every root span carries its trace's search summary in its unused parent-id words (root
//   words, word-layout.ts), maintained by the span writer as spans arrive.
// - A root without STATE_EARLY has every span of its trace at or after its own start, so while
//   the root is in the window every span is, and nothing of the trace has been released: its
//   root words and its trace counters (spans, errors) are exact. With STATE_EARLY or STATE_MULTI
//   queries recompute the trace from its spans with the exact edge (trace-facts.ts).

import type { Clock } from '../../time/clock.js';
import { windowEdge, type Instant } from '../window.js';
import { BlockPool } from './block-pool.js';
import { EndpointTable } from './endpoint-table.js';
import { MinuteRing } from './minute-ring.js';
import { ServiceNames } from './service-names.js';
import { TraceTable } from './trace-table.js';

/** What the walk of a big trace would find, from maps instead. */
export interface BigTrace {
  /** Newest copy of each span id. */
  spans: Map<string, number>;
  /** Refs of parentless spans. */
  roots: number[];
  /** Refs of spans not yet linked to their parent, by parent span id. */
  waiting: Map<string, number[]>;
}

export class StoreState {
  /** Memory for the columns of buckets, tag indexes and trace records (block-pool.ts). */
  readonly pool = new BlockPool();
  readonly traces = new TraceTable(this.pool);
  readonly endpoints: EndpointTable;
  readonly minutes: MinuteRing;
  /** Span-id indexes of the traces past bigTraceSpans, by trace record. */
  readonly bigTraces = new Map<number, BigTrace>();
  readonly serviceNames: ServiceNames;
  /** Spans held, including those of buckets still being released. */
  heldSpans = 0;
  /** Traces holding more than one parentless span; while > 0, listings check each root. */
  multiRootTraces = 0;

  constructor(
    readonly clock: Clock,
    readonly windowMinutes: number,
    maxEndpoints: number | undefined,
  ) {
    this.endpoints = new EndpointTable(maxEndpoints);
    this.minutes = new MinuteRing(clock, windowMinutes, this.pool, this.traces);
    this.serviceNames = new ServiceNames(this.endpoints);
  }

  /** Oldest start still in the window now. */
  windowEdge(): Instant {
    return windowEdge(this.clock.nowMs(), this.windowMinutes);
  }
}
