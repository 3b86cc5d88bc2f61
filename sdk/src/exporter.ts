import { encodeSpan } from './serialize.js';
import type { ReadableSpan } from './span.js';

export type ExportResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

export const EXPORT_OK: ExportResult = Object.freeze({ ok: true });

/**
 * Sends finished spans somewhere. `export` should resolve rather than reject (processors also
 * catch), and must stop waiting promptly when `signal` aborts (shutdown deadline).
 */
export interface SpanExporter {
  export(spans: readonly ReadableSpan[], signal?: AbortSignal): Promise<ExportResult>;
  shutdown(): Promise<void>;
}

/** Keeps spans in memory: the test double, and a building block for custom tooling. */
export class InMemoryExporter implements SpanExporter {
  private spans: ReadableSpan[] = [];
  private stopped = false;

  export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    if (this.stopped) return Promise.resolve({ ok: false, error: new Error('exporter shut down') });
    for (const span of spans) this.spans.push(span);
    return Promise.resolve(EXPORT_OK);
  }

  getFinishedSpans(): readonly ReadableSpan[] {
    return this.spans;
  }

  reset(): void {
    this.spans = [];
  }

  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

/** Anything with a `write(string)`: process.stdout, a file stream, a test capture. */
export interface TextSink {
  write(chunk: string): unknown;
}

/** Writes each span as one line of its Traced wire JSON (the exact body `POST /spans` would get). */
export class ConsoleExporter implements SpanExporter {
  constructor(private readonly stream: TextSink = process.stdout) {}

  export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    let text = '';
    for (const span of spans) text += encodeSpan(span) + '\n';
    try {
      this.stream.write(text);
      return Promise.resolve(EXPORT_OK);
    } catch (error) {
      return Promise.resolve({ ok: false, error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
