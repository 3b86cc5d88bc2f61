import { formatNsAsMs } from './clock.js';
import type { TextSink } from './exporter.js';
import type { SpanProcessor } from './processor.js';
import type { ReadableSpan } from './span.js';

export interface ConsoleTraceReporterOptions {
  /** Where trees go; default process.stdout. One write() per tree, so trees never interleave. */
  readonly stream?: TextSink;
  /** Traces held while waiting for their local root; the least recently touched goes first. Default 1,000. */
  readonly maxTraces?: number;
  /** Spans held per trace. Default 1,000. */
  readonly maxSpansPerTrace?: number;
}

/**
 * A processor for development: when a trace's local root ends (a span without parent, or whose
 * parent is in another process), prints the spans below it as an indented tree:
 *
 *   trace 4bf92f35-77b3-4da6-a3ce-929d0e0e4736
 *   checkout GET /orders  +0.000ms  12.345ms
 *     checkout GET http://127.0.0.1:4001/stock  +1.200ms  8.000ms
 *       inventory GET /stock  +2.000ms  5.000ms  ✗ error
 *
 * Columns: service, operation, start offset from the printed root, duration; `✗ error` marks
 * spans with status error. Spans that end after their root are not printed. When two services run
 * in one process, the callee's subtree is printed when it ends, and again inside the caller's tree.
 */
export class ConsoleTraceReporter implements SpanProcessor {
  private readonly stream: TextSink;
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;
  /** Map iteration order is insertion order; re-inserting on touch makes it an LRU. */
  private readonly traces = new Map<string, ReadableSpan[]>();

  constructor(options: ConsoleTraceReporterOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.maxTraces = options.maxTraces ?? 1_000;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? 1_000;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    let spans = this.traces.get(span.traceUuid);
    if (spans === undefined) {
      spans = [];
      if (this.traces.size >= this.maxTraces) {
        const oldest = this.traces.keys().next().value;
        if (oldest !== undefined) this.traces.delete(oldest);
      }
    } else {
      this.traces.delete(span.traceUuid);
    }
    this.traces.set(span.traceUuid, spans);
    if (spans.length < this.maxSpansPerTrace) spans.push(span);

    const isLocalRoot = span.parentSpanUuid === undefined || span.parentIsRemote;
    if (!isLocalRoot) return;
    try {
      this.stream.write(renderTraceTree(span, spans));
    } catch {
      // A closed stream must not break the application.
    }
    // A true root ends its trace here; a remote-parented one may still be printed by an
    // in-process caller (two services in one process), so keep its spans until evicted.
    if (span.parentSpanUuid === undefined) this.traces.delete(span.traceUuid);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.traces.clear();
    return Promise.resolve();
  }
}

/** The tree under `root` among `spans`, children ordered by start time. Exported for tests and tools. */
export function renderTraceTree(root: ReadableSpan, spans: readonly ReadableSpan[]): string {
  const children = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    if (span.parentSpanUuid === undefined || span === root) continue;
    const siblings = children.get(span.parentSpanUuid);
    if (siblings === undefined) children.set(span.parentSpanUuid, [span]);
    else siblings.push(span);
  }
  for (const siblings of children.values()) {
    siblings.sort((a, b) => (a.startTimeNs < b.startTimeNs ? -1 : a.startTimeNs > b.startTimeNs ? 1 : 0));
  }

  let out = `trace ${root.traceUuid}\n`;
  const visited = new Set<ReadableSpan>();
  const visit = (span: ReadableSpan, depth: number): void => {
    if (visited.has(span)) return; // a duplicated span id must not loop forever
    visited.add(span);
    const offset = span.startTimeNs - root.startTimeNs;
    const duration = span.endTimeNs - span.startTimeNs;
    out +=
      `${'  '.repeat(depth)}${span.service} ${span.name}  ${offset < 0n ? '' : '+'}${formatNsAsMs(offset)}ms` +
      `  ${formatNsAsMs(duration)}ms${span.status === 'error' ? '  ✗ error' : ''}\n`;
    for (const child of children.get(span.spanUuid) ?? []) visit(child, depth + 1);
  };
  visit(root, 0);
  return out;
}
