// What one POST /v1/traces request costs the event loop, by the number of spans it holds, in both
// encodings: the figure MAX_OTLP_SPANS_PER_REQUEST is chosen by (src/config.ts).
//
//   npx tsx bench/otlp-request-cost.ts [span counts…]     default 512 2048 8192 32768 100000
//
// Each request runs through the real route (app.inject: content-type parser, decode, map, store)
// against an empty BucketStore, with the caps lifted so that large requests get through. One request
// is synchronous from body to store, so its wall time is how long it holds the event loop. Phases
// (decode, map, store) are timed separately on the same bodies. Spans look like an HTTP service's:
// traces of 8 spans, 8 attributes each, 3 resource attributes.

import { performance } from 'node:perf_hooks';
import { SpanBatch } from '../src/ingest/span-batch.js';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { mapOtlpRequest } from '../src/otlp/map-spans.js';
import { decodeTraceRequest, type OtlpEncoding } from '../src/otlp/otlp-body.js';
import { exportTraceServiceRequestType } from '../src/otlp/protobuf-codec.js';
import { BucketStore } from '../src/store/buckets/bucket-store.js';
import { ManualClock } from '../src/time/clock.js';

const counts = process.argv.slice(2).map(Number);
const SPAN_COUNTS = counts.length > 0 ? counts : [512, 2048, 8192, 32768, 100000];
const SPANS_PER_TRACE = 8;
const ROUNDS = 5;
const NO_CAP = 1_000_000;

const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');

/** An ExportTraceServiceRequest as OTLP/JSON, spans starting at `startNs`. */
function requestObject(spans: number, run: number, startNs: bigint): Record<string, unknown> {
  const out: unknown[] = [];
  for (let i = 0; i < spans; i++) {
    const trace = Math.floor(i / SPANS_PER_TRACE);
    const inTrace = i % SPANS_PER_TRACE;
    const start = startNs + BigInt(i) * 1000n;
    out.push({
      traceId: hex(run, 8) + hex(trace, 24),
      spanId: hex(run, 4) + hex(i + 1, 12),
      parentSpanId: inTrace === 0 ? '' : hex(run, 4) + hex(i - inTrace + 1, 12),
      name: inTrace === 0 ? 'GET /api/orders/{id}' : `SELECT orders ${inTrace}`,
      kind: inTrace === 0 ? 2 : 3,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + 1_500_000n).toString(),
      attributes: [
        { key: 'http.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: '/api/orders/{id}' } },
        { key: 'http.status_code', value: { intValue: '200' } },
        { key: 'net.peer.name', value: { stringValue: 'orders-db.internal' } },
        { key: 'db.system', value: { stringValue: 'postgresql' } },
        { key: 'order.id', value: { stringValue: `ord_${i}` } },
        { key: 'retry', value: { boolValue: false } },
        { key: 'size', value: { doubleValue: 12.5 } },
      ],
      status: { code: i % 50 === 0 ? 2 : 0 },
    });
  }
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'orders' } },
            { key: 'service.version', value: { stringValue: '1.4.2' } },
            { key: 'host.name', value: { stringValue: 'orders-7f9c' } },
          ],
        },
        scopeSpans: [{ scope: { name: 'bench' }, spans: out }],
      },
    ],
  };
}

function body(encoding: OtlpEncoding, object: Record<string, unknown>): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify(object));
  const withBytes = JSON.parse(JSON.stringify(object), (key, value: unknown) =>
    (key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string' ? Buffer.from(value, 'hex') : value,
  ) as Record<string, unknown>;
  return Buffer.from(exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(withBytes)).finish());
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (n: number): string => n.toFixed(1).padStart(8);

const nowMs = Date.now();
const clock = new ManualClock(nowMs);
const startNs = BigInt(nowMs - 60_000) * 1_000_000n;

console.log(`node ${process.version}; median of ${ROUNDS} requests each, ms (per 1000 spans in the last column)`);
console.log('encoding  spans      bytes   request   decode      map    store   ms/1k spans');
for (const encoding of ['protobuf', 'json'] as OtlpEncoding[]) {
  for (const spans of SPAN_COUNTS) {
    const config: Config = {
      ...loadConfig({ INGEST_DELAY_TARGET_MS: '0', LOG_LEVEL: 'silent' }),
      maxBodyBytes: 1024 * 1024 * 1024,
      maxSpans: 2 ** 40,
      maxOtlpSpansPerRequest: NO_CAP,
    };
    const store = new BucketStore({ clock, windowMinutes: 30 });
    const { app } = await buildApp({ config, store, clock, logger: false });
    await app.ready();
    const request: number[] = [];
    const decode: number[] = [];
    const map: number[] = [];
    const ingest: number[] = [];
    let bytes = 0;
    // Round 0 warms the JIT and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      const object = requestObject(spans, round * 2 + 1, startNs);
      const payload = body(encoding, object);
      bytes = payload.length;
      const contentType = encoding === 'json' ? 'application/json' : 'application/x-protobuf';
      let t = performance.now();
      const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': contentType }, payload });
      const requestMs = performance.now() - t;
      if (res.statusCode !== 200) throw new Error(`${encoding} ${spans}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      // The same phases by hand, on a body of new ids (so the store does not see duplicates).
      const phasePayload = body(encoding, requestObject(spans, round * 2 + 2, startNs));
      t = performance.now();
      const decoded = decodeTraceRequest(phasePayload, encoding, NO_CAP);
      const decodeMs = performance.now() - t;
      t = performance.now();
      const mapping = mapOtlpRequest(decoded);
      const mapMs = performance.now() - t;
      t = performance.now();
      await store.apply(SpanBatch.fromSpans(mapping.spans));
      const ingestMs = performance.now() - t;
      if (round === 0) continue;
      request.push(requestMs);
      decode.push(decodeMs);
      map.push(mapMs);
      ingest.push(ingestMs);
    }
    await app.close();
    const r = median(request);
    console.log(
      `${encoding.padEnd(8)} ${String(spans).padStart(6)} ${String(bytes).padStart(10)} ${ms(r)} ${ms(median(decode))} ${ms(median(map))} ${ms(median(ingest))} ${ms((r / spans) * 1000)}`,
    );
  }
}
