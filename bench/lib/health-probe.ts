// Bench worker: times GET /health from a process of its own, so that its figures hold the
// collector's answer time and not the wait for a load generator's busy event loop.
//
// argv: port, interval in ms. Message in: { stop: true }; answered with { worstMs, count,
// slow: [{ atMs, ms }], failures, firstFailureAtMs } where slow lists every answer over 100 ms (the
// issue's freeze line), timed from the probe's start, and failures counts probes that got no
// answer (refused or closed connection): a collector that died is a result, not a probe crash.

import { RawGetConnection } from './raw-http-client.js';

const [portText, intervalText] = process.argv.slice(2) as [string, string];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SLOW_MS = 100;
let stopped = false;

interface ProbeResult {
  worstMs: number;
  count: number;
  slow: Array<{ atMs: number; ms: number }>;
  failures: number;
  firstFailureAtMs: number | null;
}

async function probe(): Promise<ProbeResult> {
  const started = performance.now();
  const result: ProbeResult = { worstMs: 0, count: 0, slow: [], failures: 0, firstFailureAtMs: null };
  while (!stopped) {
    try {
      // A connection per probe: a keep-alive socket idle past the server's timeout would be closed
      // under it while the window passes.
      const connection = await RawGetConnection.open('127.0.0.1', Number(portText));
      const r = await connection.get('/health');
      connection.close();
      result.count++;
      result.worstMs = Math.max(result.worstMs, r.ms);
      if (r.ms > SLOW_MS) result.slow.push({ atMs: Math.round(performance.now() - started), ms: Math.round(r.ms) });
    } catch {
      result.failures++;
      result.firstFailureAtMs ??= Math.round(performance.now() - started);
    }
    await sleep(Number(intervalText));
  }
  return result;
}

const running = probe();
process.on('message', (m: { stop?: boolean }) => {
  if (m.stop) {
    stopped = true;
    void running.then((result) => process.send!(result, () => process.exit(0)));
  }
});
process.send!({ ready: true });
