import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchSpanProcessor } from '../src/batch-processor.js';
import { InMemoryExporter, type SpanExporter } from '../src/exporter.js';
import type { ReadableSpan } from '../src/span.js';
import { TracedTracer } from '../src/tracer.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const nextImmediate = () => new Promise<void>((resolve) => setImmediate(resolve));

function endSpans(tracer: TracedTracer, count: number, prefix = 's'): void {
  for (let i = 0; i < count; i++) tracer.startSpan(`${prefix}${i}`).end();
}

describe('BatchSpanProcessor', () => {
  it('exports a partial batch after the 1 s delay, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const exporter = new InMemoryExporter();
    const tracer = new TracedTracer({ service: 's', processor: new BatchSpanProcessor(exporter) });
    endSpans(tracer, 3);
    await vi.advanceTimersByTimeAsync(999);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(exporter.getFinishedSpans()).toHaveLength(3);
  });

  it('exports as soon as a full batch of 500 is ready, without waiting for the timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const batches: number[] = [];
    const exporter: SpanExporter = {
      export: async (spans) => {
        batches.push(spans.length);
        return { ok: true };
      },
      shutdown: async () => undefined,
    };
    const tracer = new TracedTracer({ service: 's', processor: new BatchSpanProcessor(exporter) });
    endSpans(tracer, 1_100);
    expect(batches).toEqual([]); // never inside span.end()
    for (let i = 0; i < 10; i++) await nextImmediate();
    expect(batches).toEqual([500, 500]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(batches).toEqual([500, 500, 100]);
  });

  it('drops the OLDEST spans when the buffer is full and counts them', async () => {
    const exporter = new InMemoryExporter();
    const processor = new BatchSpanProcessor(exporter, { maxQueueSize: 10 });
    const tracer = new TracedTracer({ service: 's', processor });
    endSpans(tracer, 25);
    expect(processor.stats()).toMatchObject({ bufferedSpans: 10, droppedSpans: 15 });
    await processor.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(Array.from({ length: 10 }, (_, i) => `s${i + 15}`));
    expect(processor.stats()).toMatchObject({ bufferedSpans: 0, exportedSpans: 10, droppedSpans: 15 });
  });

  it('swallows and counts exporter failures: throwing, rejecting, or reporting failure', async () => {
    let calls = 0;
    const exporter: SpanExporter = {
      export: (spans: readonly ReadableSpan[]) => {
        calls++;
        if (calls === 1) throw new Error('sync throw');
        if (calls === 2) return Promise.reject(new Error('rejected'));
        return Promise.resolve({ ok: false, error: new Error(`failed ${spans.length}`) });
      },
      shutdown: () => Promise.reject(new Error('shutdown failed')),
    };
    const processor = new BatchSpanProcessor(exporter, { maxExportBatchSize: 2 });
    const tracer = new TracedTracer({ service: 's', processor });
    for (let round = 0; round < 3; round++) {
      expect(() => endSpans(tracer, 2)).not.toThrow();
      await expect(processor.forceFlush()).resolves.toBeUndefined();
    }
    await expect(processor.shutdown()).resolves.toBeUndefined();
    expect(processor.stats()).toMatchObject({ failedSpans: 6, exportedSpans: 0 });
  });

  it('shutdown flushes everything buffered, then drops later spans', async () => {
    const exporter = new InMemoryExporter();
    const processor = new BatchSpanProcessor(exporter);
    const tracer = new TracedTracer({ service: 's', processor });
    endSpans(tracer, 1_234);
    await tracer.shutdown();
    expect(exporter.getFinishedSpans()).toHaveLength(1_234);
    tracer.startSpan('late').end();
    expect(processor.stats()).toMatchObject({ exportedSpans: 1_234, droppedSpans: 1, bufferedSpans: 0 });
  });

  it('gives up at the flush deadline on an exporter that never answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const exporter: SpanExporter = { export: () => new Promise(() => undefined), shutdown: async () => undefined };
    const processor = new BatchSpanProcessor(exporter, { flushTimeoutMs: 5_000, maxExportBatchSize: 10 });
    const tracer = new TracedTracer({ service: 's', processor });
    endSpans(tracer, 25);
    let resolved = false;
    void processor.shutdown().then(() => (resolved = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(resolved).toBe(true);
    expect(processor.stats()).toMatchObject({ bufferedSpans: 0, droppedSpans: 15 });
  });

  it("unrefs its schedule timer so it never keeps the process alive", () => {
    const timers: NodeJS.Timeout[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const timer = realSetTimeout(fn, ms);
      timers.push(timer);
      return timer;
    }) as typeof setTimeout);
    const processor = new BatchSpanProcessor(new InMemoryExporter());
    new TracedTracer({ service: 's', processor }).startSpan('x').end();
    expect(timers).toHaveLength(1);
    expect(timers[0]!.hasRef()).toBe(false);
    clearTimeout(timers[0]!);
  });
});
