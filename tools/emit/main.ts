/**
 * `npm run emit`: generate Traced traffic like the upstream Go emitter, then
 * verify the server strictly. Exit 0 = all good, 1 = delivery or
 * verification failed, 2 = bad flags, 130 = interrupted.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, USAGE, type EmitConfig } from './args.js';
import { TracedClient, type PostOutcome } from './client.js';
import { wallClockNs } from './clock.js';
import { Ledger } from './ledger.js';
import { inSurge, nextArrivalMs, planSurges, type Surge } from './poisson.js';
import { cryptoRandom, seededRandom, type Random } from './random.js';
import { BatchBuilder, encodeBatch, generateTrace, type Span } from './traffic.js';
import { formatReport } from './verify-report.js';
import { verify } from './verify.js';

const PROGRESS_EVERY_MS = 5_000;

class Stats {
  batches = 0;
  deliveredBatches = 0;
  spansSent = 0;
  spansDelivered = 0;
  non202 = 0;
  non202ByStatus = new Map<number, number>();
  networkErrors = 0;
  retries = 0;
  rejectedBatches = 0;
  uncertainBatches = 0;
  accepted = 0;
  discarded = 0;
  countedBatches = 0;
  failureExamples: string[] = [];

  record(spans: readonly Span[], o: PostOutcome): void {
    this.batches += 1;
    this.spansSent += spans.length;
    this.retries += o.attempts - 1;
    this.networkErrors += o.networkErrors;
    this.non202 += o.non202.length;
    for (const s of o.non202) this.non202ByStatus.set(s, (this.non202ByStatus.get(s) ?? 0) + 1);
    if (o.state === 'delivered') {
      this.deliveredBatches += 1;
      this.spansDelivered += spans.length;
    }
    if (o.state === 'rejected') this.rejectedBatches += 1;
    if (o.state === 'uncertain') this.uncertainBatches += 1;
    if (o.state !== 'delivered' && this.failureExamples.length < 5) this.failureExamples.push(`${o.state}: ${o.detail ?? `HTTP ${o.status}`}`);
    if (o.accepted !== undefined || o.discarded !== undefined) {
      this.countedBatches += 1;
      this.accepted += o.accepted ?? 0;
      this.discarded += o.discarded ?? 0;
    }
  }

  get errors(): number {
    return this.non202 + this.networkErrors;
  }
}

interface RunContext {
  cfg: EmitConfig;
  client: TracedClient;
  ledger: Ledger;
  stats: Stats;
  surges: readonly Surge[];
  clock: () => bigint;
  startedAt: number;
  stop: AbortSignal;
}

async function send(ctx: RunContext, spans: Span[]): Promise<void> {
  // No abort signal here: once a batch is cut it is sent even during
  // shutdown, otherwise its traces would be half-delivered.
  const outcome = await ctx.client.postSpans(encodeBatch(spans));
  ctx.stats.record(spans, outcome);
  ctx.ledger.settle(spans, outcome.state);
}

/**
 * A worker is closed-loop like a Go goroutine doing synchronous POSTs: it
 * awaits each batch, so a slow server slows it down instead of piling up
 * unbounded in-flight requests. Arrivals that fell due meanwhile are
 * generated right after (catch-up), which keeps the mean rate whenever the
 * server keeps up. Emission stops at the wall-clock deadline regardless.
 */
async function runWorker(ctx: RunContext, id: number, r: Random): Promise<void> {
  const { cfg } = ctx;
  const builder = new BatchBuilder(r, { batchSize: cfg.batch, disorder: cfg.disorder, straddle: cfg.straddle });
  let t = 0;
  for (;;) {
    t = nextArrivalMs(r, t, cfg.rate, ctx.surges);
    if (t >= cfg.durationMs) break;
    const wait = ctx.startedAt + t - performance.now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal: ctx.stop });
      } catch {
        break;
      }
    }
    if (ctx.stop.aborted || performance.now() - ctx.startedAt >= cfg.durationMs) break;
    const trace = generateTrace(r, ctx.clock(), id);
    ctx.ledger.register(trace);
    for (const batch of builder.add(trace)) await send(ctx, batch);
  }
  // The tail (< batch spans) goes out as a short batch so that every
  // generated trace is delivered whole and can be verified.
  const rest = builder.flush();
  if (rest !== undefined) await send(ctx, rest);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

