// The sampler's settings, what it reports, and the shape of its tail decisions.

import type { IngestResult } from '../store/trace-store.js';
import type { Clock } from '../time/clock.js';

export interface TailSamplingOptions {
  /** Keep traces whose root lasted at least this long (ms), besides the p99 rule. */
  slowMs: number | undefined;
  /** Share of the remaining traces kept, by trace id hash. */
  keepRate: number;
  /** A trace is decided once no span of it has arrived for this long. */
  decisionSeconds: number;
  /** Spans the buffer holds at most; beyond it the longest-quiet traces are decided early. */
  maxBufferedSpans: number;
  /** TAIL_BUFFER_BYTES: heap bytes of waiting spans at most (estimated as spanHeapBytes does). */
  maxBufferedBytes: number;
}

/** `replay`: kept at a restart for want of a logged decision (the buffer overflowing, or replay's end). */
export type TailReason = 'error' | 'slow' | 'rate' | 'replay';

/** Where sampling reports what it did (CollectorMetrics implements it). */
export interface SamplingObserver {
  sampledOut(mode: 'head' | 'tail', spans: number): void;
  /** `reason` is undefined for a drop; `early` when the buffer limit forced the decision. */
  decided(keep: boolean, reason: TailReason | undefined, early: boolean): void;
  /** The store's answer for kept spans flushed from the buffer (they may have aged out meanwhile). */
  flushed(result: IngestResult): void;
}

export interface SamplingOptions {
  clock: Clock;
  windowMinutes: number;
  /** SAMPLING_RATE, (0, 1]; 1 keeps every trace. */
  headRate: number;
  /** TAIL_SAMPLING=on. */
  tail: TailSamplingOptions | undefined;
  observer?: SamplingObserver;
}

/** Tail decisions of one round, by trace id (lowercase UUID text). */
export interface TailDecisions {
  keep: string[];
  drop: string[];
}

export interface SamplingState {
  bufferedSpans: number;
  bufferedTraces: number;
  rememberedDecisions: number;
  decisionBytes: number;
}
