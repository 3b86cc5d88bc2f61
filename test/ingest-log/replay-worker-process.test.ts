// A collector process restarted on an ingest log big enough for the replay worker (8 MiB or
// more) reads it in that worker thread, started from the sources as `npm run dev` starts it, and
// brings back every span exactly: ids, times to the nanosecond, tags (ASCII ones read in place,
// others as UTF-8), status. Smaller logs are read on the main thread (replay-equivalence.test.ts
// covers both readers in-process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSpanBatch } from '../../src/ingest-log/record-codec.js';
import { WORKER_FROM_BYTES } from '../../src/ingest-log/replay-source.js';
import { SegmentLog } from '../../src/ingest-log/segment-log.js';
import { SpanBatch } from '../../src/ingest/span-batch.js';
import type { IngestSpan } from '../../src/store/trace-store.js';
import { systemClock } from '../../src/time/clock.js';
import { nsText, parseJsonLossless, type JsonObject } from '../support/http.js';
import { span, uuid } from '../support/spans.js';
import { freePort, startCollectorProcess, waitForLog, type CollectorProcess } from './collector-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'replay-worker-process-'));
let proc: CollectorProcess | undefined;

afterAll(() => {
  if (proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const SPANS_PER_BATCH = 500;

/** Batch b: 50 traces of 10 spans, every nanosecond digit used, tags ASCII or not by span. */
function batchSpans(b: number, nowMs: number): IngestSpan[] {
  const spans: IngestSpan[] = [];
  const base = BigInt(nowMs - 60_000) * 1_000_000n;
  for (let i = 0; i < SPANS_PER_BATCH; i++) {
    const trace = b * 50 + Math.floor(i / 10);
    const start = base + BigInt(b * 1_000_003 + i * 7_919);
    spans.push(
      span({
        traceId: uuid(trace, 0xa),
        spanId: uuid(b * SPANS_PER_BATCH + i, 0xb),
        parentSpanId: i % 10 === 0 ? undefined : uuid(b * SPANS_PER_BATCH + i - (i % 10), 0xb),
        service: i % 3 === 0 ? 'paiement-é' : 'checkout',
        operation: `op ${i % 7}`,
        startTime: start.toString(),
        endTime: (start + BigInt(1 + ((b * 31 + i) % 900_000_001))).toString(),
        error: i % 11 === 0,
        tags: i % 2 === 0 ? { seq: String(b), 'http.route': `/orders/${i}` } : { 'note.ü': `v${i} "quoted" 🎉` },
      }),
    );
  }
  return spans;
}

describe('replay of a big ingest log in a real process', () => {
  it('reads it in the replay worker and brings back every span exactly', async () => {
    const log = new SegmentLog({ dir: dataDir, clock: systemClock, windowMinutes: 30 });
    const nowMs = Date.now();
    let batches = 0;
    while (log.stats.bytes < WORKER_FROM_BYTES * 1.2) {
      const batch = SpanBatch.fromSpans(batchSpans(batches++, nowMs));
      await log.append((out) => encodeSpanBatch(batch, nowMs, out));
    }
    await log.close();

    const port = await freePort();
    proc = startCollectorProcess({ PORT: String(port), STORAGE: 'disk', DATA_DIR: dataDir, WINDOW_MINUTES: '30' });
    const replaying = await waitForLog(proc, 'replaying the ingest log', 60_000);
    expect(replaying.readOn).toBe('worker');
    const done = await waitForLog(proc, 'replay done', 120_000);
    expect(done.spans).toBe(batches * SPANS_PER_BATCH);
    expect(done.corruptRecords).toBe(0);

    const listing = (await (await fetch(`http://127.0.0.1:${port}/traces?limit=0`)).json()) as { total: number };
    expect(listing.total).toBe(batches * 50);
    // First, middle and last batch: one trace each, compared field by field.
    for (const b of [0, Math.floor(batches / 2), batches - 1]) {
      const expected = batchSpans(b, nowMs).slice(10, 20);
      const res = await fetch(`http://127.0.0.1:${port}/traces/${expected[0]!.traceId}`);
      expect(res.status).toBe(200);
      const trace = parseJsonLossless(await res.text()) as JsonObject;
      const got = (trace.spans as JsonObject[]).map((s) => ({
        spanId: s.span_id,
        parentSpanId: s.parent_span_id ?? undefined,
        service: s.service,
        operation: s.operation,
        startTime: nsText(s.start_time),
        endTime: nsText(s.end_time),
        error: s.status === 'error',
        tags: s.tags,
      }));
      const want = expected.map((s) => ({ spanId: s.spanId, parentSpanId: s.parentSpanId, service: s.service, operation: s.operation, startTime: s.startTime, endTime: s.endTime, error: s.error, tags: s.tags }));
      expect(got).toEqual(want);
    }
    proc.child.kill('SIGTERM');
    await proc.exited;
  });
});
