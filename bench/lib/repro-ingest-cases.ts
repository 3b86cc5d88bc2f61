// Issue 14's reproductions 5, 6 and 9 at the issue's sizes: what the other ingest paths (POST
// /logs, POST /v1/traces) take, and what one big trace costs (see bench/reproductions.ts).

import { getHeapStatistics } from 'node:v8';
import { MAX_LOG_ATTRIBUTES, MAX_LOG_MESSAGE_LENGTH, MAX_LOGS_PER_BATCH } from '../../schemas/logs.js';
import { MAX_TAG_KEY_LENGTH } from '../../schemas/span.js';
import { DEFAULT_MAX_OTLP_SPANS_PER_REQUEST } from '../../src/config.js';
import { exportTraceServiceRequestType } from '../../src/otlp/protobuf-codec.js';
import { runRawLoad } from './raw-http-client.js';
import { Answers, metric, mib, nowNs, request, sleep, uuidOf, validSpansBody, type Reproduction } from './repro-harness.js';

const MAX_BODY_BYTES = 16 * 2 ** 20; // the shipped MAX_BODY_BYTES
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * A full-size POST /logs body: 500 lines (the batch limit), each with an 8,192-character message
 * and as many attributes of 256-character keys and 1,024-character values as keep the body under
 * MAX_BODY_BYTES: the most log text one request can carry.
 */
function fullLogsBody(run: number): Buffer {
  const now = nowNs();
  const message = 'm'.repeat(MAX_LOG_MESSAGE_LENGTH);
  const perLine = Math.floor((MAX_BODY_BYTES - 64) / MAX_LOGS_PER_BATCH);
  const attributeBytes = MAX_TAG_KEY_LENGTH + 1024 + 6;
  const attributes: Record<string, string> = {};
  for (let a = 0; a < Math.min(MAX_LOG_ATTRIBUTES, Math.floor((perLine - message.length - 200) / attributeBytes)); a++) {
    attributes[`${hex(a, 4)}${'a'.repeat(MAX_TAG_KEY_LENGTH - 4)}`] = 'v'.repeat(1024);
  }
  const attributesJson = JSON.stringify(attributes);
  const lines: string[] = [];
  for (let i = 0; i < MAX_LOGS_PER_BATCH; i++) {
    lines.push(`{"time":${now},"trace_id":"${uuidOf(run, 5, i)}","service":"checkout","level":"info","message":"${message}","attributes":${attributesJson}}`);
  }
  const body = Buffer.from(`{"logs":[${lines.join(',')}]}`);
  if (body.length > MAX_BODY_BYTES) throw new Error(`the logs body is ${body.length} B, over MAX_BODY_BYTES`);
  return body;
}

