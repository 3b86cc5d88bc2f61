// Issue 14's first reproduction at its own size, against the real process with the shipped
// defaults: WINDOW_MINUTES=1, 4 clients posting 500-span batches in which every span has a new
// (service, operation) pair, for 60 s (3 M pairs at the 100 batches/s; --rate=0 sends
// as fast as the collector takes them); then GET /services; then the window passes and a new
// batch must be taken. /health is timed every 100 ms throughout, from a process of its own.
//
//   npx tsx bench/names-flood.ts [--seconds=60] [--rate=100]
//
// Prints one JSON line: pairs sent, answers by status, /health worst latency, /services time and
// rows, and the heap (after a GC the collector runs on its own) before, at the peak and after.

import { startWorker } from './lib/child.js';
import { floodNames, namesFloodBodies } from './lib/names-flood-load.js';
import { RawGetConnection } from './lib/raw-http-client.js';
import { startCollector } from './lib/repro-harness.js';
import { numberOption } from './lib/options.js';

const seconds = numberOption(process.argv, 'seconds', 60);
const batchesPerSec = numberOption(process.argv, 'rate', 100);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// On a free port of 127.0.0.1, its output in a temporary directory.
const collector = await startCollector({ WINDOW_MINUTES: '1' });
const port = collector.port;
try {
  // A connection per call: an idle keep-alive socket is closed by the server while the window passes.
  const get = async (path: string) => {
    const connection = await RawGetConnection.open('127.0.0.1', port);
    const response = await connection.get(path);
    connection.close();
    return response;
  };
  const heapUsed = async (): Promise<number> => {
    const m = (await get('/metrics')).body.toString('latin1');
    return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(m)?.[1]);
  };
  const heapBefore = await heapUsed();
  const healthProbe = startWorker('bench/lib/health-probe.ts', [String(port), '100']);
  await healthProbe.next();

  const bodies = namesFloodBodies();
  let heapPeak = 0;
  const peakProbe = setInterval(() => void heapUsed().then((h) => (heapPeak = Math.max(heapPeak, h))), 2000);
  const load = await floodNames({ port, seconds, batchesPerSec, bodies });
  clearInterval(peakProbe);
  const services = await get('/services');
  const servicesRows = (JSON.parse(services.body.toString('utf8')) as { services: unknown[] }).services.length;

  // The window (1 minute, plus the minute bucket's own length) passes.
  await sleep(125_000);
  healthProbe.send({ stop: true });
  const health = await healthProbe.next<{ worstMs: number; count: number; slow: Array<{ atMs: number; ms: number }> }>();
  const heapAfter = await heapUsed();
  const after = await floodNames({ port, seconds: 1, batchesPerSec: 0, connections: 1, maxRequests: 1, bodies });
  process.stdout.write(
    JSON.stringify({
      seconds,
      pairs_sent: load.pairsSent,
      answers: load.byStatus,
      health_probes: health.count,
      health_worst_ms: Number(health.worstMs.toFixed(1)),
      health_over_100ms: health.slow,
      services_ms: Number(services.ms.toFixed(1)),
      services_rows: servicesRows,
      heap_mib: { before: heapBefore / 2 ** 20, peak: heapPeak / 2 ** 20, after_window: heapAfter / 2 ** 20 },
      after_window_answers: after.byStatus,
    }) + '\n',
  );
} finally {
  await collector.stop();
}
