// Bench worker: the dashboards and the engineer of an overload run. It sits in a process of its
// own so that its timings hold the collector's answer time, not the wait for the load
// generator's event loop (which, with hundreds of connections, is itself saturated).
//
// argv: port, interval in ms. Messages in: { ids } starts the probe, { stop: true } ends it and
// is answered with { listMs, byIdMs, failures }.

import { setPriority } from 'node:os';
import { RawGetConnection } from './raw-http-client.js';

// The probe shares its core with a load generator that keeps it busy, as a dashboard on its own
// machine would not: at equal priority the scheduler lets a woken probe wait its turn behind
// the generator, and that wait (several ms) would be read as the collector's. A higher priority
// needs root (or CAP_SYS_NICE); without it the figures include that wait, and say so.
let raised = true;
try {
  setPriority(-10);
} catch {
  raised = false;
}

const [portText, intervalText] = process.argv.slice(2) as [string, string];
const WARM_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let stopped = false;

async function probe(ids: string[]): Promise<{ listMs: number[]; byIdMs: number[]; failures: number }> {
  const connection = await RawGetConnection.open('127.0.0.1', Number(portText));
  const listMs: number[] = [];
  const byIdMs: number[] = [];
  let failures = 0;
  const started = performance.now();
  for (let i = 0; !stopped; i++) {
    const list = await connection.get('/traces?limit=1000');
    const one = await connection.get(`/traces/${ids[i % ids.length]}`);
    if (list.status !== 200 || one.status !== 200) failures++;
    // The first second is not counted: every run starts a fresh collector, whose first listings
    // compile the query paths (the first took 84–114 ms under load, the next ones 13–27), a cost
    // a dashboard pays once, not per poll.
    if (performance.now() - started >= WARM_MS) {
      listMs.push(list.ms);
      byIdMs.push(one.ms);
    }
    await sleep(Number(intervalText));
  }
  connection.close();
  return { listMs, byIdMs, failures };
}

let running: ReturnType<typeof probe> | undefined;
process.on('message', (m: { ids?: string[]; stop?: boolean }) => {
  if (m.ids) running = probe(m.ids);
  if (m.stop) {
    stopped = true;
    void running!.then((result) => process.send!(result, () => process.exit(0)));
  }
});
process.send!({ ready: true, raised });
