// Tests of the contract tests' own helper (test/support/http.ts): its response check must catch
// answers that break openapi.yaml, or the contract tests would pass on anything, and its lossless
// JSON reading must keep int64 times exact, which JSON.parse does not.

import { describe, expect, it } from 'vitest';
import { T, traceId } from '../support/contract-fixtures.js';
import { contractValidator, parseJsonLossless, type JsonObject } from '../support/http.js';

describe('the response check in the helper', () => {
  it('rejects responses that break the contract', () => {
    const check = contractValidator();
    const json = 'application/json; charset=utf-8';
    const summary = `{"trace_id":"${traceId(1)}","root_service":"s","root_operation":"o","span_count":1,"duration_ms":0,"start_time":${T},"status":"ok"}`;
    expect(check.check('GET', '/traces', 200, json, `{"traces":[${summary}],"total":1}`)).toEqual([]);
    // Each of these must be caught.
    const bad: Array<[string, string, number, string, string]> = [
      ['POST', '/spans', 202, json, '{"status":"ok"}'],
      ['POST', '/spans', 202, json, '{"status":"ok","accepted":-1,"discarded":0}'],
      ['GET', '/traces', 200, json, `{"traces":[${summary.replace(`${T}`, `"${T}"`)}],"total":1}`],
      ['GET', '/traces', 200, json, `{"traces":[${summary.replace(traceId(1), traceId(1).toUpperCase())}],"total":1}`],
      ['GET', '/traces', 200, json, `{"traces":[${summary.replace('"ok"', '"warn"')}],"total":1}`],
      ['GET', '/traces', 200, json, `{"traces":[${summary}],"total":1.5}`],
      ['GET', '/traces', 200, json, `{"traces":[${summary}]}`],
      ['GET', '/traces', 500, json, '{"error":"internal error"}'],
      ['GET', '/traces', 200, 'text/plain', `{"traces":[],"total":0}`],
      ['GET', `/traces/${traceId(1)}`, 404, json, '{"message":"not found"}'],
      ['GET', `/traces/${traceId(1)}`, 200, json, `{"trace_id":"${traceId(1)}","spans":[{"trace_id":"${traceId(1)}"}]}`],
      ['POST', '/spans', 413, json, 'not json'],
      ['GET', '/health', 200, json, '{"status":"fine"}'],
    ];
    for (const [method, path, status, type, body] of bad) {
      expect(check.check(method, path, status, type, body).length, `${method} ${path} ${status} ${body}`).toBeGreaterThan(0);
    }
  });
});

describe('lossless JSON reading in the helper', () => {
  it('keeps 16+ digit integers exact and leaves strings alone', () => {
    const parsed = parseJsonLossless(`{"a":${T},"b":"${T}","c":12345,"d":[-${T}],"e":"x\\"${T}","f":1.5e3}`) as JsonObject;
    expect(parsed).toEqual({ a: T, b: T, c: 12345, d: [`-${T}`], e: `x"${T}`, f: 1500 });
    // Why the helper exists: JSON.parse loses the low digits.
    expect(String(JSON.parse(`{"a":${T}}`).a)).not.toBe(T);
  });
});