async function preflight(client: TracedClient, target: URL): Promise<boolean> {
  try {
    const res = await client.get('/health', AbortSignal.timeout(15_000));
    if (res.status !== 200) process.stderr.write(`emit: warning: GET /health answered ${res.status}; continuing\n`);
    return true;
  } catch (err) {
    process.stderr.write(`emit: cannot reach ${target.href} (GET /health): ${err instanceof Error ? err.message : String(err)}\n`);
    return false;
  }
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`emit: ${parsed.message}\nRun with --help for usage.\n`);
    return 2;
  }
  const cfg = parsed.config;
  const master = cfg.seed === undefined ? cryptoRandom() : seededRandom(cfg.seed);
  const workerRandom = (id: number): Random => (cfg.seed === undefined ? cryptoRandom() : seededRandom((cfg.seed + 1 + id) >>> 0));
  const client = new TracedClient(cfg.target, cfg.workers + cfg.verifyConcurrency, master.float);

  const stopper = new AbortController();
  // Every sleeping worker listens on it; that is by design, not a leak.
  setMaxListeners(2 * cfg.workers + 10, stopper.signal);
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('emit: interrupted, flushing pending batches (Ctrl-C again to quit now)\n');
    stopper.abort();
  };
  process.on('SIGINT', onSigint);

  try {
    if (!(await preflight(client, cfg.target))) return 1;

    const surges = planSurges(master, cfg.durationMs);
    const ctx: RunContext = {
      cfg,
      client,
      ledger: new Ledger(),
      stats: new Stats(),
      surges,
      clock: wallClockNs(master.float()),
      startedAt: performance.now(),
      stop: stopper.signal,
    };
    process.stderr.write(
      `emit: ${cfg.workers} workers × ${cfg.rate} traces/s for ${seconds(cfg.durationMs)}s against ${cfg.target.href} ` +
        `(batch ${cfg.batch}, disorder ${cfg.disorder}, straddle ${cfg.straddle}, ${surges.length} surges planned)\n`,
    );

    let lastTick = { at: ctx.startedAt, spans: 0 };
    const progress = setInterval(() => {
      const now = performance.now();
      const rate = ((ctx.stats.spansSent - lastTick.spans) * 1000) / (now - lastTick.at);
      lastTick = { at: now, spans: ctx.stats.spansSent };
      process.stderr.write(
        `emit: ${seconds(now - ctx.startedAt)}s traces=${ctx.ledger.tracesSent} spans=${ctx.stats.spansSent} ` +
          `spans/s=${rate.toFixed(1)} errors=${ctx.stats.errors}${inSurge(now - ctx.startedAt, surges) ? ' (surge)' : ''}\n`,
      );
    }, PROGRESS_EVERY_MS);
    progress.unref();

    try {
      await Promise.all(Array.from({ length: cfg.workers }, (_, id) => runWorker(ctx, id, workerRandom(id))));
    } finally {
      clearInterval(progress);
    }

    const elapsed = performance.now() - ctx.startedAt;
    const s = ctx.stats;
    const failedBatches = s.rejectedBatches + s.uncertainBatches;
    const statuses = [...s.non202ByStatus].map(([code, n]) => `${code}:${n}`).join(',');
    process.stdout.write(
      `emitted elapsed=${seconds(elapsed)}s traces=${ctx.ledger.tracesSent} spans=${s.spansSent} batches=${s.batches} ` +
        `spans/s=${((s.spansSent * 1000) / elapsed).toFixed(1)} delivered_spans=${s.spansDelivered} ` +
        `accepted=${s.countedBatches > 0 ? s.accepted : 'n/a'} discarded=${s.countedBatches > 0 ? s.discarded : 'n/a'} ` +
        `non202=${s.non202}${statuses === '' ? '' : `(${statuses})`} retries=${s.retries} network_errors=${s.networkErrors} ` +
        `failed_batches=${failedBatches} surges=${surges.length}\n`,
    );
    for (const example of s.failureExamples) process.stderr.write(`emit: failed batch: ${example}\n`);
    if (s.countedBatches > 0 && s.countedBatches === s.deliveredBatches && s.accepted + s.discarded !== s.spansDelivered) {
      process.stderr.write(`emit: warning: the server reported accepted+discarded=${s.accepted + s.discarded} for ${s.spansDelivered} delivered spans\n`);
    }
    if (s.discarded > 0) process.stderr.write(`emit: warning: the server discarded ${s.discarded} fresh spans (clock skew or wrong window?)\n`);

    if (interrupted) return 130;
    let ok = failedBatches === 0;
    if (!ok) process.stderr.write(`emit: ${failedBatches} batches were not delivered (${s.rejectedBatches} refused, ${s.uncertainBatches} uncertain)\n`);

    if (cfg.verify) {
      process.stderr.write(`emit: verifying ${ctx.ledger.size} traces (${cfg.verifyConcurrency} in flight)\n`);
      const deadline = AbortSignal.timeout(cfg.verifyTimeoutMs);
      setMaxListeners(4 * cfg.verifyConcurrency + 10, deadline); // undici adds up to a few per request
      const report = await verify(client, ctx.ledger.all(), {
        clock: ctx.clock,
        windowMinutes: cfg.windowMinutes,
        concurrency: cfg.verifyConcurrency,
        signal: deadline,
      });
      for (const example of report.examples) process.stderr.write(`emit: verify: ${example}\n`);
      if (report.totalFilteredAfter !== undefined) {
        process.stderr.write(`emit: some traces sit at the window edge; total was counted with after=${report.totalFilteredAfter}\n`);
      }
      process.stdout.write(`${formatReport(report)}\n`);
      if (!report.passed) process.stderr.write('emit: verification FAILED\n');
      ok = ok && report.passed;
    }
    // One verdict for the whole run: undelivered batches fail it even when what arrived checks out.
    process.stderr.write(ok ? 'emit: all checks passed\n' : 'emit: FAILED\n');
    return ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await client.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`emit: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
