// openapi.yaml is the single source of truth; the TypeBox schemas in schemas/ mirror its
// components. This test compares them structurally (annotations such as description and example
// are ignored) and proves, on mutated copies, that the comparison notices a change on either side.
// It also checks that the contract the collector serves is a compatible extension of the upstream
// Traced contract.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as schemas from '../../schemas/index.js';
import * as logSchemas from '../../schemas/logs.js';
import * as otlpSchemas from '../../schemas/otlp.js';
import {
  derefSchema,
  loadYaml,
  projectOpenapiPath,
  resolvePointer,
  startCollector,
  upstreamOpenapiPath,
  type Api,
  type Json,
  type JsonObject,
} from '../support/http.js';

// ---------------------------------------------------------------------------------------------
// Structural comparison

/** Keywords that carry no structure; everything else is compared. */
const ANNOTATIONS = new Set(['description', 'example', 'examples', 'title', '$comment', 'deprecated', 'externalDocs', 'xml']);
/** Keywords whose array value is a set. */
const SET_KEYWORDS = new Set(['required', 'enum']);
/** Keywords whose value is a map from names to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs']);

function sortedCopy(values: Json[]): Json[] {
  return [...values].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}

/** A schema reduced to its structural keywords, $refs resolved against `doc` when given. */
function normalize(schema: Json, doc?: JsonObject): Json {
  if (Array.isArray(schema)) return schema.map((s) => normalize(s, doc));
  if (schema === null || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string') {
    if (doc === undefined) throw new Error(`unexpected $ref ${schema.$ref}`);
    return normalize(resolvePointer(doc, schema.$ref), doc);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    if (SET_KEYWORDS.has(key) && Array.isArray(value)) {
      out[key] = sortedCopy(value);
    } else if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const map: JsonObject = {};
      for (const [name, sub] of Object.entries(value)) map[name] = normalize(sub, doc);
      out[key] = map;
    } else if (key === 'default' || key === 'const') {
      out[key] = value;
    } else {
      out[key] = normalize(value, doc);
    }
  }
  return out;
}

