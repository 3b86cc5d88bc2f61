/**
 * Trace and batch generation. Pure: all randomness comes from the `Random`
 * passed in and "now" is an argument, so tests can replay any sequence.
 */
import { bigBetween, chance, intBetween, pick, shuffled, type Random } from './random.js';

export type SpanStatus = 'ok' | 'error';

export interface Span {
  trace_id: string;
  span_id: string;
  /** Absent on the root, as the contract requires (never null, never ""). */
  parent_span_id?: string;
  service: string;
  operation: string;
  /** Unix nanoseconds. bigint because a double cannot hold 19 digits. */
  start_time: bigint;
  end_time: bigint;
  status: SpanStatus;
  tags: Record<string, string>;
}

export interface Trace {
  trace_id: string;
  /** Root first, then children in creation order (each after its parent). */
  spans: Span[];
}

export const CATALOGUE: ReadonlyArray<{ service: string; operation: string }> = [
  { service: 'checkout', operation: 'place_order' },
  { service: 'checkout', operation: 'validate_cart' },
  { service: 'inventory', operation: 'reserve_stock' },
  { service: 'inventory', operation: 'check_availability' },
  { service: 'payment', operation: 'charge_card' },
  { service: 'payment', operation: 'refund' },
  { service: 'shipping', operation: 'create_label' },
  { service: 'shipping', operation: 'quote_rates' },
  { service: 'notification', operation: 'send_email' },
  { service: 'notification', operation: 'send_sms' },
];

export const ERROR_RATE = 0.05;
export const MIN_CHILDREN = 1;
export const MAX_CHILDREN = 4;
const MS = 1_000_000n;
export const ROOT_MIN_NS = 50n * MS;
export const ROOT_MAX_NS = 500n * MS;

/**
 * One trace: a root starting at `nowNs` lasting 50–500 ms, and 1–4 children
 * forming a random tree under it. Each child lies inside its parent's time
 * range, hence inside the root's; as the root starts "now", children start
 * up to 0.5 s in the future — servers must not treat that as invalid.
 */
export function generateTrace(r: Random, nowNs: bigint, workerId = 0): Trace {
  const traceId = r.uuid();
  const rootKind = pick(r, CATALOGUE);
  const rootStart = nowNs;
  const rootEnd = rootStart + bigBetween(r, ROOT_MIN_NS, ROOT_MAX_NS);
  const spans: Span[] = [
    {
      trace_id: traceId,
      span_id: r.uuid(),
      service: rootKind.service,
      operation: rootKind.operation,
      start_time: rootStart,
      end_time: rootEnd,
      status: chance(r, ERROR_RATE) ? 'error' : 'ok',
      tags: { 'http.method': 'POST', 'emitter.worker': String(workerId) },
    },
  ];
  const children = intBetween(r, MIN_CHILDREN, MAX_CHILDREN);
  for (let i = 0; i < children; i += 1) {
    const parent = pick(r, spans);
    const kind = pick(r, CATALOGUE);
    // Start in the first half of the parent so most children get a
    // non-trivial duration; end anywhere up to the parent's end.
    const start = bigBetween(r, parent.start_time, parent.start_time + (parent.end_time - parent.start_time) / 2n);
    const end = bigBetween(r, start, parent.end_time);
    spans.push({
      trace_id: traceId,
      span_id: r.uuid(),
      parent_span_id: parent.span_id,
      service: kind.service,
      operation: kind.operation,
      start_time: start,
      end_time: end,
      status: chance(r, ERROR_RATE) ? 'error' : 'ok',
      tags: { 'peer.service': parent.service },
    });
  }
  return { trace_id: traceId, spans };
}

export interface BatchOptions {
  /** Send once the pending batch holds at least this many spans. */
  batchSize: number;
  /** Probability a trace's spans are shuffled. */
  disorder: number;
  /** Probability that a batch is cut at exactly `batchSize` spans. */
  straddle: number;
}

/**
 * Accumulates traces into request-sized batches.
 *
 * Default behaviour, like the upstream emitter: whole traces are appended
 * until the batch holds ≥ batchSize spans, so batches are batchSize …
 * batchSize+4 spans and a trace never spans two requests.
 *
 * Deliberate addition: with probability `straddle`, a batch that would
 * overshoot is instead cut at exactly batchSize spans and the rest of the
 * last trace (possibly including its root, if it was shuffled) opens the next
 * batch. That exercises cross-request assembly — the server must join spans
 * of one trace arriving in two requests, in either order — which the
 * upstream traffic only reaches by accident. Invariant: after `add`, fewer
 * than batchSize spans are pending; every emitted batch has between
 * batchSize and batchSize+4 spans, except the final `flush`.
 */
export class BatchBuilder {
  private pending: Span[] = [];

  constructor(
    private readonly r: Random,
    private readonly opts: BatchOptions,
  ) {}

  /** Returns the batches (zero or more) that became ready. */
  add(trace: Trace): Span[][] {
    const spans = chance(this.r, this.opts.disorder) ? shuffled(this.r, trace.spans) : trace.spans.slice();
    const size = this.opts.batchSize;
    const ready: Span[][] = [];
    if (this.pending.length + spans.length > size && chance(this.r, this.opts.straddle)) {
      const all = this.pending.concat(spans);
      while (all.length >= size) ready.push(all.splice(0, size));
      this.pending = all;
    } else {
      this.pending.push(...spans);
      if (this.pending.length >= size) {
        ready.push(this.pending);
        this.pending = [];
      }
    }
    return ready;
  }

  /** The short tail batch at shutdown, so every generated span is sent. */
  flush(): Span[] | undefined {
    if (this.pending.length === 0) return undefined;
    const out = this.pending;
    this.pending = [];
    return out;
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}

/**
 * The request body text. Built by hand because JSON.stringify cannot print a
 * bigint, and converting to a number would round the 19-digit times: the
 * times are written as bare JSON integers with every digit.
 */
export function encodeBatch(spans: readonly Span[]): string {
  return `{"spans":[${spans.map(encodeSpan).join(',')}]}`;
}

export function encodeSpan(s: Span): string {
  const parent = s.parent_span_id === undefined ? '' : `,"parent_span_id":${JSON.stringify(s.parent_span_id)}`;
  return (
    `{"trace_id":${JSON.stringify(s.trace_id)},"span_id":${JSON.stringify(s.span_id)}${parent}` +
    `,"service":${JSON.stringify(s.service)},"operation":${JSON.stringify(s.operation)}` +
    `,"start_time":${s.start_time.toString()},"end_time":${s.end_time.toString()}` +
    `,"status":${JSON.stringify(s.status)},"tags":${JSON.stringify(s.tags)}}`
  );
}

/** What GET /traces should say about a fully delivered trace. */
export interface ExpectedSummary {
  trace_id: string;
  root_service: string;
  root_operation: string;
  span_count: number;
  duration_ms: number;
  start_time: bigint;
  status: SpanStatus;
}

export function expectedSummary(trace: Trace): ExpectedSummary {
  const root = trace.spans.find((s) => s.parent_span_id === undefined);
  if (root === undefined) throw new Error(`trace ${trace.trace_id} has no root`);
  return {
    trace_id: trace.trace_id,
    root_service: root.service,
    root_operation: root.operation,
    span_count: trace.spans.length,
    // BigInt division truncates, which is floor for the non-negative durations here.
    duration_ms: Number((root.end_time - root.start_time) / MS),
    start_time: root.start_time,
    status: trace.spans.some((s) => s.status === 'error') ? 'error' : 'ok',
  };
}
