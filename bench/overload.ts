// npm run bench:overload: the shipped defaults against the same build with load shedding off
// (INGEST_DELAY_TARGET_MS=0), in one run. The collector is pinned to CPU 0, the load to CPU 1.
// Both sides write ahead to an ingest log in a fresh temporary DATA_DIR, as `npm start` does;
// `--memory` runs them with STORAGE=memory instead, as a context row.
//
// - s and r, the collector's CPU time per accepted and per refused request (process.cpuUsage,
//   user + system), from a run with shedding off and a run where every batch is refused.
// - Closed loops (each connection sends again as soon as it is answered): goodput with the
//   defaults over goodput with shedding off. Each pair runs as off, on, on, off, so that drift
//   of the machine falls on both sides.
// - Open loops (Poisson arrivals) at multiples of the measured capacity: goodput against
//   g* = (1 − λ·r) / (s − r), the most any controller could accept at that offered rate λ.
// - Queries during each run, a burst, and the upstream emitter at 10×.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BodyTemplate } from './lib/body-template.js';
import { cpuDuring, startCollectorWorker, startWorker } from './lib/child.js';
import { runOpenLoad, type OpenLoadResult } from './lib/open-loop-client.js';
import { percentile, RawGetConnection, runRawLoad } from './lib/raw-http-client.js';

export interface Row {
  figure: string;
  target: string;
  bucket: string;
  reference: string;
  note?: string;
}

type Mode = 'default' | 'unshed' | 'refuse-all';

/** Arrivals the open-loop generator lets wait for a connection; more are dropped (open-loop-client.ts). */
const GENERATOR_BACKLOG = 1024;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x: number) => `${fmt(x * 100, 1)}%`;
/** The closed loops' batch size as the issue names it: the 10-span template's bodies hold 12 spans. */
const batchLabel = (spans: number) => (spans === 10 ? '12' : String(spans));
const runId = () => Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const p99 = (xs: number[]) => percentile(Float64Array.from(xs).sort(), 0.99);

interface Server {
  port: number;
  /** What `run` returns, and the collector's CPU time (µs) meanwhile. */
  cpuDuring<T>(run: () => Promise<T>): Promise<{ result: T; cpuMicros: number }>;
  stop(): Promise<void>;
}

