import { suppressTracing } from './context.js';
import type { SpanExporter } from './exporter.js';
import type { ReadableSpan } from './span.js';

/**
 * Sees every span the tracer starts and ends. `onStart` / `onEnd` run inside application code
 * (span.end()), so they must be cheap and must not throw; the slow part belongs in an exporter
 * behind a processor that defers it.
 */
export interface SpanProcessor {
  onStart(span: ReadableSpan): void;
  onEnd(span: ReadableSpan): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export class NoopSpanProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface SimpleSpanProcessorStats {
  exportedSpans: number;
  failedSpans: number;
}

/**
 * Exports each span as it ends, one export call per span. For tests and debugging (with
 * InMemoryExporter / ConsoleExporter); use BatchSpanProcessor toward a collector.
 */
export class SimpleSpanProcessor implements SpanProcessor {
  private readonly pending = new Set<Promise<void>>();
  private readonly counters: SimpleSpanProcessorStats = { exportedSpans: 0, failedSpans: 0 };
  private stopped = false;

  constructor(private readonly exporter: SpanExporter) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped) {
      this.counters.failedSpans++;
      return;
    }
    const done = suppressTracing(() => this.exportOne(span));
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  stats(): Readonly<SimpleSpanProcessorStats> {
    return { ...this.counters };
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
    await this.exporter.shutdown().catch(() => undefined);
  }

  private async exportOne(span: ReadableSpan): Promise<void> {
    try {
      const result = await this.exporter.export([span]);
      if (result.ok) this.counters.exportedSpans++;
      else this.counters.failedSpans++;
    } catch {
      this.counters.failedSpans++;
    }
  }
}

/** Fans out to several processors; one throwing does not stop the others or reach the caller. */
export class MultiSpanProcessor implements SpanProcessor {
  constructor(private readonly processors: readonly SpanProcessor[]) {}

  onStart(span: ReadableSpan): void {
    for (const processor of this.processors) {
      try {
        processor.onStart(span);
      } catch {
        // A processor bug must not break the instrumented application.
      }
    }
  }

  onEnd(span: ReadableSpan): void {
    for (const processor of this.processors) {
      try {
        processor.onEnd(span);
      } catch {
        // As above.
      }
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush().catch(() => undefined)));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.shutdown().catch(() => undefined)));
  }
}
