// openapi.yaml is the single source of truth; the TypeBox schemas in schemas/ mirror its
// components. These tests hold every component schema (spans and traces, statistics, and the log
// and OTLP extensions) equal to its mirror, check that the YAML states the limits the code
// enforces, and prove on mutated copies that the comparison notices a change on either side.
// Query and path parameters are in openapi-drift-parameters.test.ts.

import { describe, expect, it } from 'vitest';
import * as schemas from '../../schemas/index.js';
import * as internalSchemas from '../../schemas/internal.js';
import * as logSchemas from '../../schemas/logs.js';
import * as otlpSchemas from '../../schemas/otlp.js';
import * as zipkinSchemas from '../../schemas/zipkin.js';
import { derefSchema, type JsonObject } from '../support/http.js';
import { clone, compareSchemas, componentSchemas, doc, plain, tracesGet } from '../support/schema-drift.js';

const PAIRS: Array<[string, unknown]> = [
  ['Span', schemas.Span],
  ['TraceSummary', schemas.TraceSummary],
  ['IngestRequest', schemas.IngestRequest],
  ['TraceListResponse', schemas.TraceListResponse],
  ['TraceDetailResponse', schemas.TraceDetailResponse],
  ['TraceSpan', schemas.TraceSpan],
  ['IngestResponse', schemas.IngestResponse],
  ['ServiceLatency', schemas.ServiceLatency],
  ['ServiceListResponse', schemas.ServiceListResponse],
  ['OperationLatency', schemas.OperationLatency],
  ['OperationListResponse', schemas.OperationListResponse],
  ['StatsResponse', schemas.StatsResponse],
  ['DependencyEdge', schemas.DependencyEdge],
  ['DependencyGraphResponse', schemas.DependencyGraphResponse],
  ['StatusResponse', schemas.StatusResponse],
  ['ReplayingResponse', schemas.ReplayingResponse],
  ['HealthResponse', schemas.HealthResponse],
  ['ClusterView', schemas.ClusterView],
  ['Error', schemas.ErrorBody],
  // Extensions: logs (POST /logs, GET /traces/{trace_id}/logs) and OTLP (POST /v1/traces, /v1/logs).
  ['LogRecord', logSchemas.LogRecord],
  ['LogIngestRequest', logSchemas.LogIngestRequest],
  ['LogIngestResponse', logSchemas.LogIngestResponse],
  ['TraceLogsResponse', logSchemas.TraceLogsResponse],
  ['OtlpAnyValue', otlpSchemas.OtlpAnyValue],
  ['OtlpKeyValue', otlpSchemas.OtlpKeyValue],
  ['OtlpSpan', otlpSchemas.OtlpSpan],
  ['OtlpExportTraceServiceRequest', otlpSchemas.OtlpExportTraceServiceRequest],
  ['OtlpExportTraceServiceResponse', otlpSchemas.OtlpExportTraceServiceResponse],
  ['OtlpLogRecord', otlpSchemas.OtlpLogRecord],
  ['OtlpExportLogsServiceRequest', otlpSchemas.OtlpExportLogsServiceRequest],
  ['OtlpExportLogsServiceResponse', otlpSchemas.OtlpExportLogsServiceResponse],
  ['OtlpStatus', otlpSchemas.OtlpStatus],
  // Zipkin v2 (POST /api/v2/spans and the /api/v2 read API).
  ['ZipkinEndpoint', zipkinSchemas.ZipkinEndpoint],
  ['ZipkinAnnotation', zipkinSchemas.ZipkinAnnotation],
  ['ZipkinSpan', zipkinSchemas.ZipkinSpan],
  ['ZipkinDependencyLink', zipkinSchemas.ZipkinDependencyLink],
  // The internal query routes collectors answering together ask each other (/internal/v1/...).
  ['InternalNs', internalSchemas.NsString],
  ['InternalBehind', internalSchemas.Behind],
  ['InternalTraceSummary', internalSchemas.InternalTraceSummary],
  ['InternalTraceList', internalSchemas.InternalTraceList],
  ['InternalTraceSpan', internalSchemas.InternalTraceSpan],
  ['InternalTraceDetail', internalSchemas.InternalTraceDetail],
  ['InternalTraceResponse', internalSchemas.InternalTraceResponse],
  ['InternalLatencyStats', internalSchemas.InternalLatencyStats],
  ['InternalLatencyReport', internalSchemas.InternalLatencyReport],
  ['InternalDependencyReport', internalSchemas.InternalDependencyReport],
  ['InternalStoreStats', internalSchemas.InternalStoreStats],
];