/** With `disk`, a fresh DATA_DIR that goes with the server. */
async function startServer(mode: Mode, port: number, disk: boolean, targetMs: number | undefined): Promise<Server> {
  const dataDir = disk ? mkdtempSync(join(tmpdir(), 'traced-overload-')) : undefined;
  const flags = [mode, ...(dataDir === undefined ? [] : [`disk=${dataDir}`]), ...(mode === 'default' && targetMs !== undefined ? [`target=${targetMs}`] : [])].join(',');
  const worker = startCollectorWorker(['bucket', String(port), flags], { cpu: 0 });
  await worker.next();
  return {
    port,
    cpuDuring: (run) => cpuDuring(worker, run),
    async stop() {
      await worker.stop();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Posts a few traces and returns their ids, for GET /traces/{id} during the load. */
async function seedTraceIds(port: number): Promise<string[]> {
  const template = new BodyTemplate(runId(), 10, true, BigInt(Date.now()) * 1_000_000n);
  const ids: string[] = [];
  await runRawLoad({
    host: '127.0.0.1', port, connections: 1, durationMs: 5000, maxRequests: 20, path: '/spans',
    nextBody: () => {
      const body = template.next();
      ids.push(/"trace_id":"([^"]+)"/.exec(body.toString('latin1'))![1]!);
      return body;
    },
  });
  return ids;
}

/** Set when the query probe could not raise its priority (not root): its timings then include its wait for CPU 1. */
let probeAtNormalPriority = false;

/**
 * GET /traces?limit=1000 then GET /traces/{id}, four times a second while `during` runs: a few
 * dashboards and an engineer. A listing over millions of traces is milliseconds of the core's
 * time, so the same probe runs against both sides of every comparison. It runs in its own
 * process on the load generator's CPU (query-probe.ts says why).
 */
async function probeQueries<T>(port: number, ids: string[], during: () => Promise<T>): Promise<[T, { listMs: number[]; byIdMs: number[]; failures: number }]> {
  const probe = startWorker('bench/lib/query-probe.ts', [String(port), '250'], { cpu: 1 });
  if (!(await probe.next<{ raised: boolean }>()).raised) probeAtNormalPriority = true;
  probe.send({ ids });
  const result = await during();
  probe.send({ stop: true });
  const queries = await probe.next<{ listMs: number[]; byIdMs: number[]; failures: number }>();
  await probe.stop();
  return [result, queries];
}

export async function run(options: { quick: boolean; port: () => number; sections?: string[]; memory?: boolean; targetMs?: number; loops?: string[]; multiples?: number[] }): Promise<{ rows: Row[]; json: Record<string, unknown> }> {
  const { quick } = options;
  const disk = options.memory !== true;
  const wants = (section: string) => options.sections === undefined || options.sections.includes(section);
  const rows: Row[] = [];
  const json: Record<string, unknown> = {};
  const segmentMs = quick ? 4000 : 10_000;
  const openMs = quick ? 10_000 : 20_000;

  /** One closed-loop segment on a fresh server: accepted requests and CPU per request. */
  async function closedSegment(mode: Mode, spans: number, connections: number, withQueries: boolean) {
    const server = await startServer(mode, options.port(), disk, options.targetMs);
    const ids = withQueries ? await seedTraceIds(server.port) : [];
    const template = new BodyTemplate(runId(), spans, true, BigInt(Date.now()) * 1_000_000n);
    const load = (durationMs: number) =>
      runRawLoad({ host: '127.0.0.1', port: server.port, connections, durationMs, path: '/spans', nextBody: () => template.next() });
    await load(3000);
    const measured = () => server.cpuDuring(() => load(segmentMs));
    const [{ result: r, cpuMicros }, queries] = withQueries ? await probeQueries(server.port, ids, measured) : [await measured(), undefined];
    await server.stop();
    const accepted = r.byStatus[202] ?? 0;
    return { accepted, requests: r.requests, elapsedMs: r.elapsedMs, spans: template.spans, cpuMicros, queries, latenciesMs: r.latenciesMs };
  }

  // s and r.
  process.stderr.write('bench: overload: cost of an accepted and of a refused request…\n');
  const costs: Record<number, { s: number; r: number; capacity: number }> = {};
  for (const [spans, connections] of [
    [10, 32],
    [108, 64],
  ] as const) {
    const accepted = await closedSegment('unshed', spans, connections, false);
    const refused = await closedSegment('refuse-all', spans, connections, false);
    costs[spans] = {
      s: accepted.cpuMicros / accepted.accepted,
      r: refused.cpuMicros / (refused.requests - refused.accepted),
      capacity: accepted.accepted / (accepted.elapsedMs / 1000),
    };
  }
  json.costs = costs;
  const cost = (spans: number) => `s = ${fmt(costs[spans]!.s, 1)} µs, r = ${fmt(costs[spans]!.r, 1)} µs (r/s ${fmt(costs[spans]!.r / costs[spans]!.s, 3)})`;
  rows.push({ figure: 'collector CPU per accepted (s) and refused (r) request, shedding off / every batch refused', target: 'r as small as it can be', bucket: `12-span batches: ${cost(10)}; 108-span batches: ${cost(108)}`, reference: '—' });

  // Closed loops.
  const closedLoops: ReadonlyArray<readonly [number, number]> = [
    [10, 32],
    [10, 64],
    [10, 256],
    [108, 16],
    [108, 64],
  ];
  const loopWanted = ([spans, connections]: readonly [number, number]) => options.loops === undefined || options.loops.includes(`${batchLabel(spans)}x${connections}`);
  for (const [spans, connections] of wants('closed') ? closedLoops.filter(loopWanted) : []) {
    process.stderr.write(`bench: overload: closed loop, ${batchLabel(spans)}-span batches, ${connections} connections…\n`);
    const segments: Array<{ mode: Mode } & Awaited<ReturnType<typeof closedSegment>>> = [];
    for (const mode of ['unshed', 'default', 'default', 'unshed'] as const) segments.push({ mode, ...(await closedSegment(mode, spans, connections, true)) });
    const total = (mode: Mode) => {
      const of = segments.filter((x) => x.mode === mode);
      const accepted = of.reduce((a, x) => a + x.accepted, 0);
      const seconds = of.reduce((a, x) => a + x.elapsedMs, 0) / 1000;
      const requests = of.reduce((a, x) => a + x.requests, 0);
      return { spansPerSec: (accepted * of[0]!.spans) / seconds, refusedShare: 1 - accepted / requests, p99Ms: p99(of.flatMap((x) => [...x.latenciesMs])) };
    };
    const on = total('default');
    const off = total('unshed');
    const q = segments.filter((x) => x.mode === 'default').map((x) => x.queries!);
    const figures = { on, off, ratio: on.spansPerSec / off.spansPerSec, listP99Ms: p99(q.flatMap((x) => x.listMs)), byIdP99Ms: p99(q.flatMap((x) => x.byIdMs)) };
    json[`closed_${spans}x${connections}`] = figures;
    rows.push({
      figure: `closed loop, ${batchLabel(spans)}-span batches, ${connections} connections: goodput, defaults / shedding off`,
      target: '≥ 90% of shedding off',
      bucket: `**${pct(figures.ratio)}**: ${fmt(on.spansPerSec)} / ${fmt(off.spansPerSec)} spans/s (${pct(on.refusedShare)} refused; POST p99 ${fmt(on.p99Ms, 1)} / ${fmt(off.p99Ms, 1)} ms); queries meanwhile: list p99 ${fmt(figures.listP99Ms, 1)} ms, by id p99 ${fmt(figures.byIdP99Ms, 2)} ms`,
      reference: '—',
    });
  }

  // Open loops at multiples of the 108-span capacity.
  const { s, r, capacity } = costs[108]!;
  const bodies108 = () => {
    const template = new BodyTemplate(runId(), 108, true, BigInt(Date.now()) * 1_000_000n);
    return () => template.next();
  };
  for (const multiple of wants('open') ? (options.multiples ?? [2, 5, 10]) : []) {
    process.stderr.write(`bench: overload: open loop at ${multiple}× capacity…\n`);
    const server = await startServer('default', options.port(), disk, options.targetMs);
    const ids = await seedTraceIds(server.port);
    const [{ result: { load, cpuSeconds }, cpuMicros }, queries] = await probeQueries(server.port, ids, () =>
      server.cpuDuring(async () => {
        const started = performance.now();
        const load = await runOpenLoad({ host: '127.0.0.1', port: server.port, path: '/spans', durationMs: openMs, ratePerSec: () => capacity * multiple, maxConnections: 1024, maxBacklog: GENERATOR_BACKLOG, nextBody: bodies108() });
        return { load, cpuSeconds: (performance.now() - started) / 1000 };
      }),
    );
    await server.stop();
    const o = openFigures(load, s, r);
    // What a refusal cost in this run: the collector's CPU time less s per accepted batch (the
    // query probe's share included), over the refusals. Past a few thousand a second on 1,024
    // connections a refusal costs more than in the closed loop that measured r.
    const busyShare = cpuMicros / 1e6 / cpuSeconds;
    const answered = load.status.length;
    let acceptedAll = 0;
    for (let i = 0; i < answered; i++) if (load.status[i] === 202) acceptedAll++;
    const rInRun = (cpuMicros - acceptedAll * s) / Math.max(1, answered - acceptedAll);
    const gStarInRun = (1 - (o.reachedPerSec * rInRun) / 1e6) / ((s - rInRun) / 1e6);
    const figures = { multiple, offeredPerSec: capacity * multiple, ...o, busyShare, rInRunMicros: rInRun, gStarInRun, listP99Ms: p99(queries.listMs), byIdP99Ms: p99(queries.byIdMs), queryFailures: queries.failures };
    json[`open_${multiple}x`] = figures;
    rows.push({
      figure: `open loop (Poisson), 108-span batches, ${multiple}× capacity (${fmt(figures.offeredPerSec)} requests/s offered; ${fmt(o.arrivalsPerSec)} arrived, ${pct(o.droppedShare)} dropped by the generator: ${fmt(o.reachedPerSec)}/s, ${fmt(o.reachedPerSec / capacity, 1)}× capacity, reached the collector)`,
      target: 'goodput ≥ 90% of g*; accepted p99 < 50 ms after 5 s; queries p99 < 50 / < 10 ms',
      bucket: `goodput ${fmt(o.goodputPerSec)} req/s, g* ${fmt(o.gStar)} → **${o.gStar > 0 ? pct(o.goodputPerSec / o.gStar) : 'g* ≤ 0: r·λ ≥ 1'}** (collector ${pct(busyShare)} busy; r in this run ${fmt(rInRun, 1)} µs, g* with it ${fmt(gStarInRun)}${gStarInRun > 0 ? ` → ${pct(o.goodputPerSec / gStarInRun)}` : ''}); accepted p99 ${fmt(o.acceptedP99Ms, 1)} ms (${fmt(o.acceptedFromSendP99Ms, 1)} ms from its write); ${pct(o.refusedShare)} refused, ${pct(o.unansweredShare)} unanswered; load generator ${pct(o.clientBusyShare)} busy, ${fmt(o.sentPerSec)} requests/s answered; list p99 ${fmt(figures.listP99Ms, 1)} ms, by id p99 ${fmt(figures.byIdP99Ms, 2)} ms`,
      reference: '—',
    });
  }

  // A burst: 0.5× capacity, 5 s at 5×, then 0.5× again; the shed share read from /metrics.
  if (wants('burst')) {
    process.stderr.write('bench: overload: burst…\n');
    const server = await startServer('default', options.port(), disk, options.targetMs);
    const burstFrom = 3000;
    const burstTo = 8000;
    const endMs = quick ? 12_000 : 14_000;
    const metrics = await RawGetConnection.open('127.0.0.1', server.port);
    const readings: Array<{ atMs: number; share: number }> = [];
    const started = performance.now();
    const watch = (async () => {
      while (performance.now() - started < endMs) {
        const m = await metrics.get('/metrics');
        readings.push({ atMs: performance.now() - started, share: Number(/^traced_ingest_shed_ratio (\S+)$/m.exec(m.body.toString('latin1'))?.[1]) });
        await sleep(100);
      }
    })();
    const load = await runOpenLoad({
      host: '127.0.0.1', port: server.port, path: '/spans', durationMs: endMs, maxConnections: 1024, maxBacklog: GENERATOR_BACKLOG, nextBody: bodies108(),
      ratePerSec: (t) => capacity * (t >= burstFrom && t < burstTo ? 5 : 0.5),
    });
    await watch;
    metrics.close();
    await server.stop();
    const peak = Math.max(...readings.filter((x) => x.atMs >= burstFrom && x.atMs < burstTo).map((x) => x.share));
    const lastShedding = readings.filter((x) => x.atMs >= burstTo && x.share > 0).at(-1);
    const recoveryMs = lastShedding === undefined ? 0 : lastShedding.atMs + 100 - burstTo;
    let lateRefusals = 0;
    for (let i = 0; i < load.status.length; i++) if (load.arrivedAtMs[i]! >= burstTo + 2000 && load.status[i] === 503) lateRefusals++;
    json.burst = { peakShare: peak, recoveryMs, lateRefusals, readings };
    rows.push({
      figure: 'burst: 5 s at 5× capacity, then 0.5×',
      target: 'shed share back to 0 within 2 s',
      bucket: `peak share ${pct(peak)}; back to 0 **${fmt(recoveryMs)} ms** after the burst; ${fmt(lateRefusals)} refusals from 2 s after it; the generator dropped ${pct(load.dropped / Math.max(1, load.arrivals))} of all arrivals (it was ${pct(load.clientCpuSeconds / (endMs / 1000))} busy)`,
      reference: '—',
    });
  }

  // The upstream emitter at 10× (200 workers), verified.
  if (wants('emit')) {
    process.stderr.write('bench: overload: npm run emit -- --workers 200…\n');
    const server = await startServer('default', options.port(), disk, options.targetMs);
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn('taskset', ['-c', '1', process.execPath, '--import', 'tsx', 'tools/emit/main.ts', '--target', `http://127.0.0.1:${server.port}`, '--workers', '200', '--duration', quick ? '10s' : '20s'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout }));
    });
    await server.stop();
    const non202 = /non202=(\d+)(\([^)]*\))?/.exec(out.stdout);
    json.emitter_10x = { exitCode: out.code, summary: out.stdout.trim().split('\n')[0] };
    rows.push({
      figure: 'the upstream-emitter-shaped load at 10× (`npm run emit -- --workers 200`)',
      target: 'zero 503',
      bucket: `non-202 answers: **${non202?.[1] ?? '?'}**${non202?.[2] ?? ''}; verification ${out.code === 0 ? 'passed' : `FAILED (exit ${out.code})`}`,
      reference: '—',
    });
  }
  if (probeAtNormalPriority) {
    rows.push({ figure: 'query probe', target: '—', bucket: 'ran at normal priority (setpriority needs root): its timings include its wait for the load generator\'s CPU', reference: '—' });
  }
  return { rows, json };
}

