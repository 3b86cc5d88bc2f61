// How the ingest log's group commit behaves under a closed loop, disk (the defaults) against
// STORAGE=memory, interleaved: goodput, the collector's CPU per accepted request (all its
// threads) and its busy share, and for disk the records each sync covered and the syncs a second
// (from /metrics). The collector is pinned to CPU 0 as in bench:durability, unless --unpinned.
//
//   npx tsx bench/group-commit.ts [--spans=12] [--connections=32] [--ms=6000] [--rounds=2] [--unpinned]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BodyTemplate } from './lib/body-template.js';
import { cpuDuring, cpuPerRequest, startCollectorWorker } from './lib/child.js';
import { numberOption } from './lib/options.js';
import { runRawLoad } from './lib/raw-http-client.js';
import { metric } from './lib/repro-harness.js';

const args = process.argv.slice(2);
const spans = numberOption(args, 'spans', 12);
const connections = numberOption(args, 'connections', 32);
const ms = numberOption(args, 'ms', 6000);
const rounds = numberOption(args, 'rounds', 2);
const pinned = !args.includes('--unpinned');
const port = 18000 + Math.floor(Math.random() * 1000);

const counter = async (name: string) => (await metric(port, name)) ?? NaN;

for (let round = 0; round < rounds; round++) {
  for (const storage of round % 2 === 0 ? ['memory', 'disk'] : ['disk', 'memory']) {
    const dir = storage === 'disk' ? mkdtempSync(join(tmpdir(), 'group-commit-')) : undefined;
    const server = startCollectorWorker(['bucket', String(port), ...(dir === undefined ? [] : [`disk=${dir}`])], { cpu: pinned ? 0 : undefined });
    await server.next();
    try {
      const template = new BodyTemplate(Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0'), spans, true, BigInt(Date.now()) * 1_000_000n);
      const load = (durationMs: number) => runRawLoad({ host: '127.0.0.1', port, connections, durationMs, path: '/spans', nextBody: () => template.next() });
      await load(2000);
      const syncs0 = await counter('traced_ingest_log_syncs_total');
      const records0 = await counter('traced_ingest_log_records_total');
      const { result, cpuMicros } = await cpuDuring(server, () => load(ms));
      const syncs = (await counter('traced_ingest_log_syncs_total')) - syncs0;
      const records = (await counter('traced_ingest_log_records_total')) - records0;
      const accepted = result.byStatus[202] ?? 0;
      const seconds = result.elapsedMs / 1000;
      const cpu = cpuPerRequest(cpuMicros, accepted, result.elapsedMs);
      const groups = storage === 'disk' ? `, ${(records / syncs).toFixed(1)} records a sync, ${Math.round(syncs / seconds)} syncs/s` : '';
      console.log(`${storage.padEnd(6)} ${Math.round((accepted * template.spans) / seconds).toLocaleString('en-US')} spans/s, CPU ${cpu.cpuMicrosPerRequest.toFixed(1)} µs a request, busy ${cpu.busyShare.toFixed(2)}${groups}`);
    } finally {
      await server.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }
}
