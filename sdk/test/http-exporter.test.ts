import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchSpanProcessor } from '../src/batch-processor.js';
import { InMemoryExporter } from '../src/exporter.js';
import { instrumentFetch } from '../src/fetch.js';
import { TracedHttpExporter } from '../src/http-exporter.js';
import { SimpleSpanProcessor } from '../src/processor.js';
import { TracedTracer } from '../src/tracer.js';
import http from 'node:http';
import { FakeCollector, close, deadUrl, listen } from './support/fake-collector.js';

let collector: FakeCollector;
beforeEach(async () => {
  collector = await new FakeCollector().start();
});
afterEach(async () => {
  await collector.stop();
});

/** Records requested backoff waits and returns at once: retries without real time passing. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

function pipeline(options: { url?: string; maxQueueSize?: number; maxAttempts?: number } = {}) {
  const { waits, sleep } = recordingSleep();
  const exporter = new TracedHttpExporter({
    url: options.url ?? collector.url,
    sleep,
    random: () => 1,
    retry: { maxAttempts: options.maxAttempts ?? 5 },
  });
  const processor = new BatchSpanProcessor(exporter, { maxQueueSize: options.maxQueueSize });
  const tracer = new TracedTracer({ service: 'checkout', processor });
  return { exporter, processor, tracer, waits };
}

describe('TracedHttpExporter with BatchSpanProcessor, against a real local server', () => {
  it('posts batches of at most 500 spans with exact int64 times as bare JSON integers', async () => {
    const { tracer, exporter } = pipeline();
    const starts: bigint[] = [];
    for (let i = 0; i < 1_234; i++) {
      const start = 1713484800000000000n + BigInt(i) * 1_000_003n + 7n; // beyond 2^53: a Number would round these
      starts.push(start);
      tracer.startSpan(`op${i}`, { startTimeNs: start }).end(start + 150_000_001n);
    }
    await tracer.forceFlush();
    expect(collector.batches.map((b) => b.spans.length)).toEqual([500, 500, 234]);
    const raw = collector.batches.map((b) => b.raw).join('');
    const sentStarts = [...raw.matchAll(/"start_time":(\d+),"end_time":(\d+)/g)];
    // Both groups of the pattern are mandatory: every match has them.
    expect(sentStarts.map((m) => BigInt(m[1]!))).toEqual(starts);
    expect(sentStarts.every((m) => BigInt(m[2]!) - BigInt(m[1]!) === 150_000_001n)).toBe(true);
    expect(collector.batches[0]!.spans[0]).toMatchObject({ service: 'checkout', operation: 'op0', status: 'ok' });
    expect(exporter.stats()).toMatchObject({ sentBatches: 3, acceptedSpans: 1_234, failedBatches: 0 });
  });

  it('drops the oldest spans when its buffer overflows, and counts the drops', async () => {
    const { tracer, processor } = pipeline({ maxQueueSize: 100 });
    for (let i = 0; i < 250; i++) tracer.startSpan(`op${i}`).end();
    await tracer.forceFlush();
    expect(collector.spanCount).toBe(100);
    expect(collector.batches[0]?.spans[0]?.operation).toBe('op150');
    expect(collector.batches.at(-1)!.spans.at(-1)!.operation).toBe('op249');
    expect(processor.stats()).toMatchObject({ droppedSpans: 150, exportedSpans: 100 });
  });

  it('retries a 503, honouring Retry-After, then succeeds', async () => {
    collector.reply({ status: 503, headers: { 'retry-after': '2' }, body: '{"error":"overloaded"}' });
    const { tracer, exporter, processor, waits } = pipeline();
    tracer.startSpan('op').end();
    await tracer.forceFlush();
    expect(collector.batches).toHaveLength(2);
    expect(collector.batches[1]!.raw).toBe(collector.batches[0]!.raw);
    expect(waits).toEqual([2_000]);
    expect(exporter.stats()).toMatchObject({ retries: 1, sentBatches: 1, failedBatches: 0 });
    expect(processor.stats()).toMatchObject({ exportedSpans: 1, failedSpans: 0 });
  });

  it('backs off exponentially on 429 and gives up after the attempt limit, counting the loss', async () => {
    collector.reply(...Array.from({ length: 4 }, () => ({ status: 429 })));
    const { tracer, exporter, processor, waits } = pipeline({ maxAttempts: 4 });
    tracer.startSpan('a').end();
    tracer.startSpan('b').end();
    await tracer.forceFlush();
    expect(collector.batches).toHaveLength(4);
    expect(waits).toEqual([100, 200, 400]);
    expect(exporter.stats()).toMatchObject({ retries: 3, failedBatches: 1, failedSpans: 2 });
    expect(processor.stats()).toMatchObject({ failedSpans: 2, exportedSpans: 0 });
  });

  it('does not retry a 400 (the batch would be rejected again)', async () => {
    collector.reply({ status: 400, body: '{"error":"invalid"}' });
    const { tracer, exporter } = pipeline();
    tracer.startSpan('op').end();
    await tracer.forceFlush();
    expect(collector.batches).toHaveLength(1);
    expect(exporter.stats()).toMatchObject({ retries: 0, failedBatches: 1 });
  });

  it('throws nothing and counts failures when the collector is down; shutdown still resolves', async () => {
    const { tracer, exporter, processor, waits } = pipeline({ url: await deadUrl(), maxAttempts: 3 });
    expect(() => {
      for (let i = 0; i < 700; i++) tracer.startSpan(`op${i}`).end();
    }).not.toThrow();
    await expect(tracer.forceFlush()).resolves.toBeUndefined();
    await expect(tracer.shutdown()).resolves.toBeUndefined();
    expect(waits.length).toBeGreaterThanOrEqual(2); // network errors are retried
    expect(exporter.stats().failedBatches).toBeGreaterThanOrEqual(1);
    const stats = processor.stats();
    expect(stats.exportedSpans).toBe(0);
    expect(stats.failedSpans + stats.droppedSpans).toBe(700);
  });

  it('shutdown flushes what is buffered', async () => {
    const { tracer } = pipeline();
    for (let i = 0; i < 42; i++) tracer.startSpan(`op${i}`).end();
    expect(collector.spanCount).toBe(0);
    await tracer.shutdown();
    expect(collector.spanCount).toBe(42);
  });

  it('never traces its own requests, even through an instrumented fetch', async () => {
    const seen = new InMemoryExporter();
    const observer = new TracedTracer({ service: 'observer', processor: new SimpleSpanProcessor(seen) });
    const selfTracingFetch = instrumentFetch(fetch, { tracer: observer });
    // A custom fetch that would open spans if tracing were not suppressed during export.
    const spanOpeningFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      observer.startSpan('inside-export').end();
      return selfTracingFetch(input, init);
    }) as typeof fetch;
    for (const fetchImpl of [selfTracingFetch, spanOpeningFetch]) {
      const processor = new BatchSpanProcessor(new TracedHttpExporter({ url: collector.url, fetch: fetchImpl }));
      const tracer = new TracedTracer({ service: 'app', processor });
      await tracer.startActiveSpan('request', async (span) => {
        span.end();
      });
      await tracer.shutdown();
    }
    expect(collector.spanCount).toBe(2);
    expect(seen.getFinishedSpans()).toHaveLength(0);
  });

  it('times out a collector that accepts the connection but never answers', async () => {
    const silent = http.createServer(() => undefined);
    const url = await listen(silent);
    try {
      const exporter = new TracedHttpExporter({ url, timeoutMs: 50, retry: { maxAttempts: 2 }, sleep: async () => undefined });
      const tracer = new TracedTracer({ service: 's', processor: new SimpleSpanProcessor(exporter) });
      tracer.startSpan('op').end();
      await tracer.forceFlush();
      expect(exporter.stats()).toMatchObject({ retries: 1, failedBatches: 1, sentBatches: 0 });
    } finally {
      await close(silent);
    }
  }, 5_000);

  it('shutdown() cuts a long Retry-After wait short instead of holding the process', async () => {
    collector.reply({ status: 503, headers: { 'retry-after': '50' } });
    const exporter = new TracedHttpExporter({ url: collector.url, retry: { maxRetryAfterMs: 60_000 } });
    const tracer = new TracedTracer({ service: 's', processor: new SimpleSpanProcessor(exporter) });
    tracer.startSpan('op').end();
    // Wait until the exporter has seen the 503 and entered its 50 s backoff.
    while (exporter.stats().retries === 0) await new Promise((resolve) => setImmediate(resolve));
    await exporter.shutdown();
    await tracer.forceFlush(); // resolves now, not after 50 s
    expect(exporter.stats()).toMatchObject({ failedBatches: 1, retries: 1 });
  }, 5_000);
});
