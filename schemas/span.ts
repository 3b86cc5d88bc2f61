import Type, { type Static } from 'typebox';
import { Int64, SpanStatus, Uuid } from './common.js';

export const MAX_SPANS_PER_BATCH = 500;
export const MAX_TAGS_PER_SPAN = 50;
/** In characters (code points), as JSON Schema's maxLength counts; for every ingest path. */
export const MAX_TAG_KEY_LENGTH = 256;

export const Tags = Type.Unsafe<Record<string, string>>({
  type: 'object',
  maxProperties: MAX_TAGS_PER_SPAN,
  propertyNames: { maxLength: MAX_TAG_KEY_LENGTH },
  additionalProperties: { type: 'string', maxLength: 1024 },
});

export const Span = Type.Object({
  trace_id: Uuid,
  span_id: Uuid,
  parent_span_id: Type.Optional(Uuid),
  service: Type.String({ maxLength: 256 }),
  operation: Type.String({ maxLength: 256 }),
  start_time: Int64,
  end_time: Int64,
  status: SpanStatus,
  tags: Type.Optional(Tags),
});
/** A span as the JSON body holds it; times are doubles here, exact digits come separately. */
export type WireSpan = Static<typeof Span>;

export const IngestRequest = Type.Object({
  spans: Type.Array(Span, { minItems: 1, maxItems: MAX_SPANS_PER_BATCH }),
});
export type IngestRequest = Static<typeof IngestRequest>;

export const IngestResponse = Type.Object({
  status: Type.Unsafe<'ok'>({ type: 'string', enum: ['ok'] }),
  accepted: Type.Integer({ minimum: 0 }),
  discarded: Type.Integer({ minimum: 0 }),
});
export type IngestResponse = Static<typeof IngestResponse>;
