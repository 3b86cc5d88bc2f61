// Prometheus metrics. One registry per app instance, so tests can run several apps side by side.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { REFUSAL_REASONS } from './admission/admission-control.js';
import type { IngestKind, RefusalGate } from './admission/refusal-gate.js';
import { RequestDurationHistogram } from './request-duration-histogram.js';
import type { SamplingObserver, SamplingState } from '../sampling/sampling-store.js';
import type { TraceStore } from '../store/trace-store.js';

export class CollectorMetrics {
  readonly registry = new Registry();
  readonly spansAccepted: Counter;
  readonly spansDiscarded: Counter<'reason'>;
  readonly spansDuplicate: Counter;
  readonly spansEvicted: Counter;
  readonly batchesRejected: Counter<'reason'>;
  readonly requestDuration: RequestDurationHistogram;
  readonly otlpRequestsRejected: Counter<'reason'>;
  readonly otlpSpansRejected: Counter;
  readonly logsAccepted: Counter;
  readonly logsDiscarded: Counter<'reason'>;
  readonly logsEvicted: Counter;
  readonly logBatchesRejected: Counter<'reason'>;
  readonly spansSampledOut: Counter<'mode'>;
  readonly tailDecisions: Counter<'decision' | 'reason'>;
  /** Read by the sampling gauges; set when a sampler is in front of the store. */
  samplingState: (() => SamplingState) | undefined;

