// Tracer and spans
export { TracedTracer, NoopTracer, type Tracer, type TracerOptions, type SpanOptions } from './tracer.js';
export {
  NonRecordingSpan,
  INVALID_SPAN_CONTEXT,
  TRACE_FLAG_SAMPLED,
  isSpanContextValid,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type ReadableSpan,
} from './span.js';
export { getActiveSpan, withSpan, suppressTracing, isTracingSuppressed, bindEmitterToSpan } from './context.js';
export { nowNs } from './clock.js';

// Ids and the W3C <-> Traced mapping (shared with the collector's OTLP ingest and the dashboard)
export {
  traceIdToUuid,
  uuidToTraceId,
  spanIdToUuid,
  uuidToSpanId,
  traceIdBytesToUuid,
  spanIdBytesToUuid,
  isValidTraceId,
  isValidSpanId,
  isUuid,
  RandomIdGenerator,
  type IdGenerator,
} from './ids.js';

// Propagation
export {
  W3CTraceContextPropagator,
  LegacyTraceHeadersPropagator,
  CompositePropagator,
  defaultPropagator,
  defaultGetter,
  defaultSetter,
  parseTraceparent,
  formatTraceparent,
  type TextMapPropagator,
  type TextMapGetter,
  type TextMapSetter,
  type ParsedTraceparent,
} from './propagation.js';
export { B3Propagator, parseB3Single, type B3PropagatorOptions, type B3InjectEncoding } from './b3-propagation.js';

// Instrumentation
export { wrapRequestListener, type HttpServerInstrumentationOptions } from './http-server.js';
export { tracedFastifyPlugin, getRequestSpan, type TracedFastifyOptions } from './fastify.js';
export { instrumentFetch, unwrapFetch, type InstrumentFetchOptions } from './fetch.js';
export { pinoTraceMixin, type PinoTraceMixinOptions } from './pino.js';
export { TracedLogShipper, nanosecondTimestamp, type TracedLogShipperOptions, type TracedLogShipperStats } from './log-shipper.js';

// Processing and export
export {
  SimpleSpanProcessor,
  MultiSpanProcessor,
  NoopSpanProcessor,
  type SpanProcessor,
  type SimpleSpanProcessorStats,
} from './processor.js';
export { BatchSpanProcessor, type BatchSpanProcessorOptions, type BatchSpanProcessorStats } from './batch-processor.js';
export { InMemoryExporter, ConsoleExporter, EXPORT_OK, type SpanExporter, type ExportResult, type TextSink } from './exporter.js';
export { TracedHttpExporter, type TracedHttpExporterOptions, type TracedHttpExporterStats } from './http-exporter.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export { ConsoleTraceReporter, renderTraceTree, type ConsoleTraceReporterOptions } from './console-reporter.js';
export { encodeSpan, encodeIngestRequest } from './serialize.js';