describe('openapi.yaml ↔ TypeBox schemas', () => {
  it.each(PAIRS)('component %s matches its TypeBox mirror', (name, typebox) => {
    const yamlSchema = componentSchemas[name];
    expect(yamlSchema, `components.schemas.${name} exists`).toBeDefined();
    expect(compareSchemas(name, yamlSchema!, doc, plain(typebox))).toEqual([]);
  });

  it('every component schema in openapi.yaml has a TypeBox mirror under test', () => {
    expect(Object.keys(componentSchemas).sort()).toEqual(PAIRS.map(([n]) => n).sort());
  });

  it('the YAML states the log limits the code enforces', () => {
    const logs = ((componentSchemas.LogIngestRequest as JsonObject).properties as JsonObject).logs as JsonObject;
    expect(logs.maxItems).toBe(logSchemas.MAX_LOGS_PER_BATCH);
    const record = (componentSchemas.LogRecord as JsonObject).properties as JsonObject;
    expect((record.attributes as JsonObject).maxProperties).toBe(logSchemas.MAX_LOG_ATTRIBUTES);
    expect((record.message as JsonObject).maxLength).toBe(logSchemas.MAX_LOG_MESSAGE_LENGTH);
    expect((record.level as JsonObject).enum).toEqual([...logSchemas.LOG_LEVELS]);
  });

  it('notices a change to a log or OTLP component', () => {
    const record = plain(logSchemas.LogRecord) as JsonObject;
    delete ((record.properties as JsonObject).message as JsonObject).maxLength;
    expect(compareSchemas('LogRecord', componentSchemas.LogRecord!, doc, record).join('\n')).toMatch(/LogRecord\.properties\.message\.maxLength/);
    const status = plain(otlpSchemas.OtlpStatus) as JsonObject;
    status.required = ['message'];
    expect(compareSchemas('OtlpStatus', componentSchemas.OtlpStatus!, doc, status).join('\n')).toMatch(/OtlpStatus\.required/);
    const response = clone(componentSchemas.OtlpExportTraceServiceResponse!) as JsonObject;
    (((response.properties as JsonObject).partialSuccess as JsonObject).properties as JsonObject).rejectedSpans = { type: 'integer' };
    expect(compareSchemas('OtlpExportTraceServiceResponse', response, doc, plain(otlpSchemas.OtlpExportTraceServiceResponse)).join('\n')).toMatch(
      /partialSuccess\.properties\.rejectedSpans\.type/,
    );
  });

  it('the YAML states the limits the code enforces', () => {
    const span = derefSchema(doc, componentSchemas.IngestRequest!) as JsonObject;
    const spans = (span.properties as JsonObject).spans as JsonObject;
    expect(spans.maxItems).toBe(schemas.MAX_SPANS_PER_BATCH);
    const tags = ((componentSchemas.Span as JsonObject).properties as JsonObject).tags as JsonObject;
    expect(tags.maxProperties).toBe(schemas.MAX_TAGS_PER_SPAN);
    // Tag keys: every ingest path holds them to one limit (span tags, log attributes, OTLP keys).
    expect((tags.propertyNames as JsonObject).maxLength).toBe(schemas.MAX_TAG_KEY_LENGTH);
    const logAttributes = ((componentSchemas.LogRecord as JsonObject).properties as JsonObject).attributes as JsonObject;
    expect((logAttributes.propertyNames as JsonObject).maxLength).toBe(schemas.MAX_TAG_KEY_LENGTH);
    const otlpKey = ((componentSchemas.OtlpKeyValue as JsonObject).properties as JsonObject).key as JsonObject;
    expect(otlpKey.maxLength).toBe(schemas.MAX_TAG_KEY_LENGTH);
    const limit = (tracesGet(doc).parameters as JsonObject[]).find((p) => p.name === 'limit')!.schema as JsonObject;
    expect(limit.maximum).toBe(schemas.MAX_LIST_LIMIT);
  });
});