export const logsLockout: Reproduction = {
  id: '5',
  title: 'logs lock out spans',
  expected: 'POST /logs 503 naming MAX_LOG_BYTES or MAX_LOGS once full; POST /spans still 202',
  body: async (ctx) => {
    const seconds = 40;
    const body = fullLogsBody(ctx.run);
    // One full-size request alone first: how long one holds the process (JSON parse, validation,
    // storing 500 lines), against which the flood's /health figures can be read.
    const single = await request(ctx.port, 'POST', '/logs', body, { timeoutMs: 60_000 });
    ctx.details.one_request_alone = { status: single.status, ms: Number(single.ms.toFixed(1)) };
    ctx.sent(`${seconds} s of POST /logs from 4 clients, as fast as answered, ${body.length} B bodies of 500 lines; a 10-span POST /spans every 2 s meanwhile`);
    // Spans alongside the flood, from their own connections: logs must not shut them out.
    const during = new Answers();
    let flooding = true;
    const spansAlongside = (async () => {
      for (let i = 0; flooding; i++) {
        during.addAnswer(await request(ctx.port, 'POST', '/spans', validSpansBody(ctx.run, 0x55, i * 10, 10), { timeoutMs: 20_000 }));
        await sleep(2000);
      }
    })();
    // The same body every time: its lines are stored as new log lines each time all the same,
    // and building 16 MB bodies in this process would slow the flood down.
    const deadline = performance.now() + seconds * 1000;
    let connectionErrors = 0;
    while (performance.now() < deadline - 500) {
      try {
        await runRawLoad({
          host: '127.0.0.1',
          port: ctx.port,
          connections: 4,
          durationMs: deadline - performance.now(),
          path: '/logs',
          nextBody: () => body,
          onResponse: (r) => ctx.answers.add(r.status, r.body),
        });
      } catch {
        // A connection the server closed under a write: start the clients again until the deadline.
        connectionErrors++;
      }
    }
    flooding = false;
    await spansAlongside;
    const heapUsed = await metric(ctx.port, 'nodejs_heap_size_used_bytes');
    ctx.details.connection_errors = connectionErrors;
    ctx.details.spans_during_flood = { answers: during.byStatus, first_non_2xx: during.firstNon2xx };
    ctx.details.store_logs = await metric(ctx.port, 'traced_store_logs');
    ctx.details.store_log_mib = mib(await metric(ctx.port, 'traced_store_log_bytes'));
    ctx.details.heap_used_mib = mib(heapUsed);
    // The collector runs the same Node with the same flags: its heap limit is this process's.
    ctx.details.heap_share = heapUsed === undefined ? null : Number((heapUsed / getHeapStatistics().heap_size_limit).toFixed(3));
  },
  summarize: (d) =>
    `one full request alone: ${d.one_request_alone.status} in ${d.one_request_alone.ms} ms; spans during the flood: ${JSON.stringify(d.spans_during_flood.answers)}; ` +
    `log store ${d.store_logs} lines, ${d.store_log_mib} MiB; heap ${d.heap_used_mib} MiB (${Math.round(d.heap_share * 100)}% of the limit)`,
};

/** ExportTraceServiceRequest as protobuf: `spans` minimal spans (ids, name, times), 10 a trace. */
function protobufRequest(run: number, spans: number): Buffer {
  const start = nowNs() - 1_000_000_000n;
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < spans; i++) {
    out.push({
      traceId: Buffer.from(hex(run, 8) + hex(Math.floor(i / 10), 24), 'hex'),
      spanId: Buffer.from(hex(run & 0xffff, 4) + hex(i + 1, 12), 'hex'),
      name: 'op',
      startTimeUnixNano: (start + BigInt(i)).toString(),
      endTimeUnixNano: (start + BigInt(i) + 1000n).toString(),
    });
  }
  const request = {
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] }, scopeSpans: [{ spans: out }] }],
  };
  return Buffer.from(exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(request)).finish());
}

export const hugeOtlpRequest: Reproduction = {
  id: '6',
  title: 'one OTLP request blocks everything (300k spans)',
  expected: `400 naming MAX_OTLP_SPANS_PER_REQUEST (${DEFAULT_MAX_OTLP_SPANS_PER_REQUEST}), counted on the wire before decoding: fast`,
  body: async (ctx) => {
    const body = protobufRequest(ctx.run, 300_000);
    const times = 3;
    ctx.sent(`${times} × POST /v1/traces, application/x-protobuf, 300,000 spans in ${body.length} B`);
    const ms: number[] = [];
    for (let i = 0; i < times; i++) {
      const r = ctx.answers.addAnswer(await request(ctx.port, 'POST', '/v1/traces', body, { contentType: 'application/x-protobuf', timeoutMs: 60_000 }));
      ms.push(Number(r.ms.toFixed(1)));
    }
    ctx.details.request_ms = ms;
    ctx.details.store_spans = await metric(ctx.port, 'traced_store_spans');
  },
  summarize: (d) => `answered in ${(d.request_ms as number[]).join(', ')} ms (client side, 15.6 MB upload included); ${d.store_spans} spans stored`,
};

/** OTLP/JSON: one trace of `n` spans, a tree of fan-out 4, in one request. */
function oneTraceOtlpJson(run: number, kind: number, n: number): Buffer {
  const traceId = hex(run, 8) + hex(kind, 8) + hex(n, 16);
  const start = nowNs() - 1_000_000_000n;
  const spanId = (i: number) => hex(kind, 4) + hex(i + 1, 12);
  const spans: string[] = [];
  for (let i = 0; i < n; i++) {
    const parent = i === 0 ? '' : `"parentSpanId":"${spanId((i - 1) >> 2)}",`;
    spans.push(
      `{"traceId":"${traceId}","spanId":"${spanId(i)}",${parent}"name":"op-${i % 11}","kind":2,` +
        `"startTimeUnixNano":"${start + BigInt(i) * 1000n}","endTimeUnixNano":"${start + BigInt(n) * 1000n}"}`,
    );
  }
  return Buffer.from(
    `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeSpans":[{"scope":{"name":"repro"},"spans":[${spans.join(',')}]}]}]}`,
  );
}

