// Where replay's time goes, stage by stage, on the ingest log of emitter traffic
// (bench/lib/durability-seed.ts writes it, as a collector with the defaults would have):
//
//   read:    readSegment over every segment (file reads, framing, CRC-32), records counted
//   decode:  the same, plus decodeRecord of every record (nothing applied)
//   chunks:  the replay worker's whole half on this thread: read, decode and pack into the chunks
//            it sends (readForReplay), each chunk given back to be filled again as replay does
//   replay (one thread): replayLog into a fresh BucketStore at the logged times, reading on the
//            main thread as it does for a small log
//   replay (worker):     the same with the replay worker reading and decoding (what start-up
//            does with a log of 8 MiB or more)
//   apply:   replay (one thread) − decode, the store's share
// For both replays, spans per CPU second of the main thread: the rate the pipeline reaches when
// the second core is free (on a busy machine the wall-clock figures are the machine's); and for
// the worker replay, the share of the wall time the main thread was busy (under 1: it waited for
// the worker's chunks).
// and what encoding a fast-parsed emitter batch costs per span (the request's path).
// Stages alternate over several rounds, so drift of this shared machine falls on all of them.
//
//   npx tsx bench/replay-rate.ts [spans, default 2000000] [rounds, default 3]

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteWriter } from '../src/ingest-log/byte-buffers.js';
import { decodeRecord, encodeSpanBatch, RECORD_SPANS } from '../src/ingest-log/record-codec.js';
import { emptyProgress, replayLog } from '../src/ingest-log/replay.js';
import { ChunkBuilder } from '../src/ingest-log/replay-chunk.js';
import { readForReplay } from '../src/ingest-log/replay-reading.js';
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

async function packChunks(): Promise<number> {
  let packedSpans = 0;
  const builder = new ChunkBuilder();
  await readForReplay(
    segmentPaths(),
    {
      async send(message) {
        if (message.type !== 'chunk') return;
        packedSpans += message.chunk.records === 0 ? 0 : message.chunk.spanEnds[message.chunk.records - 1]!;
        builder.recycle(message.chunk);
      },
    },
    builder,
  );
  return packedSpans;
}

async function replay(workerFromBytes: number): Promise<number> {
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
    replayClock: clock,
    workerFromBytes,
    evict: async () => {
      while ((await store.evict()).pending);
    },
  });
  return progress.spans;
}

/** CPU seconds of this process's main thread (its task has the process's id), from /proc. */
function mainThreadCpuSeconds(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
  const rates: Record<string, number[]> = { read: [], decode: [], chunks: [], replay: [], 'replay-worker': [], apply: [], encodeNsPerSpan: [] };
  // Wall-clock rates depend on the second core being free; the main thread's CPU per span does
  // not, and is what bounds the pipeline when it is.
  const mainCpu: Record<string, number[]> = { replay: [], 'replay-worker': [] };
  const workerReplayBusy: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['read', 'decode', 'chunks', 'replay', 'replay-worker'] : ['replay-worker', 'replay', 'chunks', 'decode', 'read'];
    const ms: Record<string, number> = {};
    for (const stage of order) {
      const t0 = performance.now();
      const cpu0 = mainThreadCpuSeconds();
      if (stage === 'read') await readOnly();
      else if (stage === 'decode') await readDecode();
      else if (stage === 'chunks') await packChunks();
      else await replay(stage === 'replay' ? Infinity : 0);
      ms[stage] = performance.now() - t0;
      mainCpu[stage]?.push(spans / (mainThreadCpuSeconds() - cpu0));
      if (stage === 'replay-worker') workerReplayBusy.push((mainThreadCpuSeconds() - cpu0) / (ms[stage]! / 1000));
      rates[stage]!.push(spans / (ms[stage]! / 1000));
    }
    rates.apply!.push(spans / ((ms.replay! - ms.decode!) / 1000));
    rates.encodeNsPerSpan!.push(encodeCost().nsPerSpan);
  }
  for (const [stage, values] of Object.entries(rates)) {
    const unit = stage === 'encodeNsPerSpan' ? 'ns/span' : 'spans/s';
    console.log(`${stage.padEnd(16)} ${values.map(fmt).join(' / ')} ${unit}`);
  }
  for (const [stage, values] of Object.entries(mainCpu)) console.log(`${(stage + ', main thread').padEnd(28)} ${values.map(fmt).join(' / ')} spans per CPU second`);
  console.log(`replay-worker, main thread busy ${workerReplayBusy.map((share) => share.toFixed(2)).join(' / ')} of the wall time`);
  const ratios = rates['replay-worker']!.map((worker, i) => (worker / rates.replay![i]!).toFixed(2));
  console.log(`replay-worker / replay, round by round: ${ratios.join(' / ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
