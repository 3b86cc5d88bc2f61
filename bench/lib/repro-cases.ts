// Issue 14's reproductions 1–4 and 8, at the issue's sizes (see bench/reproductions.ts). Each
// reproduction sends what the issue sent, tallies the answers in `ctx.answers`, and puts what it
// measured besides in `ctx.details`; the harness adds the /health probe and the checks after.

import { floodNames, namesFloodBodies } from './names-flood-load.js';
import { metric, mib, nowNs, peakRssBytes, request, sampleMax, sleep, uuidOf, validSpansBody, type ReproContext, type Reproduction } from './repro-harness.js';

/** The flood: 60 s at 100 batches/s from 4 clients, 500 new pairs a batch (3 M pairs). */
async function namesWave(ctx: ReproContext, bodies: ReturnType<typeof namesFloodBodies>) {
  const peak = sampleMax(ctx.port, 'nodejs_heap_size_used_bytes', 2000);
  const flood = floodNames({ port: ctx.port, seconds: 60, batchesPerSec: 100, bodies, onResponse: (r) => ctx.answers.add(r.status, r.body) });
  // GET /services while the first minute's MAX_ENDPOINTS pairs are all held: its largest answer.
  await sleep(5000);
  const services = await request(ctx.port, 'GET', '/services', undefined, { timeoutMs: 30_000 });
  const load = await flood;
  return {
    services_at_5s: { status: services.status, ms: Number(services.ms.toFixed(1)), bytes: services.body.length },
    pairs_sent: load.pairsSent,
    heap_peak_mib: mib(peak.stop()),
    endpoints_held: await metric(ctx.port, 'traced_store_endpoints'),
    spans_overflowed: await metric(ctx.port, 'traced_spans_overflowed_total'),
  };
}

export const namesCrash: Reproduction = {
  id: '1',
  title: 'crash by name cardinality',
  env: { WINDOW_MINUTES: '1' },
  expected: 'batches 202, pairs past MAX_ENDPOINTS (10,000) stored under traced.overflow; GET /services bounded',
  body: async (ctx) => {
    ctx.sent('60 s × 4 clients × 100 batches/s of 500 spans, every span a new (service, operation) pair; then GET /services');
    ctx.details.heap_before_mib = mib(await metric(ctx.port, 'nodejs_heap_size_used_bytes'));
    Object.assign(ctx.details, await namesWave(ctx, namesFloodBodies()));
    const services = await request(ctx.port, 'GET', '/services', undefined, { timeoutMs: 30_000 });
    let rows: number | null = null;
    try {
      rows = (JSON.parse(services.body.toString('utf8')) as { services: unknown[] }).services.length;
    } catch {
      // reported as null: the answer was not the usual JSON
    }
    ctx.details.services = { status: services.status, ms: Number(services.ms.toFixed(1)), rows, bytes: services.body.length, head: services.body.toString('utf8', 0, 200) };
  },
  summarize: (d) =>
    `${d.pairs_sent} pairs sent; ${d.endpoints_held} pairs held, ${d.spans_overflowed} spans under traced.overflow; heap ${d.heap_before_mib} → peak ${d.heap_peak_mib} MiB; ` +
    `GET /services ${d.services.status} in ${d.services.ms} ms, ${d.services.rows} rows (at 5 s, mid-flood: ${d.services_at_5s.status} in ${d.services_at_5s.ms} ms, ${d.services_at_5s.bytes} B)`,
};

export const namesLockout: Reproduction = {
  id: '2',
  title: 'permanent lock-out (names never evicted)',
  env: { WINDOW_MINUTES: '1' },
  expected: 'after the window passes: traced_store_spans 0, heap back near its baseline, POST /spans 202 (never 503 heap)',
  body: async (ctx) => {
    ctx.sent("2 waves of #1's flood (3 M new pairs each), the 1-minute window passing (125 s) after each; then POST /spans");
    ctx.details.heap_before_mib = mib(await metric(ctx.port, 'nodejs_heap_size_used_bytes'));
    const bodies = namesFloodBodies();
    const waves: unknown[] = [];
    for (let wave = 1; wave <= 2; wave++) {
      const figures = await namesWave(ctx, bodies);
      // The window (1 minute, plus the minute bucket's own length) passes.
      await sleep(125_000);
      // Measured before the batch that checks for the lock-out, which adds its own spans.
      const afterWindow = {
        store_spans: await metric(ctx.port, 'traced_store_spans'),
        endpoints_held: await metric(ctx.port, 'traced_store_endpoints'),
        heap_used_mib: mib(await metric(ctx.port, 'nodejs_heap_size_used_bytes')),
        rss_mib: mib(await metric(ctx.port, 'process_resident_memory_bytes')),
      };
      const post = ctx.answers.addAnswer(await request(ctx.port, 'POST', '/spans', validSpansBody(ctx.run, wave, 0, 10), { timeoutMs: 10_000 }));
      waves.push({ wave, ...figures, after_window: { ...afterWindow, post_spans_status: post.status } });
    }
    ctx.details.waves = waves;
  },
  summarize: (d) =>
    `heap before ${d.heap_before_mib} MiB; ` +
    (d.waves as Array<Record<string, any>>)
      .map((w) => `wave ${w.wave}: ${w.pairs_sent} pairs, heap peak ${w.heap_peak_mib} MiB; window passed: ${w.after_window.store_spans} spans, heap ${w.after_window.heap_used_mib} MiB, RSS ${w.after_window.rss_mib} MiB, POST /spans ${w.after_window.post_spans_status}`)
      .join('; '),
};

