// Structural comparison of openapi.yaml against its TypeBox mirrors in schemas/, for the drift
// tests (test/http/openapi-drift-*.test.ts): schemas are reduced to their structural keywords
// (annotations such as description and example are ignored, $refs resolved) and every difference
// is named by its path. Also the project document itself and the operations the tests look into.

import { loadYaml, projectOpenapiPath, resolvePointer, type Json, type JsonObject } from './http.js';

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
export function plain(schema: unknown): Json {
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

export function compareSchemas(name: string, yamlSchema: Json, doc: JsonObject, typeboxSchema: Json): string[] {
  return diff(normalize(yamlSchema, doc), normalize(typeboxSchema), name);
}

/** The GET /traces query parameters against a TypeBox object schema of the query. */
export function compareParameters(label: string, parameters: Json, location: 'query' | 'path', doc: JsonObject, typebox: Json): string[] {
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

/** openapi.yaml as the collector serves it, and its component schemas. */
export const doc = loadYaml(projectOpenapiPath);
export const componentSchemas = (doc.components as JsonObject).schemas as JsonObject;

export function tracesGet(d: JsonObject): JsonObject {
  return ((d.paths as JsonObject)['/traces'] as JsonObject).get as JsonObject;
}
export function traceByIdGet(d: JsonObject): JsonObject {
  return ((d.paths as JsonObject)['/traces/{trace_id}'] as JsonObject).get as JsonObject;
}
export function pathGet(d: JsonObject, path: string): JsonObject {
  return ((d.paths as JsonObject)[path] as JsonObject).get as JsonObject;
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
