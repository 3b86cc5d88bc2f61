import { getActiveSpan } from './context.js';
import { dashSpanId, dashTraceId } from './ids.js';
import { isSpanContextValid, RecordingSpan } from './span.js';

export interface PinoTraceMixinOptions {
  /** Field names; default `trace_id` / `span_id`, the names the Traced API and dashboard use. */
  readonly traceIdKey?: string;
  readonly spanIdKey?: string;
}

const NO_FIELDS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * For pino's `mixin` option: adds the active span's `trace_id` and `span_id`, in the Traced UUID
 * form so they paste straight into the dashboard, to every line logged inside a span. Lines logged
 * outside any span get nothing. pino is not imported; this is a plain function.
 *
 *   const log = pino({ mixin: pinoTraceMixin() });
 */
export function pinoTraceMixin(options: PinoTraceMixinOptions = {}): () => Record<string, string> {
  const traceIdKey = options.traceIdKey ?? 'trace_id';
  const spanIdKey = options.spanIdKey ?? 'span_id';
  return function traceMixin(): Record<string, string> {
    const span = getActiveSpan();
    if (span === undefined) return NO_FIELDS;
    // A recording span already holds its UUIDs; only a bare remote context needs dashing.
    if (span instanceof RecordingSpan) return { [traceIdKey]: span.traceUuid, [spanIdKey]: span.spanUuid };
    const context = span.spanContext();
    if (!isSpanContextValid(context)) return NO_FIELDS;
    return { [traceIdKey]: dashTraceId(context.traceId), [spanIdKey]: context.tracedSpanId ?? dashSpanId(context.spanId) };
  };
}