describe('the drift comparison notices changes on either side', () => {
  const yamlSpan = componentSchemas.Span!;
  const tbSpan = plain(schemas.Span) as JsonObject;

  type Mutation = [string, (yamlCopy: JsonObject, tbCopy: JsonObject) => void, RegExp];
  const spanMutations: Mutation[] = [
    ['TypeBox Span loses service.maxLength', (_y, t) => delete ((t.properties as JsonObject).service as JsonObject).maxLength, /Span\.properties\.service\.maxLength/],
    ['YAML Span loses service.maxLength', (y) => delete ((y.properties as JsonObject).service as JsonObject).maxLength, /Span\.properties\.service\.maxLength/],
    ['TypeBox Span changes the status enum', (_y, t) => (((t.properties as JsonObject).status as JsonObject).enum = ['ok']), /Span\.properties\.status\.enum/],
    ['YAML Span adds a status value', (y) => (((y.properties as JsonObject).status as JsonObject).enum = ['ok', 'error', 'unset']), /Span\.properties\.status\.enum/],
    ['TypeBox Span drops a required field', (_y, t) => (t.required = (t.required as string[]).filter((r) => r !== 'status')), /Span\.required/],
    ['YAML Span makes parent_span_id required', (y) => (y.required as string[]).push('parent_span_id'), /Span\.required/],
    ['TypeBox Span changes start_time format', (_y, t) => (((t.properties as JsonObject).start_time as JsonObject).format = 'int32'), /Span\.properties\.start_time\.format/],
    ['YAML Span changes a type', (y) => (((y.properties as JsonObject).service as JsonObject).type = 'integer'), /Span\.properties\.service\.type/],
    ['TypeBox Span tag values lose maxLength', (_y, t) => delete (((t.properties as JsonObject).tags as JsonObject).additionalProperties as JsonObject).maxLength, /Span\.properties\.tags\.additionalProperties\.maxLength/],
    ['TypeBox Span tag keys lose maxLength', (_y, t) => delete ((((t.properties as JsonObject).tags as JsonObject).propertyNames as JsonObject).maxLength), /Span\.properties\.tags\.propertyNames\.maxLength/],
    ['YAML Span changes tags.maxProperties', (y) => (((y.properties as JsonObject).tags as JsonObject).maxProperties = 51), /Span\.properties\.tags\.maxProperties/],
    ['TypeBox Span gains a property', (_y, t) => ((t.properties as JsonObject).kind = { type: 'string' }), /Span\.properties\.kind/],
    ['YAML Span forbids additional properties', (y) => (y.additionalProperties = false), /Span\.additionalProperties/],
  ];

  it('the unmutated copies agree', () => {
    expect(compareSchemas('Span', clone(yamlSpan), doc, clone(tbSpan))).toEqual([]);
  });

  it.each(spanMutations)('%s', (_label, mutate, expected) => {
    const y = clone(yamlSpan) as JsonObject;
    const t = clone(tbSpan);
    mutate(y, t);
    const problems = compareSchemas('Span', y, doc, t);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(expected);
    // The originals are untouched by the mutation of the copies.
    expect(compareSchemas('Span', yamlSpan, doc, plain(schemas.Span))).toEqual([]);
  });

  it('ignores description and example, but not a changed limit behind a $ref', () => {
    const y = clone(yamlSpan) as JsonObject;
    y.description = 'changed';
    ((y.properties as JsonObject).service as JsonObject).example = 'other';
    ((y.properties as JsonObject).service as JsonObject).description = 'other';
    expect(compareSchemas('Span', y, doc, tbSpan)).toEqual([]);

    // IngestRequest reaches Span through a $ref: a changed Span in the document must show.
    const docCopy = clone(doc);
    const spanCopy = ((docCopy.components as JsonObject).schemas as JsonObject).Span as JsonObject;
    ((spanCopy.properties as JsonObject).operation as JsonObject).maxLength = 128;
    const problems = compareSchemas(
      'IngestRequest',
      ((docCopy.components as JsonObject).schemas as JsonObject).IngestRequest!,
      docCopy,
      plain(schemas.IngestRequest),
    );
    expect(problems.join('\n')).toMatch(/IngestRequest\.properties\.spans\.items\.properties\.operation\.maxLength/);
  });

  it('notices changes to the extension components', () => {
    const t = plain(schemas.StatsResponse) as JsonObject;
    ((t.properties as JsonObject).error_rate as JsonObject).maximum = 100;
    expect(compareSchemas('StatsResponse', componentSchemas.StatsResponse!, doc, t).join('\n')).toMatch(/StatsResponse\.properties\.error_rate\.maximum/);
    const d = plain(schemas.TraceDetailResponse) as JsonObject;
    ((((d.properties as JsonObject).spans as JsonObject).items as JsonObject).properties as JsonObject).depth = { type: 'string' };
    expect(compareSchemas('TraceDetailResponse', componentSchemas.TraceDetailResponse!, doc, d).join('\n')).toMatch(
      /TraceDetailResponse\.properties\.spans\.items\.properties\.depth\.type/,
    );
    const s = plain(schemas.TraceSummary) as JsonObject;
    (s.required as string[]).push('services');
    expect(compareSchemas('TraceSummary', componentSchemas.TraceSummary!, doc, s).join('\n')).toMatch(/TraceSummary\.required/);
  });

  it('notices changes to nested array items and batch bounds', () => {
    const t = plain(schemas.TraceListResponse) as JsonObject;
    (((t.properties as JsonObject).traces as JsonObject).items as JsonObject).required = ['trace_id'];
    expect(compareSchemas('TraceListResponse', componentSchemas.TraceListResponse!, doc, t).join('\n')).toMatch(
      /TraceListResponse\.properties\.traces\.items\.required/,
    );
    const r = plain(schemas.IngestRequest) as JsonObject;
    ((r.properties as JsonObject).spans as JsonObject).maxItems = 1000;
    expect(compareSchemas('IngestRequest', componentSchemas.IngestRequest!, doc, r).join('\n')).toMatch(
      /IngestRequest\.properties\.spans\.maxItems/,
    );
    const i = plain(schemas.IngestResponse) as JsonObject;
    delete ((i.properties as JsonObject).accepted as JsonObject).minimum;
    expect(compareSchemas('IngestResponse', componentSchemas.IngestResponse!, doc, i).join('\n')).toMatch(
      /IngestResponse\.properties\.accepted\.minimum/,
    );
  });
});
