// GET /traces?limit=1000 fanned out over two collectors, against one collector holding the same
// traces: latency side by side, requests interleaved (ABBA per round), plus the CPU each process
// spent per request, and a check that both answer byte for byte the same page and total.
//
//   npm run bench:fanout -- --traces=400000 --reps=400
//
// Three processes, not pinned (the two fanned-out nodes and the single node share the machine's
// cores with this client): A holds half the traces and asks B, which holds the other half; S
// holds all of them. Traces are emitter-shaped (2–5 spans, tags), roots spread over 29 minutes.

import { startWorker } from './lib/child.js';
import { percentile, RawGetConnection } from './lib/raw-http-client.js';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.js';
import { numberOption } from './lib/options.js';

const args = process.argv.slice(2);
const traces = numberOption(args, 'traces', 400_000);
const reps = numberOption(args, 'reps', 400);
const half = Math.floor(traces / 2);
const toNs = BigInt(Date.now()) * 1_000_000n;
const fromNs = toNs - 29n * 60_000_000_000n;
const RUN_A = 0xa1;
const RUN_B = 0xb2;

const started = performance.now();
const b = startWorker('bench/lib/fanout-node.ts', [String(half), String(RUN_B), String(fromNs), String(toNs), '-'], { nodeArgs: [...COLLECTOR_NODE_FLAGS, '--max-old-space-size=8192'] });
const s = startWorker('bench/lib/fanout-node.ts', [String(half), `${RUN_A},${RUN_B}`, String(fromNs), String(toNs), '-'], { nodeArgs: [...COLLECTOR_NODE_FLAGS, '--max-old-space-size=8192'] });
const bInfo = await b.next<{ port: number; spans: number }>();
// --profile: a CPU profile of the fanning-out node A, written to /tmp/fanout-profile on exit.
const profile = args.includes('--profile') ? ['--cpu-prof', '--cpu-prof-dir=/tmp/fanout-profile'] : [];
const a = startWorker('bench/lib/fanout-node.ts', [String(half), String(RUN_A), String(fromNs), String(toNs), `http://127.0.0.1:${bInfo.port}`], { nodeArgs: [...COLLECTOR_NODE_FLAGS, '--max-old-space-size=8192', ...profile] });
const aInfo = await a.next<{ port: number; spans: number }>();
const sInfo = await s.next<{ port: number; spans: number }>();
console.log(`preloaded ${traces} traces (${aInfo.spans + bInfo.spans} spans; A ${aInfo.spans}, B ${bInfo.spans}, S ${sInfo.spans}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const fanned = await RawGetConnection.open('127.0.0.1', aInfo.port);
const single = await RawGetConnection.open('127.0.0.1', sInfo.port);
const path = '/traces?limit=1000';

// The same page, exactly: the fan-out is a merge, not an approximation.
const fannedBody = (await fanned.get(path)).body.toString('latin1');
const singleBody = (await single.get(path)).body.toString('latin1');
if (fannedBody !== singleBody) throw new Error('the fanned-out page differs from the single node\'s');
const total = /"total":(\d+)/.exec(fannedBody)?.[1];
if (total !== String(half * 2)) throw new Error(`total ${total}, expected ${half * 2}`);

// Warm both paths (JIT, the garbage collector's steady state), not counted.
for (let until = performance.now() + 3000; performance.now() < until; ) {
  await fanned.get(path);
  await single.get(path);
}

const cpu = async () => {
  const ask = async (w: typeof a) => {
    w.send({ cpu: true });
    return (await w.next<{ cpu: NodeJS.CpuUsage }>()).cpu;
  };
  return { a: await ask(a), b: await ask(b), s: await ask(s) };
};
const fannedMs: number[] = [];
const singleMs: number[] = [];
const cpuBefore = await cpu();
for (let i = 0; i < reps; i++) {
  const order = i % 4 === 0 || i % 4 === 3 ? ['fanned', 'single'] : ['single', 'fanned'];
  for (const which of order) {
    const r = await (which === 'fanned' ? fanned : single).get(path);
    if (r.status !== 200) throw new Error(`${which} answered ${r.status}`);
    (which === 'fanned' ? fannedMs : singleMs).push(r.ms);
  }
}
const cpuAfter = await cpu();
const cpuMsPerRequest = (key: 'a' | 'b' | 's') =>
  (cpuAfter[key].user + cpuAfter[key].system - cpuBefore[key].user - cpuBefore[key].system) / 1000 / reps;

const stats = (xs: number[]) => {
  const sorted = Float64Array.from(xs).sort();
  return { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1]! };
};
const f = stats(fannedMs);
const sg = stats(singleMs);
const row = (name: string, x: ReturnType<typeof stats>, cpuText: string) =>
  `${name.padEnd(34)} ${x.p50.toFixed(2).padStart(7)} ${x.p90.toFixed(2).padStart(7)} ${x.p99.toFixed(2).padStart(7)} ${x.max.toFixed(2).padStart(7)}   ${cpuText}`;
console.log(`\nGET ${path}, ${traces.toLocaleString('en-US')} traces, ${reps} requests each, interleaved ABBA; ms`);
console.log(`${''.padEnd(34)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}   CPU ms per request`);
console.log(row('fanned out: A (half) + peer B (half)', f, `A ${cpuMsPerRequest('a').toFixed(2)}, B ${cpuMsPerRequest('b').toFixed(2)}`));
console.log(row('single node S (all)', sg, `S ${cpuMsPerRequest('s').toFixed(2)}`));
console.log(`p99 ratio fanned / single: ${(f.p99 / sg.p99).toFixed(2)}; p50 ratio ${(f.p50 / sg.p50).toFixed(2)}`);

fanned.close();
single.close();
await Promise.all([a.stop(), b.stop(), s.stop()]);
