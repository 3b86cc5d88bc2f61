// Garbage collection in a collector under a closed loop, with the Node flags it ships with
// (src/node-flags.ts) against without them, interleaved: goodput, and from V8's --trace-gc lines
// the scavenges and mark-compacts (count, median and longest pause) and the share of the run the
// main thread spent paused in them. The collector writes ahead to a fresh DATA_DIR, as the
// defaults do, pinned to CPU 0; the load runs on this process's CPU.
//
//   npx tsx bench/gc-pauses.ts [--spans=12] [--connections=256] [--ms=10000] [--rounds=2]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.js';
import { BodyTemplate } from './lib/body-template.js';
import { pinSelf } from './lib/child.js';
import { runRawLoad } from './lib/raw-http-client.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const spans = option('spans', 12);
const connections = option('connections', 256);
const ms = option('ms', 10_000);
const rounds = option('rounds', 2);
const port = 18000 + Math.floor(Math.random() * 1000);
pinSelf(1);

interface Pause {
  kind: string;
  ms: number;
}

/** One --trace-gc line: "[pid:isolate] 5421 ms: Scavenge 48.0 (92.6) -> 37.6 (92.6) MB, 6.70 / 0.00 ms ...". */
function parsePause(line: string): Pause | undefined {
  const m = /\d+ ms: ([A-Za-z-]+) .*?MB, (\d+(?:\.\d+)?) \/ \d+(?:\.\d+)? ms/.exec(line);
  return m === null ? undefined : { kind: m[1]!, ms: Number(m[2]) };
}

async function run(flags: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'gc-pauses-'));
  // The bench's template names the 10-span shape; its bodies hold 12 spans.
  const templateSpans = spans === 12 ? 10 : spans;
  const child = spawn('taskset', ['-c', '0', process.execPath, '--trace-gc', ...flags, '--import', 'tsx', 'bench/lib/serve.ts', 'bucket', String(port), `disk=${dir}`], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await new Promise((resolve) => child.once('message', resolve));
  const template = new BodyTemplate(Math.random().toString(16).slice(2, 10), templateSpans, true, BigInt(Date.now()) * 1_000_000n);
  const load = (durationMs: number) => runRawLoad({ host: '127.0.0.1', port, connections, durationMs, path: '/spans', nextBody: () => template.next() });
  await load(3000);
  const from = out.length;
  const r = await load(ms);
  const lines = out.slice(from).split('\n');
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
  const pauses = lines.map(parsePause).filter((p): p is Pause => p !== undefined);
  return { spansPerSec: ((r.byStatus[202] ?? 0) * template.spans) / (r.elapsedMs / 1000), pauses, elapsedMs: r.elapsedMs };
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
function describe(pauses: Pause[], kind: string): string {
  const of = pauses.filter((p) => p.kind === kind).map((p) => p.ms).sort((a, b) => a - b);
  if (of.length === 0) return `${kind} none`;
  return `${kind} ${of.length} (median ${fmt(of[Math.floor(of.length / 2)]!)} ms, longest ${fmt(of.at(-1)!)} ms)`;
}

console.log(`gc-pauses: ${spans}-span batches, ${connections} connections, ${ms / 1000} s a run; shipped flags: ${COLLECTOR_NODE_FLAGS.join(' ')}`);
for (let round = 0; round < rounds; round++) {
  const order: Array<[string, readonly string[]]> = [['shipped flags', COLLECTOR_NODE_FLAGS], ['no flags', []]];
  for (const [name, flags] of round % 2 === 0 ? order : order.reverse()) {
    const { spansPerSec, pauses, elapsedMs } = await run(flags);
    const pausedMs = pauses.reduce((a, p) => a + p.ms, 0);
    console.log(`${name.padEnd(13)} ${fmt(spansPerSec, 0)} spans/s; ${describe(pauses, 'Scavenge')}; ${describe(pauses, 'Mark-Compact')}; paused ${fmt((pausedMs / elapsedMs) * 100)}% of the run`);
  }
}
