import { nowNs } from './clock.js';
import { dashSpanId, dashTraceId } from './ids.js';
import { MAX_OPERATION_LENGTH, MAX_TAG_KEY_LENGTH, MAX_TAGS, MAX_TAG_VALUE_LENGTH, truncate } from './limits.js';

export type SpanStatus = 'ok' | 'error';

/** As in OpenTelemetry. Server and client spans carry it as the `span.kind` tag (Traced has no field). */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** Sampled flag of W3C `trace-flags`. This SDK records every span and always sets it. */
export const TRACE_FLAG_SAMPLED = 0x01;

/**
 * What crosses process boundaries: the W3C form of a span's identity.
 * `traceId` is 32 lowercase hex, `spanId` 16 lowercase hex (see ids.ts for the Traced form).
 */
export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  /** W3C `tracestate`, carried unchanged from the incoming request to children and outgoing calls. */
  readonly traceState?: string;
  /** True when the context was extracted from another process. */
  readonly isRemote?: boolean;
  /**
   * The span's Traced UUID when it is not `spanIdToUuid(spanId)`: a legacy `X-Span-ID` that is a
   * full random UUID. Children use it as their `parent_span_id` so the link stays exact.
   */
  readonly tracedSpanId?: string;
}

/** The context of "no span": propagates nothing. */
export const INVALID_SPAN_CONTEXT: SpanContext = Object.freeze({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
});

export function isSpanContextValid(ctx: SpanContext): boolean {
  return ctx.traceId !== INVALID_SPAN_CONTEXT.traceId && ctx.spanId !== INVALID_SPAN_CONTEXT.spanId;
}

/** The handle application code holds. Every method is safe to call after `end()` (a no-op then). */
export interface Span {
  spanContext(): SpanContext;
  /** Values are stringified (objects as JSON) and cut to the contract's 1024 characters. */
  setTag(key: string, value: unknown): this;
  setTags(tags: Readonly<Record<string, unknown>>): this;
  setStatus(status: SpanStatus): this;
  /** Sets status error and the `exception.type` / `exception.message` tags. */
  recordException(error: unknown): this;
  updateName(name: string): this;
  /** Idempotent: only the first call counts. `endTimeNs` defaults to now. */
  end(endTimeNs?: bigint): void;
  /** False once ended, and always for non-recording spans. */
  isRecording(): boolean;
}

/**
 * What processors and exporters receive once a span has ended. Ids here are in the Traced UUID
 * form, ready for the wire; times are exact Unix nanoseconds.
 */
export interface ReadableSpan {
  readonly traceUuid: string;
  readonly spanUuid: string;
  /** Undefined on a trace's root. */
  readonly parentSpanUuid: string | undefined;
  /** True when the parent lives in another process: this span is then a local root. */
  readonly parentIsRemote: boolean;
  readonly service: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTimeNs: bigint;
  /** Equal to `startTimeNs` until the span ends. */
  readonly endTimeNs: bigint;
  readonly status: SpanStatus;
  readonly tags: Readonly<Record<string, string>>;
  readonly ended: boolean;
}

