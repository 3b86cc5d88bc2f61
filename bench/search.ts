// Search and statistics latency with millions of traces in the window (issue 4: a filtered
// query answers in p99 < 50 ms with >= 4 M traces). In-process: a BucketStore filled with
// emitter-shaped traces over 29 minutes, the real app on top, requests through app.inject (so
// routing, validation and the hand-written JSON count). Between queries a batch of new traces
// arrives, so the newest minute's search summary is always stale, as under live traffic.
//
//   npx tsx bench/search.ts                  4 M traces, 200 queries per kind
//   npx tsx bench/search.ts --traces=1000000 --reps=50
//
// run() returns one flat record for the bench table: p50/p99 in ms per query kind, totals, and
// the store's size.

import { SpanBatch } from '../src/ingest/span-batch.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { BucketStore } from '../src/store/buckets/bucket-store.js';
import type { IngestSpan } from '../src/store/trace-store.js';
import type { Clock } from '../src/time/clock.js';
import { SyntheticTraces } from './lib/synthetic-traces.js';
import { numberOption } from './lib/options.js';

export interface SearchBenchOptions {
  traces?: number;
  reps?: number;
  /** Progress lines on stderr. */
  log?: (line: string) => void;
}

/**
 * Query kinds: the filters an on-call engineer reaches for first. A repeated query finds most
 * minutes' counts cached (as a polling dashboard or a client paging with cursors does); the
 * `cold_*` kinds change a bound every time, so every minute is counted afresh.
 */
const QUERIES: Array<[string, string]> = [
  ['cold_service_min_duration', 'service=payment&min_duration_ms={i}&limit=1000'],
  ['cold_status_max_duration', 'status=error&max_duration_ms={j}&limit=20'],
  ['unfiltered', 'limit=1000'],
  ['service', 'service=payment&limit=1000'],
  ['status_error', 'status=error&limit=1000'],
  ['root_service_min_duration', 'root_service=checkout&min_duration_ms=400&limit=1000'],
  ['service_operation_error', 'service=payment&operation=charge_card&status=error&limit=20'],
  ['duration_range', 'min_duration_ms=200&max_duration_ms=250&limit=20'],
  ['partial', 'partial=true&limit=20'],
  ['tag_user', 'tag=user.id:u{user}&limit=20'],
  ['tag_user_error', 'tag=user.id:u{user}&status=error&limit=20'],
];

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export async function run(options: SearchBenchOptions = {}): Promise<Record<string, number | string>> {
  const traces = options.traces ?? 4_000_000;
  const reps = options.reps ?? 200;
  const log = options.log ?? (() => {});
  const clock: Clock = { nowMs: () => Date.now() };
  const store = new BucketStore({ clock, windowMinutes: 30 });
  const users = Math.max(1000, Math.floor(traces / 80)); // ~80 traces per user id
  const gen = new SyntheticTraces({ seed: 7, userTags: { users } });
  const out: Record<string, number | string> = { traces };

  // Fill 29 minutes of the window, oldest first, in ~12-span batches like the emitter's.
  const nowSec = Math.floor(Date.now() / 1000);
  const fromSec = nowSec - 29 * 60;
  const started = performance.now();
  let batch: IngestSpan[] = [];
  let spans = 0;
  for (let n = 0; n < traces; n++) {
    const offsetNs = Math.floor(((29 * 60) * 1e9 * n) / traces);
    const sec = fromSec + Math.floor(offsetNs / 1e9);
    batch.push(...gen.trace(sec, offsetNs % 1e9).spans);
    if (batch.length >= 12) {
      store.apply(SpanBatch.fromSpans(batch));
      spans += batch.length;
      batch = [];
    }
    if (n % 500_000 === 0 && n > 0) log(`search bench: ${n} traces loaded`);
  }
  store.apply(SpanBatch.fromSpans(batch));
  spans += batch.length;
  out.spans = spans;
  out.preload_s = Number(((performance.now() - started) / 1000).toFixed(1));
  out.column_bytes_per_span = Number((store.columnBytes() / spans).toFixed(1));
  out.rss_gib = Number((process.memoryUsage().rss / 2 ** 30).toFixed(2));

  const config = loadConfig({ LOG_LEVEL: 'silent', MAX_SPANS: String(2 ** 40) });
  const { app } = await buildApp({ config, store, logger: false });
  await app.ready();
  const get = async (url: string): Promise<{ ms: number; body: string }> => {
    const t = performance.now();
    const res = await app.inject({ method: 'GET', url });
    const ms = performance.now() - t;
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body}`);
    return { ms, body: res.body };
  };
  // New traffic between queries: a 1-second batch at about the preload's rate.
  const trickle = (): void => {
    const perQuery = Math.max(10, Math.floor(traces / (29 * 60)));
    const t = Date.now();
    const fresh: IngestSpan[] = [];
    for (let k = 0; k < perQuery; k++) fresh.push(...gen.trace(Math.floor(t / 1000), (t % 1000) * 1e6 + k).spans);
    store.apply(SpanBatch.fromSpans(fresh));
  };

  for (const [name, template] of QUERIES) {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < reps + 3; i++) {
      trickle();
      const url = '/traces?' + template.replace('{user}', String((i * 7919) % users)).replace('{i}', String(50 + i)).replace('{j}', String(500 - i));
      const r = await get(url);
      if (i >= 3) times.push(r.ms); // the first runs warm the JIT and the summaries
      total = Number(/"total":(\d+)/.exec(r.body)?.[1] ?? -1);
    }
    times.sort((a, b) => a - b);
    out[`${name}_p50_ms`] = Number(percentile(times, 0.5).toFixed(2));
    out[`${name}_p99_ms`] = Number(percentile(times, 0.99).toFixed(2));
    out[`${name}_total`] = total;
    log(`search bench: ${name} p50 ${out[`${name}_p50_ms`]} ms, p99 ${out[`${name}_p99_ms`]} ms, total ${total}`);
  }

  // Cursor pages: the second page of a filtered query.
  {
    const first = await get('/traces?service=payment&limit=1000');
    const cursor = /"next_cursor":"([^"]+)"/.exec(first.body)![1]!;
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      trickle();
      times.push((await get(`/traces?service=payment&limit=1000&cursor=${cursor}`)).ms);
    }
    times.sort((a, b) => a - b);
    out.cursor_page2_p99_ms = Number(percentile(times, 0.99).toFixed(2));
  }

  for (const [name, url] of [
    ['services', '/services'],
    ['operations', '/services/payment/operations'],
    ['stats', '/stats?service=payment'],
    ['dependencies', '/dependencies'],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < Math.min(reps, 50); i++) times.push((await get(url)).ms);
    times.sort((a, b) => a - b);
    out[`${name}_p99_ms`] = Number(percentile(times, 0.99).toFixed(2));
  }
  await app.close();
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run({ traces: numberOption(process.argv, 'traces'), reps: numberOption(process.argv, 'reps'), log: (line) => process.stderr.write(line + '\n') });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
