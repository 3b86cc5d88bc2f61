// Property-based fuzz of request bodies and query strings against the live HTTP server: valid
// and hostile shapes mixed. Whatever arrives, no answer is a 5xx other than a documented 503
// (with Retry-After), /health keeps answering, and every trace stored before the run reads back
// byte for byte the same afterwards.
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Api } from '../support/http.js';
import { uuid } from '../support/spans.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 30);
const NOW_NS = BigInt(NOW) * 1_000_000n;
let api: Api;
const seeded: Array<{ id: string; body: string }> = [];

beforeAll(async () => {
  api = await startCollector({ nowMs: NOW });
  const spans = [];
  for (let t = 0; t < 20; t++) {
    spans.push({ trace_id: uuid(t, 0xd0), span_id: uuid(t * 4, 0xd1), service: `svc-${t % 3}`, start_time: (NOW_NS - BigInt(t) * 1_000_000n).toString(), tags: { env: 'prod' } });
    spans.push({ trace_id: uuid(t, 0xd0), span_id: uuid(t * 4 + 1, 0xd1), parent_span_id: uuid(t * 4, 0xd1), service: 'db', start_time: (NOW_NS - BigInt(t) * 1_000_000n + 5n).toString() });
  }
  expect((await api.postSpans(spans)).status).toBe(202);
  for (let t = 0; t < 20; t++) {
    const res = await raw('GET', `/traces/${uuid(t, 0xd0)}`);
    expect(res.status).toBe(200);
    seeded.push({ id: uuid(t, 0xd0), body: res.text });
  }
});
afterAll(() => api?.close());

/** A request without the contract check of Api.request: hostile answers are what is tested. */
async function raw(method: string, path: string, body?: Buffer | string, contentType?: string): Promise<{ status: number; text: string; retryAfter: unknown }> {
  const headers: Record<string, string> = {};
  if (contentType !== undefined) headers['content-type'] = contentType;
  const res = await request(api.baseUrl + path, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, text, retryAfter: res.headers['retry-after'] };
}

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('__proto__', 'constructor', '', ' ', '\u0000', '\ud800', 'é'.repeat(300), 'k'.repeat(2000), '00000000-0000-0000-0000-000000000000'),
);
const hostileNumber = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom('1e400', '-0', '0.5', 'NaN', '9223372036854775807', '9223372036854775808', NOW_NS.toString()),
);
const jsonish: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString.map((s) => JSON.stringify(s)),
    hostileNumber,
    fc.constantFrom('null', 'true', '{}', '[]'),
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }).map((d) => `{${Object.entries(d).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

/** A span with each field mostly valid, else replaced by something hostile. */
const field = (valid: fc.Arbitrary<string>, ...hostile: Array<fc.Arbitrary<string>>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, ...hostile.map((arbitrary) => ({ arbitrary, weight: 1 })));
const spanText = fc
  .record({
    trace_id: field(fc.nat(50).map((n) => `"${uuid(n, 0xe0)}"`), jsonish),
    span_id: field(fc.nat(100_000).map((n) => `"${uuid(n, 0xe1)}"`), jsonish),
    service: field(fc.constantFrom('"svc"', '"é-service"', '"\\u00e9"'), hostileString.map((s) => JSON.stringify(s)), jsonish),
    operation: field(fc.constant('"op"'), jsonish),
    start_time: field(fc.constant(NOW_NS.toString()), hostileNumber, jsonish),
    end_time: field(fc.constant((NOW_NS + 1000n).toString()), hostileNumber, jsonish),
    status: field(fc.constantFrom('"ok"', '"error"'), jsonish),
    tags: field(fc.constant('{"a":"b"}'), jsonish),
  })
  .map((f) => `{${Object.entries(f).map(([k, v]) => `"${k}":${v}`).join(',')}}`);

const bodyBytes = fc.oneof(
  fc.array(spanText, { minLength: 1, maxLength: 5 }).map((spans) => Buffer.from(`{"spans":[${spans.join(',')}]}`)),
  jsonish.map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.constantFrom(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from('{"spans":[{"service":"\\ud800"}]}')),
);

const spansRequest = fc.record({
  path: fc.constant('/spans'),
  contentType: fc.constant<string | undefined>('application/json'),
  body: fc.array(spanText, { minLength: 1, maxLength: 3 }).map((spans) => Buffer.from(`{"spans":[${spans.join(',')}]}`)),
});
const ingest = fc.oneof(
  spansRequest,
  fc.record({
    path: fc.constantFrom('/spans', '/v1/traces', '/logs'),
    contentType: fc.constantFrom<string | undefined>('application/json', 'application/x-protobuf', 'text/plain', undefined),
    body: bodyBytes,
  }),
);

const queryKey = fc.constantFrom('limit', 'after', 'before', 'service', 'root_service', 'operation', 'status', 'min_duration_ms', 'max_duration_ms', 'tag', 'partial', 'cursor', '__proto__');
const query = fc
  .record({
    path: fc.constantFrom('/traces', `/traces/${uuid(3, 0xd0)}`, '/traces/not-a-uuid', `/traces/${uuid(999, 0xd0)}`, '/services', '/services/svc-1/operations', '/stats', '/dependencies', `/traces/${uuid(3, 0xd0)}/logs`),
    params: fc.array(fc.tuple(queryKey, fc.oneof(hostileString, hostileNumber)), { maxLength: 6 }),
  })
  .map(({ path, params }) => (params.length === 0 ? path : `${path}?${params.map(([k, v]) => `${percent(k)}=${percent(v)}`).join('&')}`));

/** Every byte of the UTF-8 form escaped (encodeURIComponent throws on a lone surrogate). */
function percent(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

function acceptable(res: { status: number; retryAfter: unknown }): boolean {
  return res.status < 500 || (res.status === 503 && res.retryAfter !== undefined);
}

describe('fuzzed requests against the live server', () => {
  it('never get an undocumented 5xx, and leave stored traces as they were', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(ingest.map((r) => ({ kind: 'ingest' as const, ...r })), query.map((url) => ({ kind: 'query' as const, url }))), async (r) => {
        const res = r.kind === 'ingest' ? await raw('POST', r.path, r.body, r.contentType) : await raw('GET', r.url);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (!acceptable(res)) throw new Error(`${r.kind === 'ingest' ? r.path : r.url} answered ${res.status}: ${res.text.slice(0, 200)}`);
      }),
      { numRuns: 400, seed: 14 },
    );
    // Hostile and valid shapes both got through: stored, listed and refused.
    for (const status of [200, 202, 400, 404]) expect(statuses.get(status) ?? 0, `answers ${status}`).toBeGreaterThan(0);
    expect((await raw('GET', '/health')).status).toBe(200);
    for (const { id, body } of seeded) expect((await raw('GET', `/traces/${id}`)).text).toBe(body);
  });
});
