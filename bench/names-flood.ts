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

import { spawn } from 'node:child_process';
import { startWorker } from './lib/child.js';
import { RawGetConnection, runRawLoad } from './lib/raw-http-client.js';

const argument = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const seconds = argument('seconds', 60);
const batchesPerSec = argument('rate', 100);
const port = 18000 + Math.floor(Math.random() * 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const collector = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WINDOW_MINUTES: '1', LOG_LEVEL: 'warn', STORAGE: 'memory' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
try {
  for (let i = 0; ; i++) {
    try {
      await (await RawGetConnection.open('127.0.0.1', port)).get('/health');
      break;
    } catch {
      if (i > 100) throw new Error('collector did not start');
      await sleep(100);
    }
  }
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

  let pair = 0;
  const run = Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0');
  const nextBody = (): Buffer => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const spans: string[] = [];
    for (let k = 0; k < 500; k++) {
      pair++;
      const id = pair.toString(16).padStart(12, '0');
      spans.push(
        `{"trace_id":"${run}00-0000-4000-8000-${id}","span_id":"${run}00-0000-4000-9000-${id}","service":"svc-${run}-${pair}","operation":"op-${pair}","start_time":${now},"end_time":${now + 1000n},"status":"ok"}`,
      );
    }
    return Buffer.from(`{"spans":[${spans.join(',')}]}`);
  };
  let heapPeak = 0;
  const peakProbe = setInterval(() => void heapUsed().then((h) => (heapPeak = Math.max(heapPeak, h))), 2000);
  const load = await runRawLoad({ host: '127.0.0.1', port, connections: 4, durationMs: seconds * 1000, path: '/spans', nextBody, ratePerSec: batchesPerSec });
  clearInterval(peakProbe);
  const services = await get('/services');
  const servicesRows = (JSON.parse(services.body.toString('utf8')) as { services: unknown[] }).services.length;

  // The window (1 minute, plus the minute bucket's own length) passes.
  await sleep(125_000);
  healthProbe.send({ stop: true });
  const health = await healthProbe.next<{ worstMs: number; count: number; slow: Array<{ atMs: number; ms: number }> }>();
  const heapAfter = await heapUsed();
  const after = await runRawLoad({ host: '127.0.0.1', port, connections: 1, durationMs: 1000, maxRequests: 1, path: '/spans', nextBody });
  process.stdout.write(
    JSON.stringify({
      seconds,
      pairs_sent: pair,
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
  collector.kill('SIGTERM');
}
