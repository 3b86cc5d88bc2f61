// Where replay's time goes, stage by stage, on the ingest log of emitter traffic
// (bench/lib/durability-seed.ts writes it, as a collector with the defaults would have):
//
//   read:    readSegment over every segment (file reads, framing, CRC-32), records counted
//   decode:  the same, plus decodeRecord of every record (nothing applied)
//   replay:  replayLog into a fresh BucketStore at the logged times (what start-up does)
//   apply:   replay − decode, the store's share
// and what encoding a fast-parsed emitter batch costs per span (the request's path).
// Stages alternate over several rounds, so drift of this shared machine falls on all of them.
//
//   npx tsx bench/replay-rate.ts [spans, default 2000000] [rounds, default 3]

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteWriter } from '../src/ingest-log/byte-buffers.js';
import { decodeRecord, encodeSpanBatch, RECORD_SPANS } from '../src/ingest-log/record-codec.js';
import { emptyProgress, replayLog } from '../src/ingest-log/replay.js';
import { ReplayClock } from '../src/ingest-log/replay-clock.js';
import { readSegment } from '../src/ingest-log/segment-reader.js';
import { parseSpanBatchFast } from '../src/ingest/span-batch-fast.js';
import { MinuteLogStore } from '../src/logs/minute-log-store.js';
import { BucketStore } from '../src/store/buckets/bucket-store.js';
import { systemClock } from '../src/time/clock.js';
import { seededRandom } from '../tools/emit/random.js';
import { BatchBuilder, encodeBatch, generateTrace } from '../tools/emit/traffic.js';
import { startWorker } from './lib/child.js';

const spans = Number(process.argv[2] ?? 2_000_000);
const rounds = Number(process.argv[3] ?? 3);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const dir = mkdtempSync(join(tmpdir(), 'bench-replay-rate-'));
const ignoreDamage = { onDamage: () => undefined, truncate: false };

function segmentPaths(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .map((f) => join(dir, f));
}

async function readOnly(): Promise<number> {
  let records = 0;
  for (const path of segmentPaths()) for await (const _record of readSegment(path, ignoreDamage)) records++;
  return records;
}

async function readDecode(): Promise<number> {
  let decodedSpans = 0;
  for (const path of segmentPaths())
    for await (const record of readSegment(path, ignoreDamage)) {
      const decoded = decodeRecord(record.buffer, record.start, record.end);
      if (decoded.kind === RECORD_SPANS) {
        decodedSpans += decoded.batch.length;
        decoded.batch.release();
      }
    }
  return decodedSpans;
}

async function replay(): Promise<number> {
  const clock = new ReplayClock(systemClock);
  const store = new BucketStore({ clock, windowMinutes: 30 });
  const logStore = new MinuteLogStore({ clock, windowMinutes: 30 });
  const progress = emptyProgress();
  await replayLog({
    dir,
    clock,
    windowMinutes: 30,
    writer: store,
    logStore,
    progress,
    log: () => undefined,
    unlink: async () => undefined,
    replayClock: clock,
    evict: async () => {
      while ((await store.evict()).pending);
    },
  });
  return progress.spans;
}

function encodeCost(): { nsPerSpan: number; spans: number } {
  const random = seededRandom(7);
  const builder = new BatchBuilder(random, { batchSize: 10, disorder: 0.3, straddle: 0.2 });
  const bodies: Buffer[] = [];
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  while (bodies.length < 2000) for (const ready of builder.add(generateTrace(random, nowNs, bodies.length % 20))) bodies.push(Buffer.from(encodeBatch(ready)));
  const batches = bodies.map((body) => parseSpanBatchFast(body)!);
  const out = new ByteWriter();
  let encoded = 0;
  const t0 = performance.now();
  for (let pass = 0; pass < 50; pass++)
    for (const batch of batches) {
      out.reset();
      encodeSpanBatch(batch, 1_780_000_000_000, out);
      encoded += batch.length;
    }
  return { nsPerSpan: ((performance.now() - t0) * 1e6) / encoded, spans: encoded };
}

try {
  process.stderr.write(`replay-rate: writing the ingest log of ${fmt(spans)} emitter spans…\n`);
  const seeder = startWorker('bench/lib/durability-seed.ts', [dir, String(spans), '8750']);
  await seeder.next();
  await seeder.stop();
  const rates: Record<string, number[]> = { read: [], decode: [], replay: [], apply: [], encodeNsPerSpan: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['read', 'decode', 'replay'] : ['replay', 'decode', 'read'];
    const ms: Record<string, number> = {};
    for (const stage of order) {
      const t0 = performance.now();
      if (stage === 'read') await readOnly();
      else if (stage === 'decode') await readDecode();
      else await replay();
      ms[stage] = performance.now() - t0;
      rates[stage]!.push(spans / (ms[stage]! / 1000));
    }
    rates.apply!.push(spans / ((ms.replay! - ms.decode!) / 1000));
    rates.encodeNsPerSpan!.push(encodeCost().nsPerSpan);
  }
  for (const [stage, values] of Object.entries(rates)) {
    const unit = stage === 'encodeNsPerSpan' ? 'ns/span' : 'spans/s';
    console.log(`${stage.padEnd(16)} ${values.map(fmt).join(' / ')} ${unit}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