export const repeatedFilters: Reproduction = {
  id: '3',
  title: 'query freeze (1,000 repeated tag filters)',
  expected: 'repeats count once (8 distinct tags at most, else 400); a search stops at QUERY_SCAN_BUDGET (32,000) with "incomplete"',
  body: async (ctx) => {
    const traces = 25_000;
    const load: Record<number, number> = {};
    for (let i = 0; i < traces; i += 500) {
      const r = await request(ctx.port, 'POST', '/spans', validSpansBody(ctx.run, 3, i, 500, { env: 'prod' }), { timeoutMs: 30_000 });
      load[r.status] = (load[r.status] ?? 0) + 1;
    }
    ctx.details.load_25k_traces = load;
    const repeated = `/traces?limit=10&${Array.from({ length: 1000 }, () => 'tag=env:prod').join('&')}`;
    const distinct = `/traces?limit=10&${Array.from({ length: 1000 }, (_, i) => `tag=env:p${i}`).join('&')}`;
    const reps = 20;
    ctx.sent(`25,000 one-span traces tagged env=prod; then ${reps} × GET /traces?limit=10 with 1,000 × tag=env:prod (${repeated.length} B URL), and 1 × 1,000 distinct tags`);
    let worst = 0;
    let summary: unknown = null;
    for (let i = 0; i < reps; i++) {
      const r = ctx.answers.addAnswer(await request(ctx.port, 'GET', repeated, undefined, { timeoutMs: 60_000 }));
      worst = Math.max(worst, r.ms);
      if (summary === null && r.status === 200) {
        const page = JSON.parse(r.body.toString('utf8')) as { traces: unknown[]; incomplete?: boolean };
        summary = { traces_returned: page.traces.length, incomplete: page.incomplete ?? false };
      }
    }
    ctx.details.repeated = { reps, worst_ms: Number(worst.toFixed(1)), first_page: summary };
    const d = ctx.answers.addAnswer(await request(ctx.port, 'GET', distinct, undefined, { timeoutMs: 60_000 }));
    ctx.details.distinct = { status: d.status, ms: Number(d.ms.toFixed(1)) };
  },
  summarize: (d) =>
    `25k traces loaded (${JSON.stringify(d.load_25k_traces)}); 1,000 repeats: worst ${d.repeated.worst_ms} ms over ${d.repeated.reps} (client side), ` +
    `${d.repeated.first_page?.traces_returned} traces, incomplete ${d.repeated.first_page?.incomplete}; 1,000 distinct: ${d.distinct.status} in ${d.distinct.ms} ms`,
};

export const hugeTagKeys: Reproduction = {
  id: '4',
  title: 'memory budget counts spans, not bytes (15 MiB tag keys)',
  expected: '400 naming the 256-character tag key limit; RSS does not grow with what was refused',
  body: async (ctx) => {
    const count = 8;
    const key = Buffer.alloc(15 * 2 ** 20, 'k');
    ctx.details.rss_before_mib = mib(await metric(ctx.port, 'process_resident_memory_bytes'));
    let bodyBytes = 0;
    let worst = 0;
    for (let i = 0; i < count; i++) {
      const now = nowNs();
      const body = Buffer.concat([
        Buffer.from(
          `{"spans":[{"trace_id":"${uuidOf(ctx.run, 4, i)}","span_id":"${uuidOf(ctx.run, 0x8004, i)}","service":"checkout","operation":"GET /cart",` +
            `"start_time":${now - 1_000_000n},"end_time":${now},"status":"ok","tags":{"`,
        ),
        key,
        Buffer.from('":"v"}}]}'),
      ]);
      bodyBytes = body.length;
      const r = ctx.answers.addAnswer(await request(ctx.port, 'POST', '/spans', body, { timeoutMs: 60_000 }));
      worst = Math.max(worst, r.ms);
    }
    ctx.sent(`${count} × POST /spans, one span each with one tag key of 15 MiB (${bodyBytes} B bodies), one after another`);
    ctx.details.worst_request_ms = Number(worst.toFixed(1));
    ctx.details.rss_after_mib = mib(await metric(ctx.port, 'process_resident_memory_bytes'));
    ctx.details.rss_peak_mib = mib(peakRssBytes(ctx.collector.pid));
    ctx.details.store_spans = await metric(ctx.port, 'traced_store_spans');
  },
  summarize: (d) => `RSS ${d.rss_before_mib} → ${d.rss_after_mib} MiB (peak ${d.rss_peak_mib}); worst request ${d.worst_request_ms} ms; ${d.store_spans} spans stored`,
};

export const invalidUtf8: Reproduction = {
  id: '8',
  title: 'invalid UTF-8 stored silently',
  expected: '400 naming the field (as POST /v1/traces does)',
  body: async (ctx) => {
    ctx.sent('POST /spans, one span whose service is the bytes ff fe c3 28');
    const now = nowNs();
    const body = Buffer.concat([
      Buffer.from(`{"spans":[{"trace_id":"${uuidOf(ctx.run, 8, 0)}","span_id":"${uuidOf(ctx.run, 0x8008, 0)}","service":"`),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      Buffer.from(`","operation":"GET /cart","start_time":${now - 1_000_000n},"end_time":${now},"status":"ok"}]}`),
    ]);
    ctx.answers.addAnswer(await request(ctx.port, 'POST', '/spans', body, { timeoutMs: 10_000 }));
    const services = await request(ctx.port, 'GET', '/services', undefined, { timeoutMs: 10_000 });
    ctx.details.services_hold_replacement_char = services.body.toString('utf8').includes('\ufffd');
    ctx.details.store_spans = await metric(ctx.port, 'traced_store_spans');
  },
  summarize: (d) => `${d.store_spans} spans stored; U+FFFD in GET /services: ${d.services_hold_replacement_char}`,
};
