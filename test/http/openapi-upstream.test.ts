// The contract the collector serves must be a compatible extension of the upstream Traced
// contract: a client written against the upstream one keeps working. These tests fetch
// /openapi.yaml from a running collector, compare it with the upstream document, and prove on
// mutated copies that the compatibility check notices removals, retypes and tightened requests.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  derefSchema,
  loadYaml,
  projectOpenapiPath,
  startCollector,
  upstreamOpenapiPath,
  type Api,
  type JsonObject,
} from '../support/http.js';
import { clone, traceByIdGet, tracesGet } from '../support/schema-drift.js';
import { compatibilityProblems } from '../support/upstream-compat.js';

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