/** POST /spans bodies: one trace of `n` spans (the same tree), 500 spans a batch. */
function oneTraceSpanBatches(run: number, kind: number, n: number): Buffer[] {
  const start = nowNs() - 1_000_000_000n;
  const trace = uuidOf(run, kind, n);
  const span = (i: number) => uuidOf(run, kind | 0x8000, i);
  const batches: Buffer[] = [];
  for (let from = 0; from < n; from += 500) {
    const spans: string[] = [];
    for (let i = from; i < Math.min(n, from + 500); i++) {
      const parent = i === 0 ? '' : `"parent_span_id":"${span((i - 1) >> 2)}",`;
      spans.push(
        `{"trace_id":"${trace}","span_id":"${span(i)}",${parent}"service":"checkout","operation":"op-${i % 11}",` +
          `"start_time":${start + BigInt(i) * 1000n},"end_time":${start + BigInt(n) * 1000n},"status":"ok"}`,
      );
    }
    batches.push(Buffer.from(`{"spans":[${spans.join(',')}]}`));
  }
  return batches;
}

export const bigTrace: Reproduction = {
  id: '9',
  title: 'quadratic assembly of one big trace in one request',
  expected: `OTLP above ${DEFAULT_MAX_OTLP_SPANS_PER_REQUEST} spans: 400 naming the cap; at the cap: accepted, linear; 500-span batches: 202, flat per batch`,
  body: async (ctx) => {
    const sizes = [DEFAULT_MAX_OTLP_SPANS_PER_REQUEST, 2_500, 5_000, 20_000];
    ctx.sent(`POST /v1/traces (OTLP/JSON) holding one trace of N spans, N = ${sizes.join(', ')}; then each N again as 500-span POST /spans batches of one trace`);
    const otlp: Record<string, unknown> = {};
    for (const [k, n] of sizes.entries()) {
      const body = oneTraceOtlpJson(ctx.run, 0x90 + k, n);
      const r = ctx.answers.addAnswer(await request(ctx.port, 'POST', '/v1/traces', body, { timeoutMs: 60_000 }));
      otlp[n] = { status: r.status, ms: Number(r.ms.toFixed(1)), bytes: body.length };
    }
    const batches: Record<string, unknown> = {};
    for (const [k, n] of sizes.entries()) {
      const ms: number[] = [];
      const statuses: Record<number, number> = {};
      for (const body of oneTraceSpanBatches(ctx.run, 0xa0 + k, n)) {
        const r = ctx.answers.addAnswer(await request(ctx.port, 'POST', '/spans', body, { timeoutMs: 60_000 }));
        ms.push(r.ms);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
      batches[n] = { batches: ms.length, statuses, max_ms: Number(Math.max(...ms).toFixed(1)), last_ms: Number((ms[ms.length - 1] ?? NaN).toFixed(1)) };
    }
    ctx.details.otlp_json_one_request = otlp;
    ctx.details.spans_500_batches = batches;
    ctx.details.store_spans = await metric(ctx.port, 'traced_store_spans');
  },
  summarize: (d) =>
    'OTLP/JSON one request: ' +
    Object.entries(d.otlp_json_one_request as Record<string, { status: number; ms: number }>)
      .map(([n, r]) => `N=${n} ${r.status} in ${r.ms} ms`)
      .join(', ') +
    '; POST /spans 500-span batches (max / last ms): ' +
    Object.entries(d.spans_500_batches as Record<string, { max_ms: number; last_ms: number; statuses: Record<string, number> }>)
      .map(([n, r]) => `N=${n} ${r.max_ms} / ${r.last_ms} (${JSON.stringify(r.statuses)})`)
      .join(', '),
};
