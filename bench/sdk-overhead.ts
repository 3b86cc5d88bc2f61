/**
 * What the SDK costs an instrumented service, with the collector down.
 *
 *   npx tsx bench/sdk-overhead.ts [--requests=20000] [--spans=200000] [--collector=both|down|503|up]
 *
 * 1. HTTP: the same request listener served twice on 127.0.0.1, plain and wrapped by
 *    wrapRequestListener (one SERVER span per request, BatchSpanProcessor -> TracedHttpExporter).
 *    One keep-alive client sends requests alternately to each server (ABAB, so drift and GC hit
 *    both alike) and the added p50/p99 latency per request is the traced percentile minus the
 *    plain one.
 * 2. Spans: startSpan + 2 tags + end in a loop through the same processor, timed per chunk of
 *    100 spans with the event loop yielding between chunks (so exports and retries interleave);
 *    reports µs per span at p50/p99.
 *
 * The exporter points at a port where nothing listens ("down"), or at a server answering 503 with
 * Retry-After ("503"): either way span.end() must not wait for it. "both" (the default) runs those
 * two; "up" runs against an in-process stub answering 202, to include serialization and sending. Exporter and processor
 * counters are printed to show the failures were absorbed (retried, counted, dropped), not thrown.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { BatchSpanProcessor, TracedHttpExporter, TracedTracer, wrapRequestListener } from '../sdk/src/index.js';

interface Args {
  requests: number;
  spans: number;
  collector: 'both' | 'down' | '503' | 'up';
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { requests: 20_000, spans: 200_000, collector: 'both' };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'requests') args.requests = Number(value);
    else if (key === 'spans') args.spans = Number(value);
    else if (key === 'collector' && (value === 'both' || value === 'down' || value === '503' || value === 'up')) args.collector = value;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!(args.requests > 0 && args.spans > 0)) throw new Error('--requests and --spans must be positive');
  return args;
}

function percentile(sorted: readonly number[], p: number): number {
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  if (value === undefined) throw new Error('a percentile of no samples');
  return value;
}

const sortNumbers = (values: number[]): number[] => values.sort((a, b) => a - b);

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port on 127.0.0.1 where nothing listens. */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}

/** A collector stub: always overloaded (503 + Retry-After), or always accepting (202). */
async function stubCollector(mode: '503' | 'up'): Promise<{ url: string; server: http.Server; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      if (mode === '503') res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"overloaded"}');
      else res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, server, requests: () => requests };
}

/** One GET over a keep-alive agent; resolves with the round trip in ns, rejects unless 200. */
function timedGet(agent: http.Agent, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.get({ host: '127.0.0.1', port, path: '/orders?id=1', agent }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`request failed: ${res.statusCode}`));
      res.resume();
      res.on('end', () => resolve(Number(process.hrtime.bigint() - start)));
    });
    req.on('error', reject);
  });
}

const listener: http.RequestListener = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
};

async function run(mode: 'down' | '503' | 'up', args: Args): Promise<void> {
  let collectorUrl: string;
  let collector: Awaited<ReturnType<typeof stubCollector>> | undefined;
  if (mode === 'down') {
    collectorUrl = `http://127.0.0.1:${await deadPort()}`;
  } else {
    collector = await stubCollector(mode);
    collectorUrl = collector.url;
  }

  const exporter = new TracedHttpExporter({ url: collectorUrl });
  const processor = new BatchSpanProcessor(exporter);
  const tracer = new TracedTracer({ service: 'bench', processor });

  const plain = http.createServer(listener);
  const traced = http.createServer(wrapRequestListener(listener, { tracer }));
  const plainPort = await listen(plain);
  const tracedPort = await listen(traced);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  // Warm-up: JIT, sockets, the exporter's first failures.
  for (let i = 0; i < Math.min(2_000, args.requests / 5); i++) {
    await timedGet(agent, plainPort);
    await timedGet(agent, tracedPort);
  }

  const plainNs: number[] = [];
  const tracedNs: number[] = [];
  for (let i = 0; i < args.requests; i++) {
    if (i % 2 === 0) {
      plainNs.push(await timedGet(agent, plainPort));
      tracedNs.push(await timedGet(agent, tracedPort));
    } else {
      tracedNs.push(await timedGet(agent, tracedPort));
      plainNs.push(await timedGet(agent, plainPort));
    }
  }
  sortNumbers(plainNs);
  sortNumbers(tracedNs);

  // Span microbenchmark through the same (failing) pipeline.
  const chunk = 100;
  const perSpanNs: number[] = [];
  for (let done = 0; done < args.spans; done += chunk) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < chunk; i++) {
      const span = tracer.startSpan('bench.op');
      span.setTag('order.id', done + i);
      span.setTag('region', 'eu-west-1');
      span.end();
    }
    perSpanNs.push(Number(process.hrtime.bigint() - start) / chunk);
    if ((done / chunk) % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
  }
  sortNumbers(perSpanNs);

  const shutdownStart = process.hrtime.bigint();
  await tracer.shutdown();
  const shutdownMs = Number(process.hrtime.bigint() - shutdownStart) / 1e6;

  agent.destroy();
  await closeServer(plain);
  await closeServer(traced);
  if (collector) await closeServer(collector.server);

  const us = (ns: number) => (ns / 1_000).toFixed(1);
  const label = {
    down: 'collector down (connection refused)',
    '503': 'collector answering 503 + Retry-After: 1',
    up: 'collector stub answering 202 (in-process)',
  }[mode];
  console.log(`\n== ${label}`);
  console.log(`requests: ${args.requests} per server, sequential, keep-alive, 127.0.0.1`);
  console.log(`  plain   p50 ${us(percentile(plainNs, 0.5))} µs   p99 ${us(percentile(plainNs, 0.99))} µs`);
  console.log(`  traced  p50 ${us(percentile(tracedNs, 0.5))} µs   p99 ${us(percentile(tracedNs, 0.99))} µs`);
  console.log(
    `  added   p50 ${us(percentile(tracedNs, 0.5) - percentile(plainNs, 0.5))} µs   ` +
      `p99 ${us(percentile(tracedNs, 0.99) - percentile(plainNs, 0.99))} µs  (1 SERVER span per request)`,
  );
  console.log(`spans: ${args.spans} x (startSpan + 2 tags + end), chunks of ${chunk}`);
  console.log(`  per span p50 ${us(percentile(perSpanNs, 0.5))} µs   p99 ${us(percentile(perSpanNs, 0.99))} µs   (target p50 < 50 µs)`);
  const p = processor.stats();
  const e = exporter.stats();
  console.log(
    `pipeline: exported ${p.exportedSpans}, failed ${p.failedSpans}, dropped ${p.droppedSpans} (buffer full / at shutdown); ` +
      `exporter retries ${e.retries}, batches given up ${e.failedBatches}` +
      (collector ? `, collector saw ${collector.requests()} requests` : ''),
  );
  console.log(`shutdown (${mode}): ${shutdownMs.toFixed(0)} ms`);
}

const args = parseArgs(process.argv.slice(2));
console.log(
  `node ${process.version}, ${process.platform}/${process.arch}, ${os.cpus().length} CPUs, ` +
    `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (p99 is sensitive to other load)`,
);
if (args.collector === 'up') await run('up', args);
else {
  if (args.collector !== '503') await run('down', args);
  if (args.collector !== 'down') await run('503', args);
}