/** Goodput, g* and latency of an open-loop run, from its sixth second on. */
function openFigures(load: OpenLoadResult, sMicros: number, rMicros: number) {
  const fromMs = 5000;
  const seconds = (load.elapsedMs - fromMs) / 1000;
  let accepted = 0;
  let refused = 0;
  const acceptedLatency: number[] = [];
  for (let i = 0; i < load.status.length; i++) {
    if (load.arrivedAtMs[i]! < fromMs || load.arrivedAtMs[i]! >= load.elapsedMs) continue;
    if (load.status[i] === 202) {
      accepted++;
      acceptedLatency.push(load.answeredAtMs[i]! - load.arrivedAtMs[i]!);
    } else refused++;
  }
  const arrivalsPerSec = load.arrivals / (load.elapsedMs / 1000);
  // What the collector was offered: the arrivals the generator did not drop.
  const lambda = (load.arrivals - load.dropped) / (load.elapsedMs / 1000);
  const gStar = (1 - (lambda * rMicros) / 1e6) / ((sMicros - rMicros) / 1e6);
  const answered = accepted + refused;
  let sentInWindow = 0;
  const acceptedFromSend: number[] = [];
  for (let i = 0; i < load.status.length; i++) {
    if (load.sentAtMs[i]! < fromMs || load.sentAtMs[i]! >= load.elapsedMs) continue;
    sentInWindow++;
    if (load.status[i] === 202) acceptedFromSend.push(load.answeredAtMs[i]! - load.sentAtMs[i]!);
  }
  return {
    arrivalsPerSec,
    reachedPerSec: lambda,
    droppedShare: load.dropped / Math.max(1, load.arrivals),
    /** Answered requests written to a connection from the sixth second on, per second. */
    sentPerSec: sentInWindow / seconds,
    /** Accepted latency from the request's write: the wait behind a busy pool left out. */
    acceptedFromSendP99Ms: p99(acceptedFromSend),
    clientBusyShare: load.clientCpuSeconds / (load.elapsedMs / 1000),
    goodputPerSec: accepted / seconds,
    gStar,
    acceptedP99Ms: p99(acceptedLatency),
    refusedShare: refused / Math.max(1, answered),
    unansweredShare: Math.max(0, 1 - answered / Math.max(1, lambda * seconds)),
    connections: load.connections,
  };
}
