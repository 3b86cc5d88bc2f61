/**
 * B3 propagation (openzipkin/b3-propagation), so that services instrumented with Zipkin clients
 * (zipkin-js, Brave, Envoy, Istio) and services using this SDK share traces. Two encodings:
 *
 *   single   b3: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]
 *   multi    X-B3-TraceId, X-B3-SpanId, X-B3-ParentSpanId, X-B3-Sampled, X-B3-Flags
 *
 * `extract` reads the single header first, then the multi headers (as OpenTelemetry's B3
 * propagator does); `inject` writes the encoding chosen at construction (single by default, the
 * one Zipkin recommends for new code).
 *
 * Ids: a 64-bit B3 trace id is left-padded to 128 bits (src/codec/zipkin-ids.ts, the collector's
 * own mapping), so the trace it names is the one the collector stores for the same Zipkin spans.
 * The parent span id of a B3 context is not needed (this process's span is a child of SpanId) and
 * is not written: the SpanContext does not hold it, and B3 makes it optional.
 *
 * Sampling: "1" or "d" (debug), X-B3-Sampled "1"/"true" or X-B3-Flags "1" → sampled; "0"/"false"
 * → not sampled; absent (the caller deferred the decision) → sampled, since this SDK records by
 * default and a deferred trace should not be lost. A `b3: 0` with no ids carries no context:
 * extract returns undefined.
 */
import { zipkinTraceIdToW3c } from '../../src/codec/zipkin-ids.js';
import { isValidSpanId, isValidTraceId } from './ids.js';
import { defaultGetter, defaultSetter, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from './propagation.js';
import { isSpanContextValid, TRACE_FLAG_SAMPLED, type SpanContext } from './span.js';

export const B3_SINGLE_HEADER = 'b3';
export const B3_TRACE_ID_HEADER = 'x-b3-traceid';
export const B3_SPAN_ID_HEADER = 'x-b3-spanid';
export const B3_PARENT_SPAN_ID_HEADER = 'x-b3-parentspanid';
export const B3_SAMPLED_HEADER = 'x-b3-sampled';
export const B3_FLAGS_HEADER = 'x-b3-flags';

export type B3InjectEncoding = 'single' | 'multi';

export interface B3PropagatorOptions {
  /** What inject writes: the single `b3` header (default) or the X-B3-* headers. */
  readonly injectEncoding?: B3InjectEncoding;
}

const SPAN_ID = /^[0-9a-fA-F]{16}$/;

function single(value: string | readonly string[] | null | undefined): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0].trim();
  return undefined;
}

/** Sampled (true), not (false), or malformed (undefined), for the sampling field of `b3`. */
function singleSampling(state: string | undefined): boolean | undefined {
  if (state === undefined || state === '1' || state === 'd') return true;
  if (state === '0') return false;
  return undefined;
}

function contextOf(traceIdText: string | undefined, spanIdText: string | undefined, sampled: boolean): SpanContext | undefined {
  if (traceIdText === undefined || spanIdText === undefined || !SPAN_ID.test(spanIdText)) return undefined;
  const traceId = zipkinTraceIdToW3c(traceIdText);
  const spanId = spanIdText.toLowerCase();
  if (traceId === undefined || !isValidSpanId(spanId)) return undefined;
  return { traceId, spanId, traceFlags: sampled ? TRACE_FLAG_SAMPLED : 0, isRemote: true };
}

/** `b3: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`; undefined when absent or malformed. */
export function parseB3Single(value: string | undefined): SpanContext | undefined {
  if (value === undefined || value === '') return undefined;
  const parts = value.split('-');
  if (parts.length < 2 || parts.length > 4) return undefined; // a lone sampling state carries no ids
  const sampled = singleSampling(parts[2]);
  if (sampled === undefined) return undefined;
  if (parts[3] !== undefined && (!SPAN_ID.test(parts[3]) || !isValidSpanId(parts[3].toLowerCase()))) return undefined;
  return contextOf(parts[0], parts[1], sampled);
}

function multiSampled(sampledHeader: string | undefined, flagsHeader: string | undefined): boolean | undefined {
  if (flagsHeader === '1') return true; // debug implies sampled
  if (sampledHeader === undefined) return true;
  const lower = sampledHeader.toLowerCase();
  if (lower === '1' || lower === 'true') return true;
  if (lower === '0' || lower === 'false') return false;
  return undefined;
}

export class B3Propagator implements TextMapPropagator {
  private readonly injectEncoding: B3InjectEncoding;

  constructor(options: B3PropagatorOptions = {}) {
    this.injectEncoding = options.injectEncoding ?? 'single';
  }

  inject<Carrier>(context: SpanContext, carrier: Carrier, setter: TextMapSetter<Carrier> = defaultSetter): void {
    if (!isSpanContextValid(context) || !isValidTraceId(context.traceId) || !isValidSpanId(context.spanId)) return;
    const sampled = (context.traceFlags & TRACE_FLAG_SAMPLED) !== 0 ? '1' : '0';
    if (this.injectEncoding === 'single') {
      setter.set(carrier, B3_SINGLE_HEADER, `${context.traceId}-${context.spanId}-${sampled}`);
      return;
    }
    setter.set(carrier, B3_TRACE_ID_HEADER, context.traceId);
    setter.set(carrier, B3_SPAN_ID_HEADER, context.spanId);
    setter.set(carrier, B3_SAMPLED_HEADER, sampled);
  }

  extract<Carrier>(carrier: Carrier, getter: TextMapGetter<Carrier> = defaultGetter): SpanContext | undefined {
    try {
      const fromSingle = parseB3Single(single(getter.get(carrier, B3_SINGLE_HEADER)));
      if (fromSingle !== undefined) return fromSingle;
      const sampled = multiSampled(single(getter.get(carrier, B3_SAMPLED_HEADER)), single(getter.get(carrier, B3_FLAGS_HEADER)));
      if (sampled === undefined) return undefined;
      return contextOf(single(getter.get(carrier, B3_TRACE_ID_HEADER)), single(getter.get(carrier, B3_SPAN_ID_HEADER)), sampled);
    } catch {
      return undefined; // a hostile carrier (throwing getter) must not break the request
    }
  }

  fields(): readonly string[] {
    return this.injectEncoding === 'single'
      ? [B3_SINGLE_HEADER]
      : [B3_TRACE_ID_HEADER, B3_SPAN_ID_HEADER, B3_PARENT_SPAN_ID_HEADER, B3_SAMPLED_HEADER, B3_FLAGS_HEADER];
  }
}
