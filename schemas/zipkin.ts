// TypeBox mirrors of the Zipkin v2 components in openapi.yaml (POST /api/v2/spans and the
// /api/v2 read API). The request schema is the Zipkin v2 JSON span as zipkin-js, Brave and Envoy
// write it, with the collector's limits added; POST /api/v2/spans validates bodies against it.
// test/http/openapi-drift-components.test.ts keeps these and the YAML equal.
import Type, { type Static } from 'typebox';
import { MAX_TAG_KEY_LENGTH } from './span.js';

/** 16 or 32 hex digits: a 64- or 128-bit trace id. */
export const ZIPKIN_TRACE_ID_PATTERN = '^([0-9a-fA-F]{16}|[0-9a-fA-F]{32})$';
/** 16 hex digits: a 64-bit span id. */
export const ZIPKIN_SPAN_ID_PATTERN = '^[0-9a-fA-F]{16}$';
/**
 * Microseconds are read as JSON numbers: integers up to 2^53 − 1 are exact in a double, which
 * covers every epoch-µs timestamp until the year 2255; ×1000 to ns is then done in BigInt.
 */
export const MAX_EXACT_MICROS = Number.MAX_SAFE_INTEGER;

export const ZipkinEndpoint = Type.Object({
  serviceName: Type.Optional(Type.String()),
  ipv4: Type.Optional(Type.String()),
  ipv6: Type.Optional(Type.String()),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
});
export type ZipkinEndpoint = Static<typeof ZipkinEndpoint>;

export const ZipkinAnnotation = Type.Object({
  timestamp: Type.Integer({ minimum: 0, maximum: MAX_EXACT_MICROS }),
  value: Type.String(),
});
export type ZipkinAnnotation = Static<typeof ZipkinAnnotation>;

export const ZipkinKind = Type.Unsafe<'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER'>({
  type: 'string',
  enum: ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'],
});

export const ZipkinSpan = Type.Object({
  traceId: Type.String({ pattern: ZIPKIN_TRACE_ID_PATTERN }),
  id: Type.String({ pattern: ZIPKIN_SPAN_ID_PATTERN }),
  parentId: Type.Optional(Type.String({ pattern: ZIPKIN_SPAN_ID_PATTERN })),
  name: Type.Optional(Type.String()),
  kind: Type.Optional(ZipkinKind),
  timestamp: Type.Integer({ minimum: 0, maximum: MAX_EXACT_MICROS }),
  duration: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_EXACT_MICROS })),
  debug: Type.Optional(Type.Boolean()),
  shared: Type.Optional(Type.Boolean()),
  localEndpoint: Type.Optional(ZipkinEndpoint),
  remoteEndpoint: Type.Optional(ZipkinEndpoint),
  annotations: Type.Optional(Type.Array(ZipkinAnnotation)),
  tags: Type.Optional(
    Type.Unsafe<Record<string, string>>({
      type: 'object',
      propertyNames: { maxLength: MAX_TAG_KEY_LENGTH },
      additionalProperties: { type: 'string' },
    }),
  ),
});
export type ZipkinSpan = Static<typeof ZipkinSpan>;

/** The body of POST /api/v2/spans (Zipkin's ListOfSpans); the span cap is checked before it. */
export const ZipkinListOfSpans = Type.Array(ZipkinSpan);

export const ZipkinDependencyLink = Type.Object({
  parent: Type.String(),
  child: Type.String(),
  callCount: Type.Integer({ minimum: 0 }),
  errorCount: Type.Integer({ minimum: 0 }),
});
export type ZipkinDependencyLink = Static<typeof ZipkinDependencyLink>;

// Query parameters of the read API (coerced from text: limit=10 → 10).
const Millis = Type.Integer({ minimum: 0, maximum: MAX_EXACT_MICROS });

export const ZipkinServiceQuery = Type.Object({ serviceName: Type.String({ minLength: 1 }) });
export type ZipkinServiceQuery = Static<typeof ZipkinServiceQuery>;

export const ZipkinTracesQuery = Type.Object({
  serviceName: Type.Optional(Type.String()),
  spanName: Type.Optional(Type.String()),
  annotationQuery: Type.Optional(Type.String()),
  minDuration: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_EXACT_MICROS })),
  maxDuration: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_EXACT_MICROS })),
  endTs: Type.Optional(Millis),
  lookback: Type.Optional(Millis),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
});
export type ZipkinTracesQuery = Static<typeof ZipkinTracesQuery>;

export const ZipkinTraceParams = Type.Object({ traceId: Type.String({ pattern: ZIPKIN_TRACE_ID_PATTERN }) });
export type ZipkinTraceParams = Static<typeof ZipkinTraceParams>;

export const ZipkinTraceManyQuery = Type.Object({ traceIds: Type.String({ minLength: 1 }) });
export type ZipkinTraceManyQuery = Static<typeof ZipkinTraceManyQuery>;

export const ZipkinDependenciesQuery = Type.Object({ endTs: Millis, lookback: Type.Optional(Millis) });
export type ZipkinDependenciesQuery = Static<typeof ZipkinDependenciesQuery>;
