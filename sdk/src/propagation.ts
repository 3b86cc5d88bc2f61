import { dashTraceId, isUuid, isValidSpanId, isValidTraceId, undashUuid } from './ids.js';
import { isSpanContextValid, TRACE_FLAG_SAMPLED, type SpanContext } from './span.js';

/** Reads a header from a carrier. Node's IncomingHttpHeaders may hold arrays for repeated headers. */
export interface TextMapGetter<Carrier> {
  get(carrier: Carrier, key: string): string | readonly string[] | null | undefined;
}

export interface TextMapSetter<Carrier> {
  set(carrier: Carrier, key: string, value: string): void;
}

/**
 * Moves a span context across a process boundary, as OpenTelemetry's TextMapPropagator does.
 * `extract` returns undefined for a missing or malformed context (the caller then starts a new
 * trace) and never throws; `inject` writes nothing for an invalid context.
 */
export interface TextMapPropagator {
  inject<Carrier>(context: SpanContext, carrier: Carrier, setter?: TextMapSetter<Carrier>): void;
  extract<Carrier>(carrier: Carrier, getter?: TextMapGetter<Carrier>): SpanContext | undefined;
  /** Header names this propagator reads or writes. */
  fields(): readonly string[];
}

/** A carrier the default getter/setter understand: a fetch `Headers` or a plain header record. */
export type HeaderCarrier = Headers | Record<string, string | readonly string[] | number | undefined>;

/**
 * Default getter: `Headers` (case-insensitive by itself) or a record. Node lowercases incoming
 * header names, so the exact key is tried first; a case-insensitive scan covers hand-made records.
 */
export const defaultGetter: TextMapGetter<unknown> = {
  get(carrier, key) {
    if (carrier === null || typeof carrier !== 'object') return undefined;
    if (typeof (carrier as Headers).get === 'function' && typeof (carrier as Headers).has === 'function') {
      return (carrier as Headers).get(key);
    }
    const record = carrier as Record<string, unknown>;
    let value = record[key];
    if (value === undefined) {
      for (const name of Object.keys(record)) {
        if (name.toLowerCase() === key) {
          value = record[name];
          break;
        }
      }
    }
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
    return undefined;
  },
};

export const defaultSetter: TextMapSetter<unknown> = {
  set(carrier, key, value) {
    if (carrier === null || typeof carrier !== 'object') return;
    if (typeof (carrier as Headers).set === 'function' && typeof (carrier as Headers).has === 'function') {
      (carrier as Headers).set(key, value);
    } else {
      (carrier as Record<string, string>)[key] = value;
    }
  },
};

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/**
 * version "-" trace-id "-" parent-id "-" trace-flags, lowercase hex only (W3C Trace Context,
 * HEXDIGLC). A future version may append "-" and more fields after the first four.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export interface ParsedTraceparent {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/**
 * Strict `traceparent` parse per W3C Trace Context level 1, section 3.2 / 4.3:
 * - exactly 55 characters for version 00 (nothing may follow the flags);
 * - version ff is invalid; a higher version is parsed by its first four fields, which need 55
 *   characters and, if more follow, a "-" right after the flags;
 * - lowercase hex only; all-zero trace id or parent id is invalid.
 * Optional whitespace around the value (RFC 9110 OWS) is not part of it and is ignored.
 * A repeated header (array) is invalid. Returns undefined, never throws.
 */
