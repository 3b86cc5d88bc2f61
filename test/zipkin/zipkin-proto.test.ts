// POST /api/v2/spans as application/x-protobuf (Zipkin's proto3 ListOfSpans), encoded here by
// protobufjs from the zipkin.proto field numbers (an encoder independent of the collector's own
// reader): the same spans as the JSON form, and every malformed body a 400 naming the field, with
// nothing stored and the collector still serving.

import protobuf from 'protobufjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type Api, type JsonObject } from '../support/http.js';

// keyType: a map field; protobufjs's IField type does not declare it, its INamespace JSON does.
const root = protobuf.Root.fromJSON(({
  nested: {
    zipkin: {
      nested: {
        proto3: {
          nested: {
            Span: {
              fields: {
                traceId: { type: 'bytes', id: 1 },
                parentId: { type: 'bytes', id: 2 },
                id: { type: 'bytes', id: 3 },
                kind: { type: 'int32', id: 4 },
                name: { type: 'string', id: 5 },
                timestamp: { type: 'fixed64', id: 6 },
                duration: { type: 'uint64', id: 7 },
                localEndpoint: { type: 'Endpoint', id: 8 },
                remoteEndpoint: { type: 'Endpoint', id: 9 },
                annotations: { rule: 'repeated', type: 'Annotation', id: 10 },
                tags: { keyType: 'string', type: 'string', id: 11 },
                debug: { type: 'bool', id: 12 },
                shared: { type: 'bool', id: 13 },
              },
            },
            Endpoint: { fields: { serviceName: { type: 'string', id: 1 }, ipv4: { type: 'bytes', id: 2 }, ipv6: { type: 'bytes', id: 3 }, port: { type: 'int32', id: 4 } } },
            Annotation: { fields: { timestamp: { type: 'fixed64', id: 1 }, value: { type: 'string', id: 2 } } },
            ListOfSpans: { fields: { spans: { rule: 'repeated', type: 'Span', id: 1 } } },
          },
        },
      },
    },
  },
}) as unknown as protobuf.INamespace);
const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');

const T_US = 1713484800123456;
const TRACE = '463ac35c9f6413ad48485a3953bb6124';
const ROOT_ID = '0562809467078eab';
const CLIENT_ID = '6b221d5bc9e6496c';
const hex = (h: string) => Buffer.from(h, 'hex');

function encode(spans: object[]): Buffer {
  return Buffer.from(ListOfSpans.encode(ListOfSpans.fromObject({ spans })).finish());
}

