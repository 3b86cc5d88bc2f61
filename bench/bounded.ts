// npm run bench:bounded (issue 14): what hostile but valid input costs with the shipped defaults.
//
// - Names: 3 M distinct (service, operation) pairs pass through a 1-minute window and leave;
//   heap used after a full GC against the idle baseline, and RSS; and the longest single ingest
//   or eviction call meanwhile, while the trace index grows to millions of traces.
// - One trace of N spans in one batch against N one-span traces: µs a span, to show that
//   ingest stays linear whatever the shape.
// - The worst queries at N traces (4 M; 500 k with --quick): 1,000 repeated tag filters, and
//   searches matching every trace. In-process through app.inject, so routing, validation and the
//   JSON count; a GET handler runs to completion in one turn, so its time is the event-loop block.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SpanBatch } from '../src/ingest/span-batch.js';
import { buildApp } from '../src/app.js';
import { DEFAULT_MAX_ENDPOINTS, DEFAULT_QUERY_SCAN_BUDGET, loadConfig } from '../src/config.js';
import { BucketStore } from '../src/store/buckets/bucket-store.js';
import type { IngestSpan } from '../src/store/trace-store.js';
import { ManualClock } from '../src/time/clock.js';
import { SyntheticTraces } from './lib/synthetic-traces.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const uuidOf = (prefix: number, n: number) => `${hex(prefix, 8)}-0000-4000-8000-${hex(n, 12)}`;

