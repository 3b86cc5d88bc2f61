// Bench worker: fills a DATA_DIR with the ingest log of emitter traffic, as a collector with the
// defaults would have written it: the emitter's own traces and batches (tools/emit: random ids,
// 1–4 children, its tags, 10–14-span batches, 30% shuffled, 20% cut mid-trace), parsed by the
// POST /spans fast path, logged through the SegmentLog at the simulated time they would have
// arrived, one group commit per simulated second. The last batch is logged now.
//
//   args: <dir> <spans> <spansPerSec>     → {spans, batches, logBytes, jsonBytes, minutes, seedSeconds}

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSpanBatch } from '../../src/ingest-log/record-codec.js';
import { SegmentLog } from '../../src/ingest-log/segment-log.js';
import { parseSpanBatchFast } from '../../src/ingest/span-batch-fast.js';
import { ManualClock } from '../../src/time/clock.js';
import { seededRandom } from '../../tools/emit/random.js';
import { BatchBuilder, encodeBatch, generateTrace } from '../../tools/emit/traffic.js';

const [dir, spansText, rateText] = process.argv.slice(2) as [string, string, string];
const totalSpans = Number(spansText);
const spansPerSec = Number(rateText);
const seconds = Math.ceil(totalSpans / spansPerSec);
const endMs = Date.now();
const clock = new ManualClock(endMs - seconds * 1000);
const log = new SegmentLog({ dir, clock, windowMinutes: 30 });
const random = seededRandom(16);
const batches = new BatchBuilder(random, { batchSize: 10, disorder: 0.3, straddle: 0.2 });

let spans = 0;
let batchCount = 0;
let jsonBytes = 0;
const started = performance.now();
for (let second = 0; second < seconds && spans < totalSpans; second++) {
  const appends: Promise<void>[] = [];
  let thisSecond = 0;
  while (thisSecond < spansPerSec && spans < totalSpans) {
    // The emitter stamps a trace with the time it is made: spread over the simulated second.
    const nowNs = BigInt(clock.nowMs()) * 1_000_000n + BigInt(Math.floor((thisSecond / spansPerSec) * 1e9));
    const trace = generateTrace(random, nowNs, thisSecond % 20);
    for (const ready of batches.add(trace)) {
      const body = Buffer.from(encodeBatch(ready));
      jsonBytes += body.length;
      const batch = parseSpanBatchFast(body);
      if (batch === undefined) throw new Error('the fast parser refused an emitter batch');
      const appendMs = clock.nowMs();
      appends.push(log.append((out) => encodeSpanBatch(batch, appendMs, out)));
      batch.release();
      spans += ready.length;
      thisSecond += ready.length;
      batchCount++;
    }
  }
  await Promise.all(appends);
  clock.advance(1000);
}
await log.close();
const logBytes = readdirSync(dir)
  .filter((f) => f.endsWith('.seg'))
  .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
process.send!({ spans, batches: batchCount, logBytes, jsonBytes, minutes: seconds / 60, seedSeconds: (performance.now() - started) / 1000 });