/** The trace of zipkin-query.test.ts, as protobuf objects and as the JSON the read API gives back. */
const protoSpans = () => [
  { traceId: hex(TRACE), id: hex(ROOT_ID), name: 'get /checkout', kind: 2, timestamp: T_US, duration: 150_000, localEndpoint: { serviceName: 'frontend', ipv4: Buffer.from([10, 0, 0, 1]), port: 8080 } },
  {
    traceId: hex(TRACE), id: hex(CLIENT_ID), parentId: hex(ROOT_ID), name: 'get /price', kind: 1, timestamp: T_US + 1000, duration: 100_000,
    localEndpoint: { serviceName: 'frontend' }, remoteEndpoint: { serviceName: 'backend', ipv6: hex('20010db8000000000000000000000001'), port: 9000 },
    annotations: [{ timestamp: T_US + 1000, value: 'ws' }], tags: { 'http.path': '/price' },
  },
  { traceId: hex(TRACE), id: hex(CLIENT_ID), parentId: hex(ROOT_ID), name: 'get /price', kind: 2, shared: true, timestamp: T_US + 2000, duration: 90_000, localEndpoint: { serviceName: 'backend' }, tags: { error: 'boom' } },
];
const jsonSpans: JsonObject[] = [
  { traceId: TRACE, id: ROOT_ID, name: 'get /checkout', kind: 'SERVER', timestamp: T_US, duration: 150_000, localEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.1', port: 8080 } },
  {
    traceId: TRACE, id: CLIENT_ID, parentId: ROOT_ID, name: 'get /price', kind: 'CLIENT', timestamp: T_US + 1000, duration: 100_000,
    localEndpoint: { serviceName: 'frontend' }, remoteEndpoint: { serviceName: 'backend', ipv6: '2001:db8:0:0:0:0:0:1', port: 9000 },
    annotations: [{ timestamp: T_US + 1000, value: 'ws' }], tags: { 'http.path': '/price' },
  },
  { traceId: TRACE, id: CLIENT_ID, parentId: ROOT_ID, name: 'get /price', kind: 'SERVER', shared: true, timestamp: T_US + 2000, duration: 90_000, localEndpoint: { serviceName: 'backend' }, tags: { error: 'boom' } },
];

let api: Api;
beforeEach(async () => {
  api = await startCollector();
});
afterEach(async () => {
  await api.close();
});

function post(body: Buffer) {
  return api.request('POST', '/api/v2/spans', { headers: { 'content-type': 'application/x-protobuf' }, body });
}

const sorted = (spans: JsonObject[]) => [...spans].sort((a, b) => `${String(a.id)}${String(a.shared)}`.localeCompare(`${String(b.id)}${String(b.shared)}`));

describe('POST /api/v2/spans, application/x-protobuf', () => {
  it('stores a ListOfSpans as its JSON form would be stored', async () => {
    const res = await post(encode(protoSpans()));
    expect(res.status).toBe(202);
    const back = JSON.parse((await api.get(`/api/v2/trace/${TRACE}`)).text) as JsonObject[];
    expect(sorted(back)).toEqual(sorted(jsonSpans));
  });

  it('accepts an empty ListOfSpans', async () => {
    expect((await post(Buffer.alloc(0))).status).toBe(202);
  });

  const good = () => protoSpans();
  const cases: Array<[string, () => Buffer, RegExp]> = [
    ['a truncated body', () => encode(good()).subarray(0, 40), /truncated protobuf/],
    ['a trace id of 5 bytes', () => encode([{ ...good()[0], traceId: hex('0102030405') }]), /^\[0\]\.traceId must be 8 or 16 bytes, got 5$/],
    ['a span id of 16 bytes', () => encode([good()[0]!, { ...good()[1]!, id: hex(TRACE) }]), /^\[1\]\.id must be 8 bytes, got 16$/],
    ['no timestamp', () => encode([{ ...good()[0], timestamp: 0 }]), /^\[0\]\.timestamp is required$/],
    ['a timestamp beyond 2^53', () => encode([{ ...good()[0], timestamp: '18446744073709551615' }]), /^\[0\]\.timestamp must be <= 9007199254740991$/],
    ['an unknown kind', () => encode([{ ...good()[0], kind: 9 }]), /^\[0\]\.kind must be one of/],
    ['an ipv4 of 3 bytes', () => encode([{ ...good()[0], localEndpoint: { serviceName: 'a', ipv4: Buffer.from([1, 2, 3]) } }]), /^\[0\]\.localEndpoint\.ipv4 must be 4 bytes, got 3$/],
    ['a tag key over 256 characters', () => encode([{ ...good()[0], tags: { ['k'.repeat(257)]: 'v' } }]), /keys must be at most 256 characters/],
    ['a field of the wrong wire type', () => Buffer.from([0x0a, 0x02, 0x08, 0x01]), /^\[0\]\.traceId: wrong protobuf wire type 0/],
    ['a negative port', () => encode([{ ...good()[0], localEndpoint: { serviceName: 'a', port: -1 } }]), /^\[0\]\.localEndpoint\.port must be >= 0$/],
  ];
  it.each(cases)('refuses %s with a 400 naming the field, storing nothing', async (_name, body, message) => {
    const res = await post(body());
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toMatch(message);
    expect(await api.total()).toBe(0);
    expect((await post(encode(good()))).status).toBe(202);
  });

  it('refuses a name that is not UTF-8, naming the field', async () => {
    const body = encode([{ ...good()[0], name: 'NAME' }]);
    body[body.indexOf('NAME')] = 0xff;
    const res = await post(body);
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toBe('[0].name: not valid UTF-8');
    expect(await api.total()).toBe(0);
  });

  it('refuses more spans than MAX_OTLP_SPANS_PER_REQUEST', async () => {
    await api.close();
    api = await startCollector({ env: { MAX_OTLP_SPANS_PER_REQUEST: '2' } });
    const res = await post(encode(good()));
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toMatch(/more than 2 spans/);
    expect(await api.total()).toBe(0);
  });
});