  constructor(
    /** What the store gauges read: the store, or in cluster mode the node's partition stores together. */
    store: Pick<TraceStore, 'stats'>,
    limits: {
      maxSpans: number;
      eventLoopLagMs: () => number;
      shedShare: () => number;
      queueDelayMs: () => number;
      queueLength: () => number;
      /** Where admission refusals are counted (in plain integers, read here at scrape time). */
      refusals: Pick<RefusalGate, 'drain'>;
      /** Bytes of ingest bodies held now, against MAX_INFLIGHT_BODY_BYTES. */
      inflightBodyBytes?: () => number;
      maxInflightBodyBytes?: number;
    },
    logs: { stats: () => { logs: number; bytes?: number } | Promise<{ logs: number; bytes?: number }>; maxLogs: number } = { stats: () => ({ logs: 0 }), maxLogs: 0 },
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.spansAccepted = new Counter({
      name: 'traced_spans_accepted_total',
      help: 'Spans accepted into the window (including re-sent ones already held).',
      registers,
    });
    this.spansDiscarded = new Counter({
      name: 'traced_spans_discarded_total',
      help: 'Spans outside the window on arrival, by reason (stale: older than the window; future: more than 5 minutes ahead).',
      labelNames: ['reason'],
      registers,
    });
    // Zero-valued series exist from the start, so dashboards and alerts see them before traffic.
    this.spansDiscarded.inc({ reason: 'stale' }, 0);
    this.spansDiscarded.inc({ reason: 'future' }, 0);
    this.spansDuplicate = new Counter({
      name: 'traced_spans_duplicate_total',
      help: 'Spans re-sent with a span_id already held for their trace (idempotent, not stored twice).',
      registers,
    });
    this.spansEvicted = new Counter({
      name: 'traced_evicted_spans_total',
      help: 'Spans released because the window moved past them.',
      registers,
    });
    const drainRefusals = (kind: IngestKind) =>
      function (this: Counter<'reason'>) {
        limits.refusals.drain(kind, (reason, count) => this.inc({ reason }, count));
      };
    this.batchesRejected = new Counter({
      name: 'traced_batches_rejected_total',
      help: 'POST /spans requests refused without storing anything, by reason (invalid, too_large, media_type: 4xx; memory, heap, queue_delay, queue_timeout, inflight_bytes, storage, replaying: 503).',
      labelNames: ['reason'],
      registers,
      collect: drainRefusals('spans'),
    });
    for (const reason of ['invalid', ...REFUSAL_REASONS]) this.batchesRejected.inc({ reason }, 0);
    new Gauge({
      name: 'traced_store_max_spans',
      help: 'The memory budget (MAX_SPANS): POST /spans answers 503 while this many spans are held.',
      registers,
      collect() {
        this.set(limits.maxSpans);
      },
    });
    new Gauge({
      name: 'traced_event_loop_lag_seconds',
      help: 'How late the last 100 ms timer fired: the event loop\'s lag (a gauge only; ingest is shed by queueing delay).',
      registers,
      collect() {
        this.set(limits.eventLoopLagMs() / 1000);
      },
    });
    new Gauge({
      name: 'traced_ingest_shed_ratio',
      help: 'Share of ingest batches refused now to hold their queueing delay to INGEST_DELAY_TARGET_MS.',
      registers,
      collect() {
        this.set(limits.shedShare());
      },
    });
    new Gauge({
      name: 'traced_ingest_queue_delay_seconds',
      help: 'The shortest wait of admitted ingest batches to be parsed and stored over the last 100 ms (smoothed): the delay the shed controller holds to INGEST_DELAY_TARGET_MS.',
      registers,
      collect() {
        this.set(limits.queueDelayMs() / 1000);
      },
    });
    new Gauge({
      name: 'traced_inflight_body_bytes',
      help: 'Bytes of ingest request bodies held now, from their headers to their answer, against MAX_INFLIGHT_BODY_BYTES.',
      registers,
      collect() {
        this.set(limits.inflightBodyBytes?.() ?? 0);
      },
    });
    new Gauge({
      name: 'traced_max_inflight_body_bytes',
      help: 'The in-flight body budget (MAX_INFLIGHT_BODY_BYTES): an ingest body that would take traced_inflight_body_bytes past it answers 503.',
      registers,
      collect() {
        this.set(limits.maxInflightBodyBytes ?? 0);
      },
    });
    new Gauge({
      name: 'traced_ingest_queue_length',
      help: 'Ingest batches admitted and waiting their turn now.',
      registers,
      collect() {
        this.set(limits.queueLength());
      },
    });
    // OTLP (POST /v1/traces): spans it stores count in the span counters above.
    this.otlpRequestsRejected = new Counter({
      name: 'traced_otlp_requests_rejected_total',
      help: 'POST /v1/traces requests refused without storing anything, by reason (invalid, too_large, media_type: 4xx; memory, heap, queue_delay, queue_timeout, inflight_bytes, storage, replaying: 503).',
      labelNames: ['reason'],
      registers,
      collect: drainRefusals('otlp'),
    });
    for (const reason of ['invalid', ...REFUSAL_REASONS]) this.otlpRequestsRejected.inc({ reason }, 0);
    this.otlpSpansRejected = new Counter({
      name: 'traced_otlp_spans_rejected_total',
      help: 'Spans in accepted OTLP requests that could not be mapped (invalid ids, times beyond int64, end before start); reported in partial_success.',
      registers,
    });
    // Logs (POST /logs).
    this.logsAccepted = new Counter({ name: 'traced_logs_accepted_total', help: 'Log lines accepted into the window.', registers });
    this.logsDiscarded = new Counter({
      name: 'traced_logs_discarded_total',
      help: 'Log lines outside the window on arrival, by reason (stale, future).',
      labelNames: ['reason'],
      registers,
    });
    this.logsDiscarded.inc({ reason: 'stale' }, 0);
    this.logsDiscarded.inc({ reason: 'future' }, 0);
    this.logsEvicted = new Counter({ name: 'traced_evicted_logs_total', help: 'Log lines released because the window moved past them.', registers });
    this.logBatchesRejected = new Counter({
      name: 'traced_log_batches_rejected_total',
      help: 'POST /logs requests refused without storing anything, by reason (invalid, too_large, media_type: 4xx; log_budget, heap, queue_delay, queue_timeout, inflight_bytes, storage, replaying: 503).',
      labelNames: ['reason'],
      registers,
      collect: drainRefusals('logs'),
    });
    for (const reason of ['invalid', 'log_budget', 'heap', 'queue_delay', 'queue_timeout', 'inflight_bytes', 'storage', 'replaying']) this.logBatchesRejected.inc({ reason }, 0);
    new Gauge({
      name: 'traced_store_logs',
      help: 'Log lines held in memory now.',
      registers,
      async collect() {
        this.set((await logs.stats()).logs);
      },
    });
    new Gauge({
      name: 'traced_store_log_bytes',
      help: 'Heap bytes the log lines hold now, as counted against MAX_LOG_BYTES.',
      registers,
      async collect() {
        this.set((await logs.stats()).bytes ?? 0);
      },
    });
    new Gauge({
      name: 'traced_store_max_logs',
      help: 'The log budget (MAX_LOGS): POST /logs answers 503 while this many log lines are held.',
      registers,
      collect() {
        this.set(logs.maxLogs);
      },
    });
    this.requestDuration = new RequestDurationHistogram(
      'traced_http_request_duration_seconds',
      'HTTP request latency by route.',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      this.registry,
    );
    new Gauge({
      name: 'traced_store_spans',
      help: 'Spans held in memory now.',
      registers,
      async collect() {
        this.set((await store.stats()).spans);
      },
    });
    new Gauge({
      name: 'traced_store_traces',
      help: 'Traces held in memory now (with or without their root).',
      registers,
      async collect() {
        this.set((await store.stats()).traces);
      },
    });
    new Gauge({
      name: 'traced_store_buckets',
      help: 'Minute buckets held now, including ones being released.',
      registers,
      async collect() {
        this.set((await store.stats()).buckets);
      },
    });

    new Gauge({
      name: 'traced_store_bytes',
      help: 'Bytes of span columns, tag text and trace records held now, as counted against MAX_SPAN_BYTES.',
      registers,
      async collect() {
        this.set((await store.stats()).bytes ?? 0);
      },
    });
    new Gauge({
      name: 'traced_store_endpoints',
      help: 'Distinct (service, operation) pairs held now; at most MAX_ENDPOINTS plus the overflow pairs.',
      registers,
      async collect() {
        this.set((await store.stats()).endpoints ?? 0);
      },
    });
    let overflowedSeen = 0;
    new Counter({
      name: 'traced_spans_overflowed_total',
      help: 'Spans stored under the name traced.overflow because MAX_ENDPOINTS pairs were already held.',
      registers,
      async collect() {
        const overflowed = (await store.stats()).overflowedSpans ?? 0;
        this.inc(overflowed - overflowedSeen);
        overflowedSeen = overflowed;
      },
    });

    // Sampling (src/sampling/): zero while it is off.
    this.spansSampledOut = new Counter({
      name: 'traced_spans_sampled_out_total',
      help: 'Spans answered 202 but dropped by sampling, by mode (head: SAMPLING_RATE; tail: a dropped tail decision). Not in accepted.',
      labelNames: ['mode'],
      registers,
    });
    this.spansSampledOut.inc({ mode: 'head' }, 0);
    this.spansSampledOut.inc({ mode: 'tail' }, 0);
    this.tailDecisions = new Counter({
      name: 'traced_tail_decisions_total',
      help: 'Tail-sampling decisions on traces, by decision (keep, drop) and reason (error, slow, rate; replay when a restart kept a trace whose decision was not in the ingest log; none for drops; early_* when the buffer limit forced it).',
      labelNames: ['decision', 'reason'],
      registers,
    });
    this.samplingState = undefined;
    const self = this;
    const sampling = (read: (s: SamplingState) => number) =>
      function (this: Gauge) {
        const state = self.samplingState?.();
        this.set(state === undefined ? 0 : read(state));
      };
    new Gauge({ name: 'traced_tail_buffered_spans', help: 'Spans waiting for a tail-sampling decision.', registers, collect: sampling((s) => s.bufferedSpans) });
    new Gauge({ name: 'traced_tail_buffered_traces', help: 'Traces waiting for a tail-sampling decision.', registers, collect: sampling((s) => s.bufferedTraces) });
    new Gauge({
      name: 'traced_tail_remembered_decisions',
      help: 'Tail-sampling decisions remembered so that late spans follow them (held for the window).',
      registers,
      collect: sampling((s) => s.rememberedDecisions),
    });
  }

  /** Sampling reports into these metrics. */
  samplingObserver(): SamplingObserver {
    return {
      sampledOut: (mode, spans) => this.spansSampledOut.inc({ mode }, spans),
      decided: (keep, reason, early) =>
        this.tailDecisions.inc({ decision: keep ? 'keep' : 'drop', reason: (early ? 'early_' : '') + (reason ?? 'none') }),
      flushed: (result) => {
        if (result.discardedStale > 0) this.spansDiscarded.inc({ reason: 'stale' }, result.discardedStale);
        if (result.discardedFuture > 0) this.spansDiscarded.inc({ reason: 'future' }, result.discardedFuture);
        if (result.duplicates > 0) this.spansDuplicate.inc(result.duplicates);
      },
    };
  }
}