function settle(): { heapUsed: number; rss: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

/** `pairs` spans, each of a pair never seen before, over one minute of a 1-minute window; then it passes. */
export function namesFigure(pairs: number): Record<string, number> {
  const clock = new ManualClock(Date.UTC(2026, 11, 2, 12, 0, 0));
  const store = new BucketStore({ clock, windowMinutes: 1, maxEndpoints: DEFAULT_MAX_ENDPOINTS });
  const perBatch = 500;
  let peakHeap = 0;
  // The longest single call: each batch of the first wave grows the trace index from empty to
  // `pairs` traces (its rebuilds are spread over inserts), and each evict() call is one slice.
  let longestApplyMs = 0;
  let longestEvictMs = 0;
  const flood = (from: number, to: number, distinct: boolean): void => {
    const start = clock.nowMs();
    for (let n = from; n < to; n += perBatch) {
      // The pairs arrive over 60 s of clock time, as a flood would.
      clock.set(start + Math.floor((60_000 * (n - from)) / (to - from)));
      const now = BigInt(clock.nowMs()) * 1_000_000n;
      const batch: IngestSpan[] = [];
      for (let k = n; k < n + perBatch; k++) {
        batch.push({
          traceId: uuidOf(0xa1, k),
          spanId: uuidOf(0xa2, k),
          parentSpanId: undefined,
          service: distinct ? `service-${k}` : 'service',
          operation: distinct ? `operation-${k}-${'x'.repeat(40)}` : 'operation',
          startTime: (now - 1000n).toString(),
          endTime: now.toString(),
          error: false,
          tags: undefined,
        });
      }
      const spanBatch = SpanBatch.fromSpans(batch);
      const started = performance.now();
      store.apply(spanBatch);
      longestApplyMs = Math.max(longestApplyMs, performance.now() - started);
      if (n % 500_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
  };
  const pass = (): void => {
    clock.advance(3 * 60_000);
    for (;;) {
      const started = performance.now();
      const { pending } = store.evict();
      longestEvictMs = Math.max(longestEvictMs, performance.now() - started);
      if (!pending) break;
    }
  };
  // The idle baseline is taken after a first wave of as many spans under one name has come and
  // gone: the store keeps its trace-record capacity (and free list) at its peak for reuse, and
  // that is not what this figure is about; compiled code counts on both sides too.
  flood(0, pairs, false);
  pass();
  const idle = settle();
  flood(pairs, 2 * pairs, true);
  const held = store.stats();
  pass();
  const after = settle();
  return {
    pairs,
    idle_heap_mib: idle.heapUsed / 2 ** 20,
    peak_heap_mib: peakHeap / 2 ** 20,
    after_heap_mib: after.heapUsed / 2 ** 20,
    heap_vs_idle: after.heapUsed / idle.heapUsed,
    idle_rss_mib: idle.rss / 2 ** 20,
    after_rss_mib: after.rss / 2 ** 20,
    endpoints_while_held: held.endpoints ?? -1,
    overflowed_spans: held.overflowedSpans ?? -1,
    endpoints_after: store.stats().endpoints ?? -1,
    longest_apply_ms: longestApplyMs,
    longest_evict_ms: longestEvictMs,
  };
}

/** µs a span for one batch holding one trace of `n` spans, and for one holding n one-span traces. */
function shapeFigure(n: number): { oneTraceMicrosPerSpan: number; manyTracesMicrosPerSpan: number } {
  const time = (oneTrace: boolean): number => {
    const clock = new ManualClock(Date.now());
    const store = new BucketStore({ clock, windowMinutes: 30 });
    const now = BigInt(clock.nowMs()) * 1_000_000n;
    const spans: IngestSpan[] = [];
    for (let i = 0; i < n; i++) {
      spans.push({
        traceId: uuidOf(0xb1, oneTrace ? 0 : i),
        spanId: uuidOf(0xb2, i),
        parentSpanId: oneTrace && i > 0 ? uuidOf(0xb2, Math.floor((i - 1) / 4)) : undefined,
        service: `svc-${i % 7}`,
        operation: `op-${i % 11}`,
        startTime: (now - BigInt(n - i) * 1000n).toString(),
        endTime: now.toString(),
        error: false,
        tags: undefined,
      });
    }
    // Arrival order shuffled the same way for both shapes: children before parents too.
    for (let i = spans.length - 1; i > 0; i--) {
      const j = (i * 2654435761) % (i + 1);
      [spans[i], spans[j]] = [spans[j]!, spans[i]!];
    }
    const t = performance.now();
    store.apply(SpanBatch.fromSpans(spans));
    return ((performance.now() - t) * 1000) / n;
  };
  time(true); // warm the JIT
  return { oneTraceMicrosPerSpan: time(true), manyTracesMicrosPerSpan: time(false) };
}

/** The longest single-request time of each hostile query, over `reps` runs, at `traces` traces. */
async function queryFigure(traces: number, reps: number): Promise<Record<string, number | boolean>> {
  const clock = { nowMs: () => Date.now() };
  const store = new BucketStore({ clock, windowMinutes: 30, scanBudget: DEFAULT_QUERY_SCAN_BUDGET });
  const gen = new SyntheticTraces({ seed: 11, userTags: { users: Math.max(1000, Math.floor(traces / 80)) } });
  const fromSec = Math.floor(Date.now() / 1000) - 29 * 60;
  let batch: IngestSpan[] = [];
  for (let n = 0; n < traces; n++) {
    const offsetNs = Math.floor((29 * 60 * 1e9 * n) / traces);
    batch.push(...gen.trace(fromSec + Math.floor(offsetNs / 1e9), offsetNs % 1e9).spans);
    if (batch.length >= 12) {
      store.apply(SpanBatch.fromSpans(batch));
      batch = [];
    }
  }
  store.apply(SpanBatch.fromSpans(batch));
  const { app } = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), store, logger: false });
  await app.ready();
  const out: Record<string, number | boolean> = { traces: store.stats().traces };
  // Every synthetic span carries http.method=POST: these filters match every trace.
  const queries: Array<[string, string]> = [
    ['repeated_tag_x1000', `/traces?limit=10&${Array.from({ length: 1000 }, () => 'tag=http.method:POST').join('&')}`],
    ['tag_matching_every_trace', '/traces?limit=10&tag=http.method:POST'],
    ['tag_and_status', '/traces?limit=1000&tag=http.method:POST&status=ok'],
    ['eight_tags', `/traces?limit=10&tag=http.method:POST&${Array.from({ length: 7 }, (_, i) => `tag=user.id:u${i}`).join('&')}`],
    ['unfiltered_limit_1000', '/traces?limit=1000'],
  ];
  for (const [name, url] of queries) {
    let worst = 0;
    let incomplete = false;
    for (let i = 0; i < reps + 1; i++) {
      const t = performance.now();
      const res = await app.inject({ method: 'GET', url });
      const ms = performance.now() - t;
      if (res.statusCode !== 200) throw new Error(`${name} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
      if (i > 0) worst = Math.max(worst, ms); // the first run warms the JIT
      incomplete = res.body.includes('"incomplete":true');
    }
    out[`${name}_max_ms`] = Number(worst.toFixed(1));
    out[`${name}_incomplete`] = incomplete;
  }
  await app.close();
  return out;
}

export async function run(options: { quick: boolean }): Promise<{ rows: Array<{ figure: string; target: string; bucket: string; reference: string }>; json: Record<string, unknown> }> {
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const rows: Array<{ figure: string; target: string; bucket: string; reference: string }> = [];
  process.stderr.write('bench: bounded: names passing through a 1-minute window…\n');
  const names = namesFigure(options.quick ? 500_000 : 3_000_000);
  rows.push({
    figure: `${fmt(names.pairs!)} distinct (service, operation) pairs through a 1-minute window, after it passed (idle: after as many spans under one pair)`,
    target: 'heap within 10% of idle after a full GC',
    bucket: `heap ${fmt(names.after_heap_mib!, 1)} MiB vs idle ${fmt(names.idle_heap_mib!, 1)} MiB (**${fmt(names.heap_vs_idle! * 100, 1)}%**; peak ${fmt(names.peak_heap_mib!, 0)} MiB); RSS ${fmt(names.after_rss_mib!, 0)} MiB vs idle ${fmt(names.idle_rss_mib!, 0)} MiB; ${fmt(names.endpoints_while_held!)} pairs held at most, ${fmt(names.overflowed_spans!)} spans under traced.overflow`,
    reference: '—',
  });
  rows.push({
    figure: `longest single call while ${fmt(names.pairs!)} one-span traces arrive (the trace index grows from empty) and leave`,
    target: '< 50 ms',
    bucket: `a 500-span batch: ${fmt(names.longest_apply_ms!, 1)} ms; an eviction slice: ${fmt(names.longest_evict_ms!, 1)} ms`,
    reference: '—',
  });
  process.stderr.write('bench: bounded: ingest cost by trace shape…\n');
  const shapes: Record<string, unknown> = {};
  const cells: string[] = [];
  for (const n of [5_000, 20_000, 50_000]) {
    const s = shapeFigure(n);
    shapes[n] = s;
    cells.push(`${fmt(n)}: ${fmt(s.oneTraceMicrosPerSpan, 2)} / ${fmt(s.manyTracesMicrosPerSpan, 2)} µs`);
  }
  rows.push({ figure: 'ingest of one batch: µs a span, one trace of N spans / N one-span traces', target: 'linear: flat in N', bucket: cells.join('; '), reference: '—' });
  process.stderr.write('bench: bounded: hostile queries…\n');
  const queries = await queryFigure(options.quick ? 500_000 : 4_000_000, options.quick ? 5 : 20);
  const q = (name: string) => `${fmt(Number(queries[`${name}_max_ms`]), 1)} ms${queries[`${name}_incomplete`] ? ' (incomplete)' : ''}`;
  rows.push({
    figure: `longest block of one query, ${fmt(Number(queries.traces))} traces (QUERY_SCAN_BUDGET ${fmt(DEFAULT_QUERY_SCAN_BUDGET)})`,
    target: '< 50 ms',
    bucket: `1,000 × the same tag: ${q('repeated_tag_x1000')}; a tag every trace holds: ${q('tag_matching_every_trace')}; with status, limit 1000: ${q('tag_and_status')}; 8 tags: ${q('eight_tags')}; context, no filter, limit 1000: ${q('unfiltered_limit_1000')}`,
    reference: '—',
  });
  return { rows, json: { names, shapes, queries } };
}
