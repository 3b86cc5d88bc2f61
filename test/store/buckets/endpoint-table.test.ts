// Interned names must not keep the request bodies they were sliced from alive: the table holds
// them for the life of the process, and each body can be up to MAX_BODY_BYTES.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { EndpointTable } from '../../../src/store/buckets/endpoint-table.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('EndpointTable', () => {
  it('keeps its own copies of names, not slices of the bodies they came from', () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const table = new EndpointTable();
    for (let i = 0; i < 100; i++) {
      // A 1 MiB "body" per endpoint, with the names sliced out of it as the OTLP JSON reader does.
      const service = `service-number-${String(i).padStart(6, '0')}`;
      const operation = `operation-number-${String(i).padStart(6, '0')}`;
      const body = `{"service":"${service}","operation":"${operation}"}` + 'x'.repeat(1 << 20);
      const s = body.indexOf(service);
      const o = body.indexOf(operation);
      table.intern(body.slice(s, s + service.length), body.slice(o, o + operation.length));
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(table.services[42]).toBe('service-number-000042');
    expect(table.operations[42]).toBe('operation-number-000042');
    // 100 bodies would be ~100 MiB; the names themselves are a few KiB.
    expect(grown).toBeLessThan(20 * 1024 * 1024);
  });
});
