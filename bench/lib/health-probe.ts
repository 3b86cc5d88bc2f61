// Bench worker: times GET /health from a process of its own, so that its figures hold the
// collector's answer time and not the wait for a load generator's busy event loop.
//
// argv: port, interval in ms. Message in: { stop: true }; answered with { worstMs, count,
// slow: [{ atMs, ms }] } where slow lists every answer over 100 ms (the freeze line),
// timed from the probe's start.

import { RawGetConnection } from './raw-http-client.js';

const [portText, intervalText] = process.argv.slice(2) as [string, string];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SLOW_MS = 100;
let stopped = false;

async function probe(): Promise<{ worstMs: number; count: number; slow: Array<{ atMs: number; ms: number }> }> {
  const started = performance.now();
  let worstMs = 0;
  let count = 0;
  const slow: Array<{ atMs: number; ms: number }> = [];
  while (!stopped) {
    // A connection per probe: a keep-alive socket idle past the server's timeout would be closed
    // under it while the window passes.
    const connection = await RawGetConnection.open('127.0.0.1', Number(portText));
    const r = await connection.get('/health');
    connection.close();
    count++;
    worstMs = Math.max(worstMs, r.ms);
    if (r.ms > SLOW_MS) slow.push({ atMs: Math.round(performance.now() - started), ms: Math.round(r.ms) });
    await sleep(Number(intervalText));
  }
  return { worstMs, count, slow };
}

const running = probe();
process.on('message', (m: { stop?: boolean }) => {
  if (m.stop) {
    stopped = true;
    void running.then((result) => process.send!(result, () => process.exit(0)));
  }
});
process.send!({ ready: true });
