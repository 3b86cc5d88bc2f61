// Sampling under 100× the emitter's load (issue 4): what the window would hold without sampling,
// what tail sampling keeps (every failed trace, the slow ones, TAIL_KEEP_RATE of the rest) and
// what that costs, against head sampling at the same memory, which loses errors in proportion.
//
// In-process and simulated: a manual clock moves one second at a time, each second brings
// load × 100 emitter-shaped traces (the emitter's default is 20 workers × 5 traces/s) in
// 500-span batches, the sampler sweeps and the store evicts as the app's timers would. Nothing
// sleeps, so 30 simulated minutes take a few minutes of CPU.
//
//   npx tsx bench/sampling.ts                      100×, a 30-minute window filled
//   npx tsx bench/sampling.ts --minutes=3 --window=3 --load=100
//
// run() returns one flat record for the bench table.

import { SpanBatch } from '../src/ingest/span-batch.js';
import { loadConfig } from '../src/config.js';
import { SamplingStore, type TailReason } from '../src/sampling/sampling-store.js';
import { BucketStore } from '../src/store/buckets/bucket-store.js';
import type { IngestSpan } from '../src/store/trace-store.js';
import { ManualClock } from '../src/time/clock.js';
import { nsFromParts } from '../src/time/nanos.js';
import { SyntheticTraces } from './lib/synthetic-traces.js';
import { numberOption } from './lib/options.js';

export interface SamplingBenchOptions {
  /** Multiple of the emitter's default rate (100 traces/s). */
  load?: number;
  /** Simulated minutes of traffic. */
  minutes?: number;
  windowMinutes?: number;
  tailKeepRate?: number;
  /** Spans the memory budget holds: 16 M in 2 GiB (the collector's target). */
  budgetSpans?: number;
  log?: (line: string) => void;
}

const EMITTER_TRACES_PER_SEC = 100;
const BATCH_SPANS = 500;
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

interface Offered {
  /** Per simulated second: traces, spans, failed traces. */
  traces: number[];
  spans: number[];
  errors: number[];
}

interface Outcome {
  heldSpans: number;
  heldTraces: number;
  keptErrorTraces: number;
  offeredErrorTraces: number;
  columnBytes: number;
  decisionBytes: number;
  peakBufferedSpans: number;
  nsPerOfferedSpan: number;
  decisions: Record<string, number>;
}

async function simulate(
  options: Required<Omit<SamplingBenchOptions, 'log' | 'budgetSpans'>>,
  sampling: { headRate: number; tail: boolean },
  log: (line: string) => void,
): Promise<{ offered: Offered; outcome: Outcome }> {
  const clock = new ManualClock(T0);
  const inner = new BucketStore({ clock, windowMinutes: options.windowMinutes });
  const decisions: Record<string, number> = {};
  const store = new SamplingStore(inner, {
    clock,
    windowMinutes: options.windowMinutes,
    headRate: sampling.headRate,
    tail: sampling.tail ? { slowMs: undefined, keepRate: options.tailKeepRate, decisionSeconds: 10, maxBufferedSpans: 250_000, maxBufferedBytes: loadConfig({}).sampling.tailBufferBytes } : undefined,
    observer: {
      sampledOut() {},
      decided(keep: boolean, reason: TailReason | undefined, early: boolean) {
        const key = `${keep ? 'kept' : 'dropped'}_${early ? 'early_' : ''}${reason ?? 'rest'}`;
        decisions[key] = (decisions[key] ?? 0) + 1;
      },
      flushed() {},
    },
  });
  const gen = new SyntheticTraces({ seed: 11 });
  const perSecond = Math.round(options.load * EMITTER_TRACES_PER_SEC);
  const seconds = options.minutes * 60;
  const offered: Offered = { traces: [], spans: [], errors: [] };
  let peakBuffered = 0;
  let ingestNs = 0;
  let offeredSpans = 0;
  for (let s = 0; s < seconds; s++) {
    clock.set(T0 + s * 1000);
    const sec = Math.floor((T0 + s * 1000) / 1000);
    let batch: IngestSpan[] = [];
    let spans = 0;
    let errors = 0;
    for (let i = 0; i < perSecond; i++) {
      const trace = gen.trace(sec, Math.floor((i * 1e9) / perSecond));
      spans += trace.spans.length;
      if (trace.error) errors++;
      for (const span of trace.spans) batch.push(span);
      if (batch.length >= BATCH_SPANS) {
        const t = process.hrtime.bigint();
        await store.apply(SpanBatch.fromSpans(batch));
        ingestNs += Number(process.hrtime.bigint() - t);
        batch = [];
      }
    }
    const t = process.hrtime.bigint();
    if (batch.length > 0) await store.apply(SpanBatch.fromSpans(batch));
    await store.sweep();
    while ((await store.evict()).pending);
    ingestNs += Number(process.hrtime.bigint() - t);
    offered.traces.push(perSecond);
    offered.spans.push(spans);
    offered.errors.push(errors);
    offeredSpans += spans;
    peakBuffered = Math.max(peakBuffered, store.state().bufferedSpans);
    if (s % 60 === 59) log(`sampling bench (${sampling.tail ? 'tail' : `head ${sampling.headRate}`}): ${(s + 1) / 60} min, ${(await inner.stats()).spans} spans held`);
  }
  // Quiet: the last traces are decided.
  clock.advance(11_000);
  await store.sweep();

  // Failed traces whose root started in a whole second still inside the window.
  const edgeMs = clock.nowMs() - options.windowMinutes * 60_000;
  const firstSecond = Math.max(0, Math.ceil((edgeMs - T0) / 1000));
  let offeredErrorTraces = 0;
  for (let s = firstSecond; s < seconds; s++) offeredErrorTraces += offered.errors[s]!;
  const after = nsFromParts(Math.floor(T0 / 1000) + firstSecond, 0);
  const keptErrorTraces = (await inner.listTraces({ limit: 0, after, filter: { status: 'error' } })).total;
  const stats = await inner.stats();
  return {
    offered,
    outcome: {
      heldSpans: stats.spans,
      heldTraces: stats.traces,
      keptErrorTraces,
      offeredErrorTraces,
      columnBytes: inner.columnBytes(),
      decisionBytes: store.state().decisionBytes,
      peakBufferedSpans: peakBuffered,
      nsPerOfferedSpan: ingestNs / offeredSpans,
      decisions,
    },
  };
}

