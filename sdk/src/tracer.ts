import { activeStoreSpan, isSuppressedSpan, withSpan } from './context.js';
import { isValidSpanId, isValidTraceId, RandomIdGenerator, type IdGenerator } from './ids.js';
import { MAX_SERVICE_LENGTH } from './limits.js';
import { MultiSpanProcessor, NoopSpanProcessor, type SpanProcessor } from './processor.js';
import {
  INVALID_SPAN_CONTEXT,
  NonRecordingSpan,
  RecordingSpan,
  TRACE_FLAG_SAMPLED,
  type Span,
  type SpanContext,
  type SpanKind,
} from './span.js';

export interface SpanOptions {
  readonly kind?: SpanKind;
  /**
   * Parent of the new span: omitted = the active span (if any); a Span or an extracted
   * SpanContext = that one; `null` = none, the span starts a new trace.
   */
  readonly parent?: Span | SpanContext | null;
  readonly tags?: Readonly<Record<string, unknown>>;
  /** Unix nanoseconds; defaults to now. */
  readonly startTimeNs?: bigint;
}

export interface Tracer {
  startSpan(name: string, options?: SpanOptions): Span;
  /**
   * Starts a span, makes it active for `fn` and everything `fn` starts (awaits, timers, callbacks)
   * and returns what `fn` returns. As in OpenTelemetry the span is NOT ended for you: end it in
   * `fn`, typically in a `finally`.
   */
  startActiveSpan<R>(name: string, fn: (span: Span) => R): R;
  startActiveSpan<R>(name: string, options: SpanOptions, fn: (span: Span) => R): R;
}

export interface TracerOptions {
  /** Written as `service` on every span (1-256 characters, the contract's limit). */
  readonly service: string;
  /** Where ended spans go. Several are allowed (e.g. batch export plus console tree). None = dropped. */
  readonly processor?: SpanProcessor;
  readonly processors?: readonly SpanProcessor[];
  readonly idGenerator?: IdGenerator;
}

/** The real tracer: records every span (no sampling) and hands it to its processors when it ends. */
export class TracedTracer implements Tracer {
  readonly service: string;
  private readonly processor: SpanProcessor;
  private readonly ids: IdGenerator;
  // Bound once so every span shares one closure instead of allocating its own.
  private readonly endListener = (span: RecordingSpan): void => {
    try {
      this.processor.onEnd(span);
    } catch {
      // Processors must not throw into span.end(), i.e. into application code.
    }
  };

  constructor(options: TracerOptions) {
    const service = options.service;
    if (typeof service !== 'string' || service.length === 0 || service.length > MAX_SERVICE_LENGTH) {
      throw new RangeError(`service must be 1-${MAX_SERVICE_LENGTH} characters`);
    }
    this.service = service;
    const processors = [...(options.processor ? [options.processor] : []), ...(options.processors ?? [])];
    this.processor =
      processors.length === 0 ? new NoopSpanProcessor() : processors.length === 1 ? processors[0]! : new MultiSpanProcessor(processors);
    this.ids = options.idGenerator ?? new RandomIdGenerator();
  }

  startSpan(name: string, options?: SpanOptions): Span {
    let parent: Span | SpanContext | undefined;
    if (options?.parent === undefined) {
      parent = activeStoreSpan();
      if (isSuppressedSpan(parent)) return parent as Span; // inside the SDK's own export work
    } else if (options.parent !== null) {
      parent = options.parent;
    }

    let parentContext: SpanContext | undefined;
    if (parent instanceof RecordingSpan) {
      parentContext = parent.spanContext(); // ids this SDK generated: known good
    } else if (parent !== undefined) {
      // A context from elsewhere (hand-built, another library): only well-formed W3C ids may
      // become this span's trace and parent, otherwise the span starts a new trace.
      parentContext = isSpan(parent) ? parent.spanContext() : parent;
      if (!isValidTraceId(parentContext.traceId) || !isValidSpanId(parentContext.spanId)) parentContext = undefined;
    }

    const spanId = this.ids.generateSpanId();
    const kind = options?.kind ?? 'internal';
    const startTimeNs = options?.startTimeNs;
    let context: SpanContext;
    if (parentContext === undefined) {
      context = { traceId: this.ids.generateTraceId(), spanId, traceFlags: TRACE_FLAG_SAMPLED };
    } else {
      // The child's context reuses the parent's traceId / traceState strings.
      const traceState = parentContext.traceState;
      context =
        traceState === undefined
          ? { traceId: parentContext.traceId, spanId, traceFlags: TRACE_FLAG_SAMPLED }
          : { traceId: parentContext.traceId, spanId, traceFlags: TRACE_FLAG_SAMPLED, traceState };
    }
    const span = new RecordingSpan({
      context,
      parentSpanId: parentContext?.spanId,
      parentTracedSpanId: parentContext?.tracedSpanId,
      parentIsRemote: parentContext?.isRemote === true,
      service: this.service,
      name: String(name),
      kind,
      startTimeNs,
      onEnd: this.endListener,
    });
    if (options?.tags !== undefined) span.setTags(options.tags);
    try {
      this.processor.onStart(span);
    } catch {
      // See endListener.
    }
    return span;
  }

  startActiveSpan<R>(name: string, fn: (span: Span) => R): R;
  startActiveSpan<R>(name: string, options: SpanOptions, fn: (span: Span) => R): R;
  startActiveSpan<R>(name: string, optionsOrFn: SpanOptions | ((span: Span) => R), maybeFn?: (span: Span) => R): R {
    return startActive(this, name, optionsOrFn, maybeFn);
  }

  /** Exports what is buffered in every processor. Resolves, never rejects. */
  forceFlush(): Promise<void> {
    return this.processor.forceFlush().catch(() => undefined);
  }

  /** Flushes and stops every processor; call once at exit. Resolves, never rejects. */
  shutdown(): Promise<void> {
    return this.processor.shutdown().catch(() => undefined);
  }
}

/**
 * Records nothing but keeps propagating: its spans carry the parent's context, so a service with
 * tracing switched off still passes `traceparent` through to the services it calls.
 */
export class NoopTracer implements Tracer {
  startSpan(_name: string, options?: SpanOptions): Span {
    const parent = options?.parent === undefined ? activeStoreSpan() : (options.parent ?? undefined);
    if (parent === undefined) return new NonRecordingSpan(INVALID_SPAN_CONTEXT);
    if (isSpan(parent)) return isSuppressedSpan(parent) ? parent : new NonRecordingSpan(parent.spanContext());
    return new NonRecordingSpan(parent);
  }

  startActiveSpan<R>(name: string, fn: (span: Span) => R): R;
  startActiveSpan<R>(name: string, options: SpanOptions, fn: (span: Span) => R): R;
  startActiveSpan<R>(name: string, optionsOrFn: SpanOptions | ((span: Span) => R), maybeFn?: (span: Span) => R): R {
    return startActive(this, name, optionsOrFn, maybeFn);
  }
}

/** startActiveSpan for any tracer: the span is active inside fn, which ends it (as in OpenTelemetry). */
function startActive<R>(
  tracer: Pick<Tracer, 'startSpan'>,
  name: string,
  optionsOrFn: SpanOptions | ((span: Span) => R),
  maybeFn: ((span: Span) => R) | undefined,
): R {
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (typeof fn !== 'function') throw new TypeError('startActiveSpan needs a function');
  const span = tracer.startSpan(name, typeof optionsOrFn === 'function' ? undefined : optionsOrFn);
  return withSpan(span, fn, span);
}

function isSpan(value: Span | SpanContext): value is Span {
  return typeof (value as Span).spanContext === 'function';
}