export function parseTraceparent(value: string | readonly string[] | null | undefined): ParsedTraceparent | undefined {
  if (typeof value !== 'string') {
    if (Array.isArray(value) && value.length === 1) return parseTraceparent(value[0]);
    return undefined;
  }
  const header = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (header.length < 55) return undefined;
  const match = TRACEPARENT.exec(header);
  if (match === null) return undefined;
  // Groups 1-4 are mandatory in TRACEPARENT, so a match has them; only the suffix may be absent.
  const version = match[1]!;
  const traceId = match[2]!;
  const spanId = match[3]!;
  const flags = match[4]!;
  const rest = match[5];
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

/** `traceparent` for a context, always version 00. */
export function formatTraceparent(context: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

// Header values may not contain control characters; fetch's Headers.set would throw on them.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** W3C Trace Context: `traceparent` in and out, `tracestate` passed through unchanged. */
export class W3CTraceContextPropagator implements TextMapPropagator {
  inject<Carrier>(context: SpanContext, carrier: Carrier, setter: TextMapSetter<Carrier> = defaultSetter): void {
    if (!isSpanContextValid(context) || !isValidTraceId(context.traceId) || !isValidSpanId(context.spanId)) return;
    setter.set(carrier, TRACEPARENT_HEADER, formatTraceparent(context));
    if (context.traceState !== undefined && context.traceState !== '') setter.set(carrier, TRACESTATE_HEADER, context.traceState);
  }

  extract<Carrier>(carrier: Carrier, getter: TextMapGetter<Carrier> = defaultGetter): SpanContext | undefined {
    try {
      const parsed = parseTraceparent(getter.get(carrier, TRACEPARENT_HEADER));
      if (parsed === undefined) return undefined; // and tracestate is then ignored, as the spec requires
      const traceState = readTraceState(getter.get(carrier, TRACESTATE_HEADER));
      return { ...parsed, isRemote: true, ...(traceState !== undefined && { traceState }) };
    } catch {
      return undefined; // a hostile carrier (throwing getter) must not break the request
    }
  }

  fields(): readonly string[] {
    return [TRACEPARENT_HEADER, TRACESTATE_HEADER];
  }
}

function readTraceState(value: string | readonly string[] | null | undefined): string | undefined {
  // Repeated tracestate headers are one list (RFC 9110 field combination); Node already joins them.
  const joined = typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;
  if (joined === undefined || joined === '' || !HEADER_VALUE.test(joined)) return undefined;
  return joined;
}

export const LEGACY_TRACE_ID_HEADER = 'x-trace-id';
export const LEGACY_SPAN_ID_HEADER = 'x-span-id';

/**
 * `X-Trace-ID` / `X-Span-ID` from older clients, extract only. Each may be a UUID (either case) or
 * bare hex (32 digits for the trace, 16 or 32 for the span). Both are required: a trace id alone
 * would make this service's span a second root in the caller's trace.
 *
 * A span UUID with a non-zero upper half has no 64-bit W3C form; the context keeps it verbatim in
 * `tracedSpanId` (children point at it exactly) and uses its non-zero half as `spanId`.
 */
export class LegacyTraceHeadersPropagator implements TextMapPropagator {
  inject(): void {}

  extract<Carrier>(carrier: Carrier, getter: TextMapGetter<Carrier> = defaultGetter): SpanContext | undefined {
    try {
      const traceId = legacyTraceId(single(getter.get(carrier, LEGACY_TRACE_ID_HEADER)));
      if (traceId === undefined) return undefined;
      const span = legacySpanId(single(getter.get(carrier, LEGACY_SPAN_ID_HEADER)));
      if (span === undefined) return undefined;
      return {
        traceId,
        spanId: span.spanId,
        traceFlags: TRACE_FLAG_SAMPLED,
        isRemote: true,
        ...(span.tracedSpanId !== undefined && { tracedSpanId: span.tracedSpanId }),
      };
    } catch {
      return undefined;
    }
  }

  fields(): readonly string[] {
    return [LEGACY_TRACE_ID_HEADER, LEGACY_SPAN_ID_HEADER];
  }
}

function single(value: string | readonly string[] | null | undefined): string | undefined {
  return typeof value === 'string' ? value.trim() : undefined;
}

const ANY_HEX16 = /^[0-9a-fA-F]{16}$/;
const ANY_HEX32 = /^[0-9a-fA-F]{32}$/;

function legacyTraceId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = isUuid(value) ? undashUuid(value) : ANY_HEX32.test(value) ? value : undefined;
  if (hex === undefined) return undefined;
  const lower = hex.toLowerCase();
  return isValidTraceId(lower) ? lower : undefined;
}

function legacySpanId(value: string | undefined): { spanId: string; tracedSpanId?: string } | undefined {
  if (value === undefined) return undefined;
  if (ANY_HEX16.test(value)) {
    const spanId = value.toLowerCase();
    return isValidSpanId(spanId) ? { spanId } : undefined;
  }
  const hex = isUuid(value) ? undashUuid(value).toLowerCase() : ANY_HEX32.test(value) ? value.toLowerCase() : undefined;
  if (hex === undefined) return undefined;
  const upper = hex.slice(0, 16);
  const lower = hex.slice(16);
  if (upper === '0000000000000000') return isValidSpanId(lower) ? { spanId: lower } : undefined;
  const tracedSpanId = dashTraceId(hex); // same 8-4-4-4-12 dashing as any 128-bit id
  return { spanId: isValidSpanId(lower) ? lower : upper, tracedSpanId };
}

/** Injects with every member; extracts with the first that finds a context (order = priority). */
export class CompositePropagator implements TextMapPropagator {
  constructor(private readonly propagators: readonly TextMapPropagator[]) {}

  inject<Carrier>(context: SpanContext, carrier: Carrier, setter?: TextMapSetter<Carrier>): void {
    for (const propagator of this.propagators) {
      try {
        propagator.inject(context, carrier, setter);
      } catch {
        // An outgoing call without trace headers beats a failed call.
      }
    }
  }

  extract<Carrier>(carrier: Carrier, getter?: TextMapGetter<Carrier>): SpanContext | undefined {
    for (const propagator of this.propagators) {
      const context = propagator.extract(carrier, getter);
      if (context !== undefined) return context;
    }
    return undefined;
  }

  fields(): readonly string[] {
    return this.propagators.flatMap((p) => p.fields());
  }
}

/** W3C first; legacy X-Trace-ID / X-Span-ID only when no valid traceparent is present. */
export const defaultPropagator: TextMapPropagator = new CompositePropagator([
  new W3CTraceContextPropagator(),
  new LegacyTraceHeadersPropagator(),
]);