export async function run(options: SamplingBenchOptions = {}): Promise<Record<string, number | string>> {
  const o = {
    load: options.load ?? 100,
    minutes: options.minutes ?? options.windowMinutes ?? 30,
    windowMinutes: options.windowMinutes ?? 30,
    tailKeepRate: options.tailKeepRate ?? 0.05,
  };
  const budget = options.budgetSpans ?? 16_000_000;
  const log = options.log ?? (() => {});
  const out: Record<string, number | string> = { load: o.load, simulated_minutes: o.minutes, window_minutes: o.windowMinutes };

  const tail = await simulate(o, { headRate: 1, tail: true }, log);
  const windowSeconds = o.windowMinutes * 60;
  const inWindow = (xs: number[]) => xs.slice(-windowSeconds).reduce((a, b) => a + b, 0);
  const offeredSpansInWindow = inWindow(tail.offered.spans);
  out.offered_spans_per_sec = Math.round(tail.offered.spans.reduce((a, b) => a + b, 0) / (o.minutes * 60));
  out.unsampled_window_spans = offeredSpansInWindow;
  out.unsampled_window_vs_budget = Number((offeredSpansInWindow / budget).toFixed(2));
  out.tail_held_spans = tail.outcome.heldSpans;
  out.tail_held_vs_budget = Number((tail.outcome.heldSpans / budget).toFixed(2));
  out.tail_kept_share_of_spans = Number((tail.outcome.heldSpans / offeredSpansInWindow).toFixed(3));
  out.tail_error_traces_kept = `${tail.outcome.keptErrorTraces}/${tail.outcome.offeredErrorTraces}`;
  out.tail_error_traces_kept_share = Number((tail.outcome.keptErrorTraces / Math.max(1, tail.outcome.offeredErrorTraces)).toFixed(4));
  for (const [k, v] of Object.entries(tail.outcome.decisions)) out[`tail_decisions_${k}`] = v;
  out.tail_store_mib = Number((tail.outcome.columnBytes / 2 ** 20).toFixed(1));
  out.tail_decision_memory_mib = Number((tail.outcome.decisionBytes / 2 ** 20).toFixed(1));
  out.tail_peak_buffered_spans = tail.outcome.peakBufferedSpans;
  out.tail_ns_per_offered_span = Math.round(tail.outcome.nsPerOfferedSpan);
  out.rss_gib_after_tail = Number((process.memoryUsage().rss / 2 ** 30).toFixed(2));
  log(`sampling bench: tail keeps ${out.tail_kept_share_of_spans} of spans, errors ${out.tail_error_traces_kept}`);

  // Head sampling holding as many spans: errors are kept only at the sampling rate.
  const headRate = Math.max(0.001, Math.min(1, tail.outcome.heldSpans / offeredSpansInWindow));
  const head = await simulate(o, { headRate, tail: false }, log);
  out.head_rate_same_memory = Number(headRate.toFixed(3));
  out.head_held_spans = head.outcome.heldSpans;
  out.head_error_traces_kept = `${head.outcome.keptErrorTraces}/${head.outcome.offeredErrorTraces}`;
  out.head_error_traces_kept_share = Number((head.outcome.keptErrorTraces / Math.max(1, head.outcome.offeredErrorTraces)).toFixed(4));
  out.head_ns_per_offered_span = Math.round(head.outcome.nsPerOfferedSpan);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run({
    load: numberOption(process.argv, 'load'),
    minutes: numberOption(process.argv, 'minutes'),
    windowMinutes: numberOption(process.argv, 'window'),
    tailKeepRate: numberOption(process.argv, 'keep-rate'),
    log: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
