// The benchmark suite: every performance figure of the collector, measured side by side for the
// production store (BucketStore) and the reference store, printed as a table and written to
// bench/results/. The collector runs pinned to CPU 0, this load generator to CPU 1.
//
//   npm run bench                 all figures (about 12 minutes)
//   npm run bench:ingest          one figure; --duration 60s (default) --quick (short runs)
//   npm run bench:bounded         also runs issue 14's reproductions at full size against real
//                                 collector processes (bench/reproductions.ts, ~12 more minutes; not with --quick)

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { BodyTemplate } from './lib/body-template.js';
import { pinSelf, startCollectorWorker, startWorker, unpinSelf } from './lib/child.js';
import { percentile, RawGetConnection, runRawLoad } from './lib/raw-http-client.js';
import { STORE_KINDS, type StoreKind } from './lib/stores.js';
import { ingestFigures, nodeArgsFor, runId } from './lib/ingest-figure.js';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.js';

type Row = { figure: string; target: string; bucket: string; reference: string; note?: string };
const rows: Row[] = [];
const json: Record<string, unknown> = {};

const args = process.argv.slice(2);
const which = args[0] ?? 'all';
const quick = args.includes('--quick');
/** The value of `--name=value`, when given. */
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const durationArg = option('duration');
const ingestMs = durationArg ? parseDuration(durationArg) : quick ? 10_000 : 60_000;
let nextPort = 19_100;
// bench:ingest -- --protocols=otlp-grpc,otlp-http: only those rows (spans, zipkin, otlp-http, otlp-grpc).
const protocolsArg = option('protocols')?.split(',');
const wants = (protocol: string) => protocolsArg === undefined || protocolsArg.includes(protocol);

