// The server loads the OTLP schema from a generated JSON descriptor; the vendored .proto files
// are its source. They must not drift apart.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProtoFiles } from '../../src/otlp/proto/load-proto-files.js';
import { OTLP_DESCRIPTOR } from '../../src/otlp/proto/otlp-descriptor.js';

const protoDir = join(dirname(fileURLToPath(import.meta.url)), '../../src/otlp/proto');

describe('the OTLP descriptor', () => {
  it('is what protobufjs reads from the vendored .proto files (regenerate with src/otlp/proto/generate-descriptor.ts)', () => {
    expect(loadProtoFiles(protoDir).toJSON()).toEqual(JSON.parse(JSON.stringify(OTLP_DESCRIPTOR)));
  });

  it('uses the upstream field numbers and types for the fields the mapping reads', () => {
    const span = loadProtoFiles(protoDir).lookupType('opentelemetry.proto.trace.v1.Span');
    const fields = Object.fromEntries(span.fieldsArray.map((f) => [f.name, `${f.type}=${f.id}`]));
    expect(fields).toMatchObject({
      traceId: 'bytes=1',
      spanId: 'bytes=2',
      parentSpanId: 'bytes=4',
      name: 'string=5',
      kind: 'SpanKind=6',
      startTimeUnixNano: 'fixed64=7',
      endTimeUnixNano: 'fixed64=8',
      attributes: 'opentelemetry.proto.common.v1.KeyValue=9',
      events: 'Event=11',
      status: 'Status=15',
    });
  });
});
