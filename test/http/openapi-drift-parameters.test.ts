// The query and path parameters openapi.yaml declares against the TypeBox schemas the routes
// validate them with (TraceListQuery, StatsQuery, RangeQuery, ServiceParams, TraceIdParams), and
// proof on mutated copies that the comparison notices a changed parameter on either side.
// Component schemas are in openapi-drift-components.test.ts.

import { describe, expect, it } from 'vitest';
import * as schemas from '../../schemas/index.js';
import * as internalSchemas from '../../schemas/internal.js';
import type { Json, JsonObject } from '../support/http.js';
import { clone, compareParameters, doc, pathGet, plain, traceByIdGet, tracesGet } from '../support/schema-drift.js';

describe('openapi.yaml ↔ TypeBox schemas', () => {
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

  it('the internal query routes\' parameters match their TypeBox mirrors', () => {
    expect(
      compareParameters('GET /internal/v1/traces query', pathGet(doc, '/internal/v1/traces').parameters!, 'query', doc, plain(internalSchemas.InternalTraceListQuery)),
    ).toEqual([]);
    for (const path of ['/internal/v1/latency', '/internal/v1/dependencies']) {
      expect(compareParameters(`GET ${path} query`, pathGet(doc, path).parameters!, 'query', doc, plain(internalSchemas.InternalRangeQuery))).toEqual([]);
    }
    const traceParams = pathGet(doc, '/internal/v1/traces/{trace_id}').parameters!;
    expect(compareParameters('GET /internal/v1/traces/{trace_id} path', traceParams, 'path', doc, plain(schemas.TraceIdParams))).toEqual([]);
    expect(compareParameters('GET /internal/v1/traces/{trace_id} query', traceParams, 'query', doc, plain(internalSchemas.InternalReadQuery))).toEqual([]);
  });

  it('GET /traces/{trace_id} path parameter matches TraceIdParams', () => {
    const params = traceByIdGet(doc).parameters!;
    expect(compareParameters('GET /traces/{trace_id} path', params, 'path', doc, plain(schemas.TraceIdParams))).toEqual([]);
  });

  it('GET /traces/{trace_id}/logs path parameter matches TraceIdParams', () => {
    const params = (((doc.paths as JsonObject)['/traces/{trace_id}/logs'] as JsonObject).get as JsonObject).parameters!;
    expect(compareParameters('GET /traces/{trace_id}/logs path', params, 'path', doc, plain(schemas.TraceIdParams))).toEqual([]);
  });
});

describe('the drift comparison notices changes on either side', () => {
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
