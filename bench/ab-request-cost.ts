// Interleaved A/B of what one POST /spans request costs the collector, between another checkout
// of this repository and this one, for per-request costs that throughput on a shared VM hides
// (bench/ab-ingest.ts gives goodput and CPU a span; its single rounds move ±20% here).
//
//   npx tsx bench/ab-request-cost.ts --base=<checkout> [--head=<checkout>] [--rounds=4] [--duration=10s] [--spans=12] [--connections=32]
//   npx tsx bench/ab-request-cost.ts --base=<checkout> [--head=<checkout>] --instructions [--warm=3000] [--count=3000] [--spans=12]
//
// CPU (default): each checkout's bench/lib/serve.ts (shipped defaults, memory store) pinned to
// CPU 0, a closed loop from this checkout's client on CPU 1, base and head taking turns with the
// first side swapped each round (ABBA). Per answered request: the server's CPU time, split into
// user and system time (/proc/PID/stat), so that kernel-side costs (socket writes) and
// JavaScript-side ones can be told apart.
//
// --instructions: both collectors under callgrind at once (bench/lib/callgrind-server.ts), the
// same number of requests each: `warm` requests so the JIT settles, then `count` measured. An
// instruction count is not a time (cache misses and branch mispredictions do not show), but it
// does not move with the machine's load, so a difference of 1% is a difference. Takes 5–15
// minutes; needs valgrind.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BodyTemplate } from './lib/body-template.js';
import { CallgrindServer, type InstructionCounts } from './lib/callgrind-server.js';
import { cpuDuring, cpuPerRequest, pinSelf, startCollectorWorker } from './lib/child.js';
import { runRawLoad } from './lib/raw-http-client.js';

const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const base = option('base');
if (base === undefined) throw new Error('--base=<checkout of the revision to compare with> is required');
const head = option('head') ?? process.cwd();
const spans = Number(option('spans') ?? 12);
const connections = Number(option('connections') ?? (spans < 50 ? 32 : 16));
let nextPort = 20000 + Math.floor(Math.random() * 500);

const newTemplate = () => new BodyTemplate(Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0'), spans, true, BigInt(Date.now()) * 1_000_000n);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2 : (sorted[Math.floor(mid)] ?? NaN);
};

interface CpuFigure {
  cpuUs: number;
  userUs: number;
  systemUs: number;
  requestsPerSec: number;
}

/** User and system CPU of a process in µs, at the kernel's 10 ms tick (fine over seconds). */
function processCpu(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000 };
}

async function measureCpu(checkout: string, durationMs: number): Promise<CpuFigure> {
  const port = nextPort++;
  const server = startCollectorWorker(['bucket', String(port)], { cpu: 0, cwd: checkout });
  await server.next();
  const template = newTemplate();
  const load = (ms: number) => runRawLoad({ host: '127.0.0.1', port, connections, durationMs: ms, path: '/spans', nextBody: () => template.next() });
  await load(3000);
  const procBefore = processCpu(server.child.pid!);
  const { result: r, cpuMicros } = await cpuDuring(server, () => load(durationMs));
  const procAfter = processCpu(server.child.pid!);
  await server.stop();
  const answered = r.byStatus[202] ?? 0;
  return {
    cpuUs: cpuPerRequest(cpuMicros, answered, r.elapsedMs).cpuMicrosPerRequest,
    userUs: (procAfter.user - procBefore.user) / answered,
    systemUs: (procAfter.system - procBefore.system) / answered,
    requestsPerSec: answered / (r.elapsedMs / 1000),
  };
}

async function cpuAB(): Promise<void> {
  const rounds = Number(option('rounds') ?? 4);
  const durationMs = Number((option('duration') ?? '10s').replace(/s$/, '')) * 1000;
  pinSelf(1);
  const figures: Record<'base' | 'head', CpuFigure[]> = { base: [], head: [] };
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
      const f = await measureCpu(side === 'base' ? base! : head, durationMs);
      figures[side].push(f);
      console.log(
        `${spans}-span batches × ${connections}, round ${round + 1}, ${side}: ${f.cpuUs.toFixed(1)} µs CPU a request (user ${f.userUs.toFixed(1)}, system ${f.systemUs.toFixed(1)}), ${Math.round(f.requestsPerSec).toLocaleString('en-US')} requests/s`,
      );
    }
  }
  const m = (side: 'base' | 'head', key: keyof CpuFigure) => median(figures[side].map((f) => f[key]));
  for (const key of ['cpuUs', 'userUs', 'systemUs'] as const) {
    const name = key === 'cpuUs' ? 'CPU' : key === 'userUs' ? 'user' : 'system';
    // Inverted so that, as with goodput, above 1 means head is cheaper.
    console.log(`${name} µs a request, medians: base ${m('base', key).toFixed(1)}, head ${m('head', key).toFixed(1)}; base / head ${(m('base', key) / m('head', key)).toFixed(3)}`);
  }
  const perRound = figures.base.map((b, i) => (b.cpuUs / figures.head[i]!.cpuUs).toFixed(3));
  console.log(`CPU base / head by round: ${perRound.join(', ')}`);
}

async function instructionsOf(side: string, checkout: string, warm: number, count: number, dir: string): Promise<InstructionCounts & { answered: number }> {
  const port = nextPort++;
  const server = await CallgrindServer.start(checkout, port, join(dir, `${side}.callgrind`));
  try {
    const template = newTemplate();
    const load = (requests: number) => runRawLoad({ host: '127.0.0.1', port, connections, durationMs: 3_600_000, maxRequests: requests, path: '/spans', nextBody: () => template.next() });
    await load(warm);
    server.dump();
    const r = await load(count);
    const counts = server.dump();
    const answered = r.byStatus[202] ?? 0;
    if (answered !== r.requests) throw new Error(`${side}: ${r.requests - answered} of ${r.requests} requests were not answered 202`);
    return { ...counts, answered };
  } finally {
    await server.stop();
  }
}

async function instructionAB(): Promise<void> {
  if (!CallgrindServer.hasValgrind()) throw new Error('--instructions needs valgrind (callgrind, callgrind_control, callgrind_annotate)');
  const warm = Number(option('warm') ?? 3000);
  const count = Number(option('count') ?? 3000);
  const dir = mkdtempSync(join(tmpdir(), 'ab-request-cost-'));
  // Both at once: the counts do not depend on what else runs, and each takes minutes.
  const [b, h] = await Promise.all([instructionsOf('base', base!, warm, count, dir), instructionsOf('head', head, warm, count, dir)]);
  const per = (c: InstructionCounts & { answered: number }, key: keyof InstructionCounts) => c[key] / c.answered;
  for (const key of ['mainThread', 'total'] as const) {
    const name = key === 'mainThread' ? 'main thread' : 'all threads';
    console.log(`${spans}-span batches × ${connections}, ${warm} warm-up + ${count} measured requests, instructions a request (${name}): base ${Math.round(per(b, key)).toLocaleString('en-US')}, head ${Math.round(per(h, key)).toLocaleString('en-US')}; base / head ${(per(b, key) / per(h, key)).toFixed(3)}`);
  }
  console.log(`callgrind profiles in ${dir} (callgrind_annotate <file>.2 for the measured part)`);
}

if (process.argv.includes('--instructions')) await instructionAB();
else await cpuAB();