/** A span with no recording and no parent in a trace of its own: parent links, remote contexts. */
export class NonRecordingSpan implements Span {
  constructor(private readonly context: SpanContext = INVALID_SPAN_CONTEXT) {}
  spanContext(): SpanContext {
    return this.context;
  }
  setTag(): this {
    return this;
  }
  setTags(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  recordException(): this {
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {}
  isRecording(): boolean {
    return false;
  }
}

/** Called once per span, from `end()`. The tracer routes it to its processors. */
export type SpanEndListener = (span: RecordingSpan) => void;

export interface RecordingSpanInit {
  /** Shares the parent's traceId / traceState strings: a child allocates only its own span id. */
  readonly context: SpanContext;
  /** The parent's W3C span id, or undefined for a trace root. */
  readonly parentSpanId: string | undefined;
  /** The parent's Traced UUID when it is not derivable from `parentSpanId` (legacy full UUID). */
  readonly parentTracedSpanId: string | undefined;
  readonly parentIsRemote: boolean;
  readonly service: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTimeNs: bigint | undefined;
  readonly onEnd: SpanEndListener;
}

/**
 * The real span. It is both the application's handle and, once ended, the record processors
 * export, so ending a span allocates nothing beyond what setTag already stored.
 *
 * Memory, because up to 50,000 of these wait in the export buffer while a collector is down:
 * the Traced UUIDs are derived on read (each is a few string slices) instead of stored, ids are
 * shared with the parent where possible, and tags live in an ordinary object so spans tagged
 * alike share one hidden class (a null-prototype object would be a per-span hash table). Together
 * that took a server span with four tags from about 920 to about 360 bytes of heap.
 */
export class RecordingSpan implements Span, ReadableSpan {
  readonly parentIsRemote: boolean;
  readonly service: string;
  readonly kind: SpanKind;
  readonly startTimeNs: bigint;
  name: string;
  endTimeNs: bigint;
  status: SpanStatus = 'ok';
  ended = false;
  readonly tags: Record<string, string> = {};
  private tagCount = 0;
  private readonly context: SpanContext;
  private readonly parentSpanId: string | undefined;
  private readonly parentTracedSpanId: string | undefined;
  private readonly onEnd: SpanEndListener;

  constructor(init: RecordingSpanInit) {
    this.context = init.context;
    this.parentSpanId = init.parentSpanId;
    this.parentTracedSpanId = init.parentTracedSpanId;
    this.parentIsRemote = init.parentIsRemote;
    this.service = init.service;
    this.name = truncate(init.name, MAX_OPERATION_LENGTH);
    this.kind = init.kind;
    this.startTimeNs = init.startTimeNs ?? nowNs();
    this.endTimeNs = this.startTimeNs;
    this.onEnd = init.onEnd;
    if (init.kind !== 'internal') this.setTag('span.kind', init.kind);
  }

  get traceUuid(): string {
    return dashTraceId(this.context.traceId);
  }

  get spanUuid(): string {
    return dashSpanId(this.context.spanId);
  }

  get parentSpanUuid(): string | undefined {
    if (this.parentTracedSpanId !== undefined) return this.parentTracedSpanId;
    return this.parentSpanId === undefined ? undefined : dashSpanId(this.parentSpanId);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setTag(key: string, value: unknown): this {
    if (this.ended || key.length > MAX_TAG_KEY_LENGTH) return this;
    const tags = this.tags;
    // Own tags are always strings; anything else found here (undefined, or an inherited
    // Object.prototype member for keys like "constructor") means the key is new.
    if (typeof tags[key] !== 'string') {
      // Past the contract's 50 tags the whole batch would be rejected; drop the new key instead.
      if (this.tagCount >= MAX_TAGS) return this;
      this.tagCount++;
    }
    const text = truncate(stringifyTagValue(value), MAX_TAG_VALUE_LENGTH);
    // On an ordinary object, assigning "__proto__" would change the prototype, not store a tag.
    if (key === '__proto__') Object.defineProperty(tags, key, { value: text, enumerable: true, writable: true, configurable: true });
    else tags[key] = text;
    return this;
  }

  setTags(tags: Readonly<Record<string, unknown>>): this {
    for (const key of Object.keys(tags)) this.setTag(key, tags[key]);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.ended && (status === 'ok' || status === 'error')) this.status = status;
    return this;
  }

  recordException(error: unknown): this {
    if (this.ended) return this;
    this.status = 'error';
    this.setTag('exception.type', exceptionType(error));
    this.setTag('exception.message', exceptionMessage(error));
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = truncate(String(name), MAX_OPERATION_LENGTH);
    return this;
  }

  end(endTimeNs?: bigint): void {
    if (this.ended) return;
    this.ended = true;
    const end = endTimeNs ?? nowNs();
    // The contract requires end_time >= start_time.
    this.endTimeNs = end < this.startTimeNs ? this.startTimeNs : end;
    this.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }
}

export function stringifyTagValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object' || value instanceof Error) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // cycles, BigInt inside objects
  }
}

function exceptionType(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name || 'Error';
  if (error !== null && typeof error === 'object') {
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
    return (error as object).constructor?.name ?? 'Object';
  }
  return typeof error;
}

function exceptionMessage(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return stringifyTagValue(error);
}