function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!m) throw new Error(`--duration: expected 60s, 2m or 500ms, got ${text}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
// The ingest rows write ahead to a temporary DATA_DIR, as the shipped default (STORAGE=disk) does;
// --memory measures them with STORAGE=memory instead, a context row. (--disk is accepted, and changes nothing.)
const disk = !args.includes('--memory');
const { ingestFigure, floorFigure } = ingestFigures({ nextPort: () => nextPort++, durationMs: () => ingestMs, disk });
const storageNote = disk ? ', STORAGE=disk' : ', STORAGE=memory';


async function latencyFigure(kind: StoreKind) {
  // 10× the emitter's default: 200 workers × 5 traces/s × 3.5 spans ≈ 8,750 spans/s in ~12-span batches.
  const port = nextPort++;
  const server = startCollectorWorker([kind, String(port)], { cpu: 0, nodeArgs: nodeArgsFor(kind) });
  await server.next();
  const template = new BodyTemplate(runId(), 10, true, BigInt(Date.now()) * 1_000_000n);
  const ratePerSec = 8750 / template.spans;
  const run = (durationMs: number) =>
    runRawLoad({ host: '127.0.0.1', port, connections: 64, durationMs, ratePerSec, path: '/spans', nextBody: () => template.next() });
  await run(3000);
  const r = await run(quick ? 10_000 : 30_000);
  await server.stop();
  const lat = r.latenciesMs.sort();
  return { requests: r.requests, spansPerSec: ((r.byStatus[202] ?? 0) * template.spans) / (r.elapsedMs / 1000), p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), maxMs: lat[lat.length - 1] ?? NaN };
}

async function memoryFigure(kind: StoreKind, spans: number) {
  const worker = startWorker('bench/lib/memory-worker.ts', [kind, String(spans)], { cpu: 0, nodeArgs: ['--expose-gc', ...COLLECTOR_NODE_FLAGS, ...nodeArgsFor(kind)] });
  const result = await worker.next<{ bytesPerSpan: number; rssBytes: number; spans: number; ingestSpansPerSec: number }>();
  await worker.stop();
  return result;
}

async function queryFigure(kind: StoreKind, traces: number, reps: number) {
  const port = nextPort++;
  const worker = startWorker('bench/lib/query-worker.ts', [kind, String(traces), String(port)], { cpu: 0, nodeArgs: [...COLLECTOR_NODE_FLAGS, ...nodeArgsFor(kind)] });
  const info = await worker.next<{ traces: number; spans: number; fromNs: string; toNs: string; sampleIds: string[] }>();
  const connection = await RawGetConnection.open('127.0.0.1', port);
  const timeGet = async (path: string) => {
    const r = await connection.get(path);
    return { ms: r.ms, text: r.body.toString('latin1'), status: r.status };
  };
  const from = BigInt(info.fromNs);
  const to = BigInt(info.toNs);
  const list: number[] = [];
  const ranged: number[] = [];
  const byId: number[] = [];
  let totalExact = true;
  // Each figure is taken after a few seconds of the same requests, not counted, so that it shows
  // the steady state of that request (compiled, with the garbage collector used to its allocation
  // pattern). Measured without this: the first seconds of 250 KB listings after a phase of small
  // requests had a p99 of 13–15 ms against 3–5 ms later, and right after the bulk preload even
  // GET /health had a p99 of 2–3 ms for some seconds.
  const warmMs = quick ? 1000 : 3000;
  const warm = async (path: (i: number) => string) => {
    const until = performance.now() + warmMs;
    for (let i = 0; performance.now() < until; i++) await timeGet(path(i));
  };
  // The worker's clock stands still (query-worker.ts), so every trace stays in the window.
  const idPath = (i: number) => `/traces/${info.sampleIds[i % info.sampleIds.length]}`;
  await warm(idPath);
  for (let i = 0; i < Math.min(info.sampleIds.length, reps * 5); i++) {
    const r = await timeGet(idPath(i));
    if (r.status !== 200) throw new Error(`GET /traces/{id} answered ${r.status}`);
    byId.push(r.ms);
  }
  // A 5-minute range somewhere in the window, like a zoomed dashboard.
  const rangedPath = (i: number) => {
    const after = from + ((to - from - 300_000_000_000n) * BigInt(i % reps)) / BigInt(reps);
    return `/traces?limit=1000&after=${after}&before=${after + 300_000_000_000n}`;
  };
  await warm((i) => (i % 2 === 0 ? '/traces?limit=1000' : rangedPath(i)));
  for (let i = 0; i < reps; i++) {
    const r = await timeGet('/traces?limit=1000');
    list.push(r.ms);
    if (/"total":(\d+)/.exec(r.text)?.[1] !== String(info.traces)) totalExact = false;
    ranged.push((await timeGet(rangedPath(i))).ms);
  }
  // The floor: the cheapest request there is, same client, same moment.
  const floor: number[] = [];
  await warm(() => '/health');
  for (let i = 0; i < byId.length; i++) floor.push((await timeGet('/health')).ms);
  connection.close();
  worker.send({ inProcess: reps });
  const inProcess = await worker.next<{ list: number[]; byId: number[] }>();
  await worker.stop();
  const p = (xs: number[], q: number) => percentile(Float64Array.from(xs).sort(), q);
  const p99 = (xs: number[]) => p(xs, 0.99);
  return {
    traces: info.traces,
    spans: info.spans,
    listP50Ms: p(list, 0.5),
    listP99Ms: p99(list),
    rangedP99Ms: p99(ranged),
    byIdP50Ms: p(byId, 0.5),
    byIdP99Ms: p99(byId),
    healthP50Ms: p(floor, 0.5),
    healthP99Ms: p99(floor),
    inProcessListP99Ms: p99(inProcess.list),
    inProcessByIdP99Ms: p99(inProcess.byId),
    totalExact,
  };
}

async function evictionFigure(kind: StoreKind, spans: number) {
  const port = nextPort++;
  const worker = startWorker('bench/lib/eviction-worker.ts', [kind, String(spans), String(port)], { cpu: 0, nodeArgs: [...COLLECTOR_NODE_FLAGS, ...nodeArgsFor(kind)] });
  const info = await worker.next<{ spans: number }>();
  const template = new BodyTemplate(runId(), 10, true, BigInt(Date.now()) * 1_000_000n);
  // 10× the emitter's load runs throughout, so the stall is measured under traffic.
  const load = runRawLoad({ host: '127.0.0.1', port, connections: 32, durationMs: 9000, ratePerSec: 8750 / template.spans, path: '/spans', nextBody: () => template.next() });
  await new Promise((r) => setTimeout(r, 1000));
  worker.send({ evict: true });
  const result = await worker.next<{ maxStallMs: number; baselineStallMs: number; evictMs: number }>();
  const traffic = await load;
  await worker.stop();
  const lat = traffic.latenciesMs.sort();
  return { bucketSpans: info.spans, ...result, requestP99Ms: percentile(lat, 0.99), requestMaxMs: lat[lat.length - 1] ?? NaN };
}

/** A table row of an ingest figure: spans/s on each store, flagged when not every request was accepted. */
interface IngestCell {
  spansPerSec: number;
  allAccepted: boolean;
  cpuMicrosPerRequest: number;
  busyShare: number;
}

/** An ingest figure's cell: spans/s, and the collector's CPU per request and busy share beside it. */
function ingestCell(x: IngestCell): string {
  return `${fmt(x.spansPerSec)} spans/s${x.allAccepted ? '' : ' (NOT all accepted)'} (${fmt(x.cpuMicrosPerRequest, 1)} µs CPU/request, busy ${fmt(x.busyShare, 2)})`;
}

function spansRow(figure: string, target: string, r: Record<StoreKind, IngestCell>): Row {
  return { figure, target, bucket: ingestCell(r.bucket), reference: ingestCell(r.reference) };
}

function both<T>(label: string, fn: (kind: StoreKind) => Promise<T>): Promise<Record<StoreKind, T>> {
  return (async () => {
    const out = {} as Record<StoreKind, T>;
    for (const kind of STORE_KINDS) {
      process.stderr.write(`bench: ${label} (${kind})…\n`);
      out[kind] = await fn(kind);
    }
    json[label] = out;
    return out;
  })();
}

async function main(): Promise<void> {
  pinSelf(1);
  const all = which === 'all';
  if ((all || which === 'ingest') && wants('spans')) {
    const small = await both('ingest_emitter_batches', (k) => ingestFigure(k, 10, 32));
    rows.push({
      figure: `sustained ingest, 10–14-span batches, ${ingestMs / 1000} s${storageNote}`,
      target: '≥ 150,000 spans/s, all accepted',
      bucket: ingestCell(small.bucket),
      reference: ingestCell(small.reference),
    });
    const big = await both('ingest_100_span_batches', (k) => ingestFigure(k, 100, 16));
    rows.push({
      figure: `sustained ingest, 100-span batches, ${ingestMs / 1000} s${storageNote}`,
      target: '≥ 300,000 spans/s',
      bucket: ingestCell(big.bucket),
      reference: ingestCell(big.reference),
    });
    // What the same 10–14-span load costs servers that store nothing: the floor under the figures above.
    process.stderr.write('bench: ingest floor (node:http, Fastify)…\n');
    const floor = { node: await floorFigure('node', 10, 32), fastify: await floorFigure('fastify', 10, 32) };
    json.ingest_floor = floor;
    const us = (x: { microsPerRequest: number; spansPerSec: number }) => `${fmt(x.microsPerRequest, 1)} µs/request (${fmt(x.spansPerSec)} spans/s)`;
    rows.push({
      figure: 'context: the 10–14-span load against servers that store nothing',
      target: '—',
      bucket: `node:http reading the body ${us(floor.node)}; Fastify + JSON.parse ${us(floor.fastify)}; the collector ${fmt((small.bucket.elapsedMs * 1000) / small.bucket.requests, 1)} µs/request`,
      reference: '—',
    });
  }
  if ((all || which === 'ingest') && wants('zipkin')) {
    const zipkin = await both('ingest_zipkin_json_100_span_requests', (k) => ingestFigure(k, 100, 16, 'zipkin'));
    rows.push({
      figure: `sustained ingest, Zipkin v2 JSON (POST /api/v2/spans), 100-span requests, ${ingestMs / 1000} s${storageNote}`,
      target: '≥ 100,000 spans/s',
      bucket: ingestCell(zipkin.bucket),
      reference: ingestCell(zipkin.reference),
    });
  }
  if ((all || which === 'ingest') && wants('otlp-http')) {
    const otlpHttp = await both('ingest_otlp_http_protobuf_100_span_requests', (k) => ingestFigure(k, 100, 16, 'otlp-http'));
    rows.push(spansRow(`sustained ingest, OTLP/HTTP protobuf (POST /v1/traces), 100-span requests, ${ingestMs / 1000} s${storageNote}`, '—', otlpHttp));
  }
  if ((all || which === 'ingest') && wants('otlp-grpc')) {
    const otlpGrpc = await both('ingest_otlp_grpc_100_span_requests', (k) => ingestFigure(k, 100, 16, 'otlp-grpc'));
    rows.push(spansRow(`sustained ingest, OTLP/gRPC (TraceService/Export), 100-span requests, 16 connections, ${ingestMs / 1000} s${storageNote}`, '≥ 100,000 spans/s', otlpGrpc));
  }
  if (all || which === 'latency') {
    const r = await both('post_latency_10x', latencyFigure);
    rows.push({
      figure: 'POST /spans latency at 10× the emitter load (8,750 spans/s)',
      target: 'p99 < 5 ms',
      bucket: `p50 ${fmt(r.bucket.p50Ms, 2)} / p99 ${fmt(r.bucket.p99Ms, 2)} ms`,
      reference: `p50 ${fmt(r.reference.p50Ms, 2)} / p99 ${fmt(r.reference.p99Ms, 2)} ms`,
    });
  }
  if (all || which === 'overload') {
    const { run } = await import('./overload.js');
    // --sections=closed,open,burst,emit runs part of it (the costs always run).
    const sections = option('sections')?.split(',');
    // --target-ms=N: the defaults' side with another INGEST_DELAY_TARGET_MS; --loops=12x256,108x64: some closed loops only.
    const targetMs = option('target-ms');
    const loops = option('loops')?.split(',');
    // --multiples=2,5: some open loops only.
    const multiples = option('multiples')?.split(',').map(Number);
    const r = await run({ quick, port: () => nextPort++, sections, memory: !disk, targetMs: targetMs === undefined ? undefined : Number(targetMs), loops, multiples });
    rows.push(...r.rows);
    json.overload = r.json;
  }
  if (all || which === 'memory') {
    const bucketSpans = quick ? 2_000_000 : 16_000_000;
    const referenceSpans = quick ? 500_000 : 2_000_000;
    const r = await both('memory', (k) => memoryFigure(k, k === 'bucket' ? bucketSpans : referenceSpans));
    rows.push({
      figure: 'memory per span held (RSS growth after GC, empty tags)',
      target: '≤ 80 bytes',
      bucket: `${fmt(r.bucket.bytesPerSpan, 1)} B over ${fmt(r.bucket.spans)} spans`,
      reference: `${fmt(r.reference.bytesPerSpan, 1)} B over ${fmt(r.reference.spans)} spans`,
    });
    rows.push({
      figure: `${fmt(r.bucket.spans)} spans held`,
      target: '16 M spans < 2 GiB RSS, no heap flag',
      bucket: `${fmt(r.bucket.rssBytes / 2 ** 30, 2)} GiB RSS`,
      reference: `${fmt(r.reference.rssBytes / 2 ** 30, 2)} GiB RSS at ${fmt(r.reference.spans)} spans (heap flag given)`,
    });
  }
  if (all || which === 'query') {
    const bucketTraces = quick ? 500_000 : 4_000_000;
    const referenceTraces = quick ? 50_000 : 400_000;
    const r = await both('queries', (k) => queryFigure(k, k === 'bucket' ? bucketTraces : referenceTraces, k === 'bucket' ? 300 : 20));
    const note = `reference measured at ${fmt(referenceTraces)} traces (1/10 scale: it scans every trace)`;
    rows.push({
      figure: `GET /traces?limit=1000, ${fmt(r.bucket.traces)} traces`,
      target: 'p99 < 15 ms, total exact',
      bucket: `p99 ${fmt(r.bucket.listP99Ms, 2)} ms${r.bucket.totalExact ? ', total exact' : ', TOTAL WRONG'}`,
      reference: `p99 ${fmt(r.reference.listP99Ms, 2)} ms${r.reference.totalExact ? ', total exact' : ', TOTAL WRONG'}`,
      note,
    });
    rows.push({
      figure: 'GET /traces?limit=1000&after&before (5-minute ranges)',
      target: 'p99 < 15 ms',
      bucket: `p99 ${fmt(r.bucket.rangedP99Ms, 2)} ms`,
      reference: `p99 ${fmt(r.reference.rangedP99Ms, 2)} ms`,
      note,
    });
    rows.push({
      figure: 'GET /traces/{id}',
      target: 'p99 < 1 ms',
      bucket: `p99 ${fmt(r.bucket.byIdP99Ms, 3)} ms`,
      reference: `p99 ${fmt(r.reference.byIdP99Ms, 3)} ms`,
      note,
    });
    const floorCell = (x: Awaited<ReturnType<typeof queryFigure>>) =>
      `GET /health p50 ${fmt(x.healthP50Ms, 2)} / p99 ${fmt(x.healthP99Ms, 2)} ms; in-process list+JSON p99 ${fmt(x.inProcessListP99Ms, 2)} ms, getTrace+JSON p99 ${fmt(x.inProcessByIdP99Ms, 3)} ms`;
    rows.push({
      figure: 'context: request floor over HTTP, and the same queries in-process',
      target: '—',
      bucket: floorCell(r.bucket),
      reference: floorCell(r.reference),
    });
  }
  if (all || which === 'eviction') {
    const spans = quick ? 200_000 : 600_000;
    const r = await both('eviction_stall', (k) => evictionFigure(k, spans));
    rows.push({
      figure: `longest event-loop stall evicting a ${fmt(r.bucket.bucketSpans)}-span minute under 10× load`,
      target: '< 20 ms',
      bucket: `${fmt(r.bucket.maxStallMs, 1)} ms (baseline ${fmt(r.bucket.baselineStallMs, 1)} ms; request p99 ${fmt(r.bucket.requestP99Ms, 1)} ms)`,
      reference: `${fmt(r.reference.maxStallMs, 1)} ms (baseline ${fmt(r.reference.baselineStallMs, 1)} ms; request p99 ${fmt(r.reference.requestP99Ms, 1)} ms)`,
    });
  }

  if (all || which === 'search') {
    // In-process (app.inject), production store only: the reference store scans every trace.
    process.stderr.write('bench: search (bucket)…\n');
    const { run } = await import('./search.js');
    const r = await run({ traces: quick ? 500_000 : 4_000_000, reps: quick ? 30 : 200 });
    json.search = r;
    const filtered = Object.entries(r).filter(([k]) => k.endsWith('_p99_ms') && !k.startsWith('unfiltered') && !['services_p99_ms', 'operations_p99_ms'].includes(k));
    const worst = filtered.reduce((a, b) => (Number(b[1]) > Number(a[1]) ? b : a));
    rows.push({
      figure: `filtered GET /traces (${filtered.length} filter kinds), ${fmt(Number(r.traces))} traces`,
      target: 'p99 < 50 ms',
      bucket: `worst p99 ${fmt(Number(worst[1]), 1)} ms (${worst[0].replace('_p99_ms', '')}); all in bench/results`,
      reference: '— (scans every trace)',
    });
  }
  if (all || which === 'bounded') {
    const { run } = await import('./bounded.js');
    const r = await run({ quick });
    rows.push(...r.rows);
    json.bounded = r.json;
    if (quick) process.stderr.write('bench: bounded: the issue 14 reproductions run at the issue\'s sizes only, so not with --quick\n');
    else {
      // Real collector processes started from this one: off its CPU pinning, which they would inherit.
      unpinSelf();
      const { runReproductions, rowCells } = await import('./reproductions.js');
      const reproductions = await runReproductions();
      pinSelf(1);
      json.reproductions = reproductions;
      for (const row of reproductions) {
        const c = rowCells(row);
        rows.push({
          figure: `issue 14 reproduction ${row.id}, ${row.title}: ${row.sent}`,
          target: `up, GET /health < 100 ms, a batch after 202; ${row.expected}`,
          bucket: `${c.answers}; up: ${c.up}; /health worst ${c.health}; batch after: ${c.after}; ${row.figures}`,
          reference: '—',
        });
      }
    }
  }
  if (all || which === 'durability') {
    const { run } = await import('./durability.js');
    const replaySpans = option('replay-spans');
    const r = await run({ quick, port: () => nextPort++, replaySpans: replaySpans === undefined ? undefined : Number(replaySpans), restartOnly: args.includes('--restart-only'), loopsOnly: args.includes('--loops-only') });
    rows.push(...r.rows);
    json.durability = r.json;
  }
  if (all || which === 'sampling') {
    process.stderr.write('bench: sampling (bucket)…\n');
    const { run } = await import('./sampling.js');
    const r = await run(quick ? { minutes: 3, windowMinutes: 3 } : {});
    json.sampling = r;
    rows.push({
      figure: `tail sampling at 100× load (${fmt(Number(r.offered_spans_per_sec))} spans/s offered, simulated window)`,
      target: 'keep what matters inside the budget',
      bucket: `holds ${fmt(Number(r.tail_held_vs_budget) * 100, 0)}% of the budget (unsampled: ${fmt(Number(r.unsampled_window_vs_budget) * 100, 0)}%); error traces kept ${r.tail_error_traces_kept}; head sampling at the same memory keeps ${fmt(Number(r.head_error_traces_kept_share) * 100, 1)}% of them`,
      reference: '—',
    });
  }

  save();
}

/** Prints the table and writes the figures so far; a failed run keeps what it measured. */
function save(failure?: string): void {
  const header = `| figure | target | production (BucketStore) | reference store |\n|---|---|---|---|`;
  const table = [header, ...rows.map((r) => `| ${r.figure} | ${r.target} | ${r.bucket} | ${r.reference}${r.note ? ` (${r.note})` : ''} |`)].join('\n');
  process.stdout.write(`\n${table}\n\n`);
  mkdirSync('bench/results', { recursive: true });
  const meta = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem(), quick, ingestMs, failure };
  const only = (protocolsArg === undefined ? '' : `-${protocolsArg.join('+')}`) + (args.includes('--loops-only') ? '-loops' : args.includes('--restart-only') ? '-restart' : '');
  const file = `bench/results/${which}${only}${disk ? '' : '-memory'}${quick ? '-quick' : ''}${failure ? '-failed' : ''}.json`;
  writeFileSync(file, JSON.stringify({ meta, figures: json, table }, null, 2) + '\n');
  process.stderr.write(`bench: results written to ${file}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
  save(String(error));
  process.exit(1);
});