/** TypeBox schema → plain JSON (drops symbol and non-enumerable bookkeeping). */
function plain(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

/** Every difference between two normalized schemas, as "path: left ≠ right" lines. */
function diff(yamlSide: Json | undefined, tbSide: Json | undefined, path: string): string[] {
  const show = (v: Json | undefined): string => (v === undefined ? '(absent)' : JSON.stringify(v));
  if (yamlSide === undefined || tbSide === undefined) {
    return yamlSide === tbSide ? [] : [`${path}: openapi.yaml ${show(yamlSide)} ≠ TypeBox ${show(tbSide)}`];
  }
  const yObj = yamlSide !== null && typeof yamlSide === 'object';
  const tObj = tbSide !== null && typeof tbSide === 'object';
  if (yObj && tObj && Array.isArray(yamlSide) === Array.isArray(tbSide)) {
    if (Array.isArray(yamlSide) && Array.isArray(tbSide)) {
      if (yamlSide.length !== tbSide.length) return [`${path}: openapi.yaml ${show(yamlSide)} ≠ TypeBox ${show(tbSide)}`];
      return yamlSide.flatMap((v, i) => diff(v, tbSide[i], `${path}[${i}]`));
    }
    const y = yamlSide as JsonObject;
    const t = tbSide as JsonObject;
    const keys = [...new Set([...Object.keys(y), ...Object.keys(t)])].sort();
    return keys.flatMap((k) => diff(y[k], t[k], `${path}.${k}`));
  }
  return JSON.stringify(yamlSide) === JSON.stringify(tbSide) ? [] : [`${path}: openapi.yaml ${show(yamlSide)} ≠ TypeBox ${show(tbSide)}`];
}

function compareSchemas(name: string, yamlSchema: Json, doc: JsonObject, typeboxSchema: Json): string[] {
  return diff(normalize(yamlSchema, doc), normalize(typeboxSchema), name);
}

/** The GET /traces query parameters against a TypeBox object schema of the query. */
function compareParameters(label: string, parameters: Json, location: 'query' | 'path', doc: JsonObject, typebox: Json): string[] {
  const problems: string[] = [];
  const params = (parameters as JsonObject[]).filter((p) => p.in === location);
  const tb = normalize(typebox) as JsonObject;
  const tbProps = (tb.properties ?? {}) as JsonObject;
  const tbRequired = new Set((tb.required ?? []) as string[]);
  const yamlNames = params.map((p) => String(p.name)).sort();
  const tbNames = Object.keys(tbProps).sort();
  if (JSON.stringify(yamlNames) !== JSON.stringify(tbNames)) {
    problems.push(`${label}: parameter names openapi.yaml ${JSON.stringify(yamlNames)} ≠ TypeBox ${JSON.stringify(tbNames)}`);
  }
  for (const param of params) {
    const name = String(param.name);
    const tbSchema = tbProps[name];
    problems.push(...diff(normalize(param.schema!, doc), tbSchema, `${label}.${name}`));
    // TypeBox lists a property with a default as required (validation fills it in); the
    // parameter is optional for the client either way.
    const tbEffectivelyRequired = tbRequired.has(name) && (tbSchema as JsonObject | undefined)?.default === undefined;
    if ((param.required === true) !== tbEffectivelyRequired) {
      problems.push(`${label}.${name}: required openapi.yaml ${String(param.required === true)} ≠ TypeBox ${String(tbEffectivelyRequired)}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Upstream compatibility

type Direction = 'request' | 'response';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Problems that would break a client of `up` talking to a server of `proj`: a property gone or
 * retyped, a response field no longer required, a request accepted upstream now refused.
 */
function schemaCompat(up: Json, proj: Json | undefined, path: string, direction: Direction): string[] {
  if (up === null || typeof up !== 'object' || Array.isArray(up)) return [];
  if (proj === undefined || proj === null || typeof proj !== 'object' || Array.isArray(proj)) {
    return [`${path}: missing from the project contract`];
  }
  const problems: string[] = [];
  for (const keyword of ['type', 'format']) {
    if (up[keyword] !== undefined && JSON.stringify(up[keyword]) !== JSON.stringify(proj[keyword])) {
      problems.push(`${path}.${keyword}: upstream ${JSON.stringify(up[keyword])}, project ${JSON.stringify(proj[keyword])}`);
    }
  }
  if (Array.isArray(up.enum)) {
    const upSet = new Set(up.enum.map((v) => JSON.stringify(v)));
    const projEnum = Array.isArray(proj.enum) ? proj.enum.map((v) => JSON.stringify(v)) : undefined;
    if (projEnum === undefined) {
      if (direction === 'response') problems.push(`${path}.enum: no longer restricted`);
    } else if (direction === 'response' ? projEnum.some((v) => !upSet.has(v)) : [...upSet].some((v) => !projEnum.includes(v))) {
      problems.push(`${path}.enum: upstream ${JSON.stringify(up.enum)}, project ${JSON.stringify(proj.enum)}`);
    }
  }
  const upRequired = new Set((up.required ?? []) as string[]);
  const projRequired = new Set((proj.required ?? []) as string[]);
  if (direction === 'response') {
    for (const r of upRequired) if (!projRequired.has(r)) problems.push(`${path}.required: "${r}" no longer required in responses`);
  } else {
    for (const r of projRequired) if (!upRequired.has(r)) problems.push(`${path}.required: "${r}" newly required in requests`);
  }
  // Request bounds may only widen; response bounds may only narrow.
  const lower = ['minimum', 'minItems', 'minLength', 'minProperties'];
  const upper = ['maximum', 'maxItems', 'maxLength', 'maxProperties'];
  for (const k of [...lower, ...upper]) {
    const u = up[k];
    const p = proj[k];
    if (typeof u !== 'number') continue;
    const isLower = lower.includes(k);
    const looserOrEqual = p === undefined || (isLower ? (p as number) <= u : (p as number) >= u);
    const stricterOrEqual = p !== undefined && (isLower ? (p as number) >= u : (p as number) <= u);
    if (direction === 'request' ? !looserOrEqual : !stricterOrEqual) {
      problems.push(`${path}.${k}: upstream ${u}, project ${JSON.stringify(p ?? null)}`);
    }
  }
  for (const [name, sub] of Object.entries((up.properties ?? {}) as JsonObject)) {
    problems.push(...schemaCompat(sub, (proj.properties as JsonObject | undefined)?.[name], `${path}.properties.${name}`, direction));
  }
  if (up.items !== undefined) problems.push(...schemaCompat(up.items, proj.items, `${path}.items`, direction));
  if (up.additionalProperties !== undefined && typeof up.additionalProperties === 'object') {
    problems.push(...schemaCompat(up.additionalProperties, proj.additionalProperties, `${path}.additionalProperties`, direction));
  }
  return problems;
}

function compatibilityProblems(upstream: JsonObject, project: JsonObject): string[] {
  const problems: string[] = [];
  const upPaths = upstream.paths as JsonObject;
  const projPaths = (project.paths ?? {}) as JsonObject;
  for (const [route, upItemJson] of Object.entries(upPaths)) {
    const upItem = upItemJson as JsonObject;
    const projItem = projPaths[route] as JsonObject | undefined;
    if (projItem === undefined) {
      problems.push(`path ${route} is missing`);
      continue;
    }
    for (const method of METHODS.filter((m) => m in upItem)) {
      const upOp = upItem[method] as JsonObject;
      const projOp = projItem[method] as JsonObject | undefined;
      const label = `${method.toUpperCase()} ${route}`;
      if (projOp === undefined) {
        problems.push(`${label} is missing`);
        continue;
      }
      for (const upParam of (upOp.parameters ?? []) as JsonObject[]) {
        const projParam = ((projOp.parameters ?? []) as JsonObject[]).find((p) => p.name === upParam.name && p.in === upParam.in);
        const plabel = `${label} parameter ${String(upParam.in)}.${String(upParam.name)}`;
        if (projParam === undefined) {
          problems.push(`${plabel} is missing`);
          continue;
        }
        if (upParam.required !== true && projParam.required === true) problems.push(`${plabel} became required`);
        problems.push(...schemaCompat(derefSchema(upstream, upParam.schema!), derefSchema(project, projParam.schema ?? null), plabel, 'request'));
      }
      const upBody = upOp.requestBody as JsonObject | undefined;
      if (upBody !== undefined) {
        const projBody = projOp.requestBody as JsonObject | undefined;
        if (projBody === undefined) problems.push(`${label} request body is missing`);
        else {
          if (upBody.required !== true && projBody.required === true) problems.push(`${label} request body became required`);
          for (const [media, content] of Object.entries((upBody.content ?? {}) as JsonObject)) {
            const projContent = ((projBody.content ?? {}) as JsonObject)[media] as JsonObject | undefined;
            if (projContent === undefined) problems.push(`${label} request ${media} is missing`);
            else {
              problems.push(
                ...schemaCompat(
                  derefSchema(upstream, (content as JsonObject).schema!),
                  derefSchema(project, projContent.schema ?? null),
                  `${label} request ${media}`,
                  'request',
                ),
              );
            }
          }
        }
      }
      for (const [status, upResponse] of Object.entries((upOp.responses ?? {}) as JsonObject)) {
        const projResponse = ((projOp.responses ?? {}) as JsonObject)[status] as JsonObject | undefined;
        if (projResponse === undefined) {
          problems.push(`${label} response ${status} is missing`);
          continue;
        }
        for (const [media, content] of Object.entries(((upResponse as JsonObject).content ?? {}) as JsonObject)) {
          const projContent = ((projResponse.content ?? {}) as JsonObject)[media] as JsonObject | undefined;
          if (projContent === undefined) problems.push(`${label} response ${status} ${media} is missing`);
          else {
            problems.push(
              ...schemaCompat(
                derefSchema(upstream, (content as JsonObject).schema!),
                derefSchema(project, projContent.schema ?? null),
                `${label} response ${status} ${media}`,
                'response',
              ),
            );
          }
        }
      }
    }
  }
  const upSchemas = ((upstream.components as JsonObject).schemas ?? {}) as JsonObject;
  const projSchemas = (((project.components ?? {}) as JsonObject).schemas ?? {}) as JsonObject;
  for (const [name, schema] of Object.entries(upSchemas)) {
    const up = derefSchema(upstream, schema);
    const proj = projSchemas[name] === undefined ? undefined : derefSchema(project, projSchemas[name]!);
    // A component may be used both ways (Span is sent and received): both directions must hold.
    problems.push(...schemaCompat(up, proj, `components.schemas.${name}`, 'response'));
    problems.push(...schemaCompat(up, proj, `components.schemas.${name}`, 'request'));
  }
  return [...new Set(problems)];
}

// ---------------------------------------------------------------------------------------------

const doc = loadYaml(projectOpenapiPath);
const componentSchemas = (doc.components as JsonObject).schemas as JsonObject;

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
  ['Error', schemas.ErrorBody],
  // Extensions: logs (POST /logs, GET /traces/{trace_id}/logs) and OTLP (POST /v1/traces).
  ['LogRecord', logSchemas.LogRecord],
  ['LogIngestRequest', logSchemas.LogIngestRequest],
  ['LogIngestResponse', logSchemas.LogIngestResponse],
  ['TraceLogsResponse', logSchemas.TraceLogsResponse],
  ['OtlpAnyValue', otlpSchemas.OtlpAnyValue],
  ['OtlpKeyValue', otlpSchemas.OtlpKeyValue],
  ['OtlpSpan', otlpSchemas.OtlpSpan],
  ['OtlpExportTraceServiceRequest', otlpSchemas.OtlpExportTraceServiceRequest],
  ['OtlpExportTraceServiceResponse', otlpSchemas.OtlpExportTraceServiceResponse],
  ['OtlpStatus', otlpSchemas.OtlpStatus],
];

function tracesGet(d: JsonObject): JsonObject {
  return ((d.paths as JsonObject)['/traces'] as JsonObject).get as JsonObject;
}
function traceByIdGet(d: JsonObject): JsonObject {
  return ((d.paths as JsonObject)['/traces/{trace_id}'] as JsonObject).get as JsonObject;
}
function pathGet(d: JsonObject, path: string): JsonObject {
  return ((d.paths as JsonObject)[path] as JsonObject).get as JsonObject;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('openapi.yaml ↔ TypeBox schemas', () => {
  it.each(PAIRS)('component %s matches its TypeBox mirror', (name, typebox) => {
    const yamlSchema = componentSchemas[name];
    expect(yamlSchema, `components.schemas.${name} exists`).toBeDefined();
    expect(compareSchemas(name, yamlSchema!, doc, plain(typebox))).toEqual([]);
  });

  it('every component schema in openapi.yaml has a TypeBox mirror under test', () => {
    expect(Object.keys(componentSchemas).sort()).toEqual(PAIRS.map(([n]) => n).sort());
  });

  it('GET /traces query parameters match TraceListQuery', () => {
    const params = tracesGet(doc).parameters!;
    expect((params as JsonObject[]).map((p) => p.name).sort()).toEqual(
      ['after', 'before', 'cursor', 'limit', 'max_duration_ms', 'min_duration_ms', 'operation', 'partial', 'root_service', 'service', 'status', 'tag'],
    );
    expect(compareParameters('GET /traces query', params, 'query', doc, plain(schemas.TraceListQuery))).toEqual([]);
  });

  it('the statistics endpoints\' parameters match their TypeBox mirrors', () => {
    expect(compareParameters('GET /stats query', pathGet(doc, '/stats').parameters!, 'query', doc, plain(schemas.StatsQuery))).toEqual([]);
    expect(
      compareParameters('GET /dependencies query', pathGet(doc, '/dependencies').parameters!, 'query', doc, plain(schemas.RangeQuery)),
    ).toEqual([]);
    expect(
      compareParameters(
        'GET /services/{service}/operations path',
        pathGet(doc, '/services/{service}/operations').parameters!,
        'path',
        doc,
        plain(schemas.ServiceParams),
      ),
    ).toEqual([]);
    expect(pathGet(doc, '/services').parameters).toBeUndefined();
  });

  it('GET /traces/{trace_id} path parameter matches TraceIdParams', () => {
    const params = traceByIdGet(doc).parameters!;
    expect(compareParameters('GET /traces/{trace_id} path', params, 'path', doc, plain(schemas.TraceIdParams))).toEqual([]);
  });

  it('GET /traces/{trace_id}/logs path parameter matches TraceIdParams', () => {
    const params = (((doc.paths as JsonObject)['/traces/{trace_id}/logs'] as JsonObject).get as JsonObject).parameters!;
    expect(compareParameters('GET /traces/{trace_id}/logs path', params, 'path', doc, plain(schemas.TraceIdParams))).toEqual([]);
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

  it('notices changes to the query and path parameters', () => {
    const check = (d: JsonObject, tb: Json) => compareParameters('q', tracesGet(d).parameters!, 'query', d, tb);
    const tbQuery = plain(schemas.TraceListQuery) as JsonObject;

    const t1 = clone(tbQuery);
    ((t1.properties as JsonObject).limit as JsonObject).default = 50;
    expect(check(doc, t1).join('\n')).toMatch(/q\.limit\.default/);

    const t2 = clone(tbQuery);
    ((t2.properties as JsonObject).limit as JsonObject).maximum = 5000;
    expect(check(doc, t2).join('\n')).toMatch(/q\.limit\.maximum/);

    const t3 = clone(tbQuery);
    delete ((t3.properties as JsonObject).before as JsonObject).minimum;
    expect(check(doc, t3).join('\n')).toMatch(/q\.before\.minimum/);

    const t4 = clone(tbQuery);
    ((t4.properties as JsonObject).after as JsonObject).format = 'int32';
    expect(check(doc, t4).join('\n')).toMatch(/q\.after\.format/);

    const d1 = clone(doc);
    ((tracesGet(d1).parameters as JsonObject[]).find((p) => p.name === 'limit')!.schema as JsonObject).minimum = 1;
    expect(check(d1, tbQuery).join('\n')).toMatch(/q\.limit\.minimum/);

    const d2 = clone(doc);
    (tracesGet(d2).parameters as JsonObject[]).push({ name: 'service', in: 'query', schema: { type: 'string' } });
    expect(check(d2, tbQuery).join('\n')).toMatch(/parameter names/);

    const d3 = clone(doc);
    ((tracesGet(d3).parameters as JsonObject[]).find((p) => p.name === 'after')!).required = true;
    expect(check(d3, tbQuery).join('\n')).toMatch(/q\.after: required/);

    const t5 = clone(tbQuery);
    (((t5.properties as JsonObject).tag as JsonObject).items as JsonObject).type = 'integer';
    expect(check(doc, t5).join('\n')).toMatch(/q\.tag\.items\.type/);

    const t6 = clone(tbQuery);
    ((t6.properties as JsonObject).status as JsonObject).enum = ['ok'];
    expect(check(doc, t6).join('\n')).toMatch(/q\.status\.enum/);

    const d4 = clone(doc);
    ((tracesGet(d4).parameters as JsonObject[]).find((p) => p.name === 'min_duration_ms')!.schema as JsonObject).minimum = 1;
    expect(check(d4, tbQuery).join('\n')).toMatch(/q\.min_duration_ms\.minimum/);

    const d5 = clone(doc);
    ((tracesGet(d5).parameters as JsonObject[]).find((p) => p.name === 'partial')!.schema as JsonObject).type = 'string';
    expect(check(d5, tbQuery).join('\n')).toMatch(/q\.partial\.type/);

    const tbStats = plain(schemas.StatsQuery) as JsonObject;
    const s1 = clone(tbStats);
    delete ((s1.properties as JsonObject).after as JsonObject).format;
    expect(compareParameters('s', pathGet(doc, '/stats').parameters!, 'query', doc, s1).join('\n')).toMatch(/s\.after\.format/);

    const tbId = plain(schemas.TraceIdParams) as JsonObject;
    const p1 = clone(tbId);
    ((p1.properties as JsonObject).trace_id as JsonObject).format = 'string';
    expect(compareParameters('p', traceByIdGet(doc).parameters!, 'path', doc, p1).join('\n')).toMatch(/p\.trace_id\.format/);
    const p2 = clone(tbId);
    p2.required = [];
    expect(compareParameters('p', traceByIdGet(doc).parameters!, 'path', doc, p2).join('\n')).toMatch(/p\.trace_id: required/);
  });
});

describe('the served contract is a compatible extension of the upstream one', () => {
  let api: Api;
  let served: JsonObject;
  const upstream = loadYaml(upstreamOpenapiPath);

  beforeAll(async () => {
    api = await startCollector();
    const res = await api.get('/openapi.yaml');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/yaml/);
    expect(res.text).toBe(readFileSync(projectOpenapiPath, 'utf8'));
    served = parseYaml(res.text) as JsonObject;
  });
  afterAll(async () => {
    await api.close();
  });

  it('keeps every upstream path, method, status code, parameter and schema property with its type', () => {
    expect(served.openapi).toBe(upstream.openapi);
    expect(compatibilityProblems(upstream, served)).toEqual([]);
  });

  it('still answers POST /spans 202 with the upstream StatusResponse fields', () => {
    const ok = derefSchema(served, ((((served.paths as JsonObject)['/spans'] as JsonObject).post as JsonObject).responses as JsonObject)['202']!);
    const schema = ((ok as JsonObject).content as JsonObject)['application/json'] as JsonObject;
    expect(((schema.schema as JsonObject).properties as JsonObject).status).toEqual({ type: 'string', enum: ['ok'] });
    expect((schema.schema as JsonObject).required).toContain('status');
  });

  it('the compatibility check notices removals, retypes and tightened requests', () => {
    const mutate = (f: (d: JsonObject) => void): string[] => {
      const d = clone(served);
      f(d);
      return compatibilityProblems(upstream, d);
    };
    const paths = (d: JsonObject) => d.paths as JsonObject;
    const comps = (d: JsonObject) => (d.components as JsonObject).schemas as JsonObject;

    expect(mutate((d) => delete paths(d)['/health']).join('\n')).toMatch(/path \/health is missing/);
    expect(mutate((d) => delete (paths(d)['/traces'] as JsonObject).get).join('\n')).toMatch(/GET \/traces is missing/);
    expect(
      mutate((d) => delete ((traceByIdGet(d).responses as JsonObject)['404'])).join('\n'),
    ).toMatch(/GET \/traces\/\{trace_id\} response 404 is missing/);
    expect(
      mutate((d) => delete ((comps(d).TraceSummary as JsonObject).properties as JsonObject).duration_ms).join('\n'),
    ).toMatch(/TraceSummary.*duration_ms: missing/);
    expect(
      mutate((d) => (((comps(d).Span as JsonObject).properties as JsonObject).start_time = { type: 'string' })).join('\n'),
    ).toMatch(/start_time\.type: upstream "integer", project "string"/);
    expect(
      mutate((d) => (((comps(d).Span as JsonObject).properties as JsonObject).service as JsonObject).maxLength = 64).join('\n'),
    ).toMatch(/service\.maxLength: upstream 256, project 64/);
    expect(
      mutate((d) => ((tracesGet(d).parameters as JsonObject[]).find((p) => p.name === 'limit')!.schema as JsonObject).maximum = 500).join(
        '\n',
      ),
    ).toMatch(/parameter query\.limit\.maximum/);
    expect(mutate((d) => (tracesGet(d).parameters as JsonObject[]).splice(1, 1)).join('\n')).toMatch(/parameter query\.after is missing/);
    expect(
      mutate((d) => ((comps(d).StatusResponse as JsonObject).required = [])).join('\n'),
    ).toMatch(/"status" no longer required/);
    expect(
      mutate((d) => delete (((paths(d)['/spans'] as JsonObject).post as JsonObject).requestBody as JsonObject).content).join('\n'),
    ).toMatch(/POST \/spans request application\/json is missing/);
  });
});
