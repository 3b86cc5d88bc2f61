// Logs correlated end to end: a service traced with our SDK logs with pino + pinoTraceMixin and
// ships the lines with TracedLogShipper; the collector (127.0.0.1:0) returns them for the trace,
// each pointing at a span the trace holds, with times inside that span.

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  nanosecondTimestamp,
  pinoTraceMixin,
  SimpleSpanProcessor,
  TracedHttpExporter,
  TracedLogShipper,
  TracedTracer,
} from '../../sdk/src/index.js';
import type { Api, JsonObject } from '../support/http.js';
import { spansById, startOtlpCollector } from '../otlp/support.js';

let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('pino lines shipped to POST /logs', () => {
  it('come back from GET /traces/{id}/logs beside the trace, each on its span and inside its time', async () => {
    api = await startOtlpCollector({ nowMs: 'system' });
    const tracer = new TracedTracer({ service: 'checkout', processor: new SimpleSpanProcessor(new TracedHttpExporter({ url: api.baseUrl })) });
    const shipper = new TracedLogShipper({ url: api.baseUrl, service: 'checkout' });
    const log = pino({ mixin: pinoTraceMixin(), timestamp: nanosecondTimestamp, level: 'debug' }, shipper);

    let traceUuid = '';
    await tracer.startActiveSpan('place_order', async (root) => {
      traceUuid = (root as unknown as { traceUuid: string }).traceUuid;
      log.info({ order_id: 'o-7' }, 'order received');
      await tracer.startActiveSpan('charge_card', async (charge) => {
        log.error({ err: { type: 'CardDeclined' } }, 'card declined');
        charge.setStatus('error');
        charge.end();
      });
      log.debug('responding');
      root.end();
    });
    await tracer.forceFlush();
    await shipper.flush();
    expect(shipper.stats()).toMatchObject({ sentLines: 3, droppedLines: 0 });

    const spans = await spansById(api, traceUuid);
    const res = await api.get(`/traces/${traceUuid}/logs`);
    expect(res.status).toBe(200);
    const logs = (res.json as { logs: JsonObject[] }).logs;
    expect(logs.map((l) => [l.level, l.message])).toEqual([
      ['info', 'order received'],
      ['error', 'card declined'],
      ['debug', 'responding'],
    ]);
    expect(logs[0]!.attributes).toEqual({ order_id: 'o-7' });
    expect(logs[1]!.attributes).toEqual({ err: '{"type":"CardDeclined"}' });
    for (const line of logs) {
      const span = spans.get(String(line.span_id));
      expect(span, `span of "${String(line.message)}"`).toBeDefined();
      expect(BigInt(String(line.time))).toBeGreaterThanOrEqual(BigInt(String(span!.start_time)));
      expect(BigInt(String(line.time))).toBeLessThanOrEqual(BigInt(String(span!.end_time)));
    }
    expect(spans.get(String(logs[1]!.span_id))!.operation).toBe('charge_card');
    await shipper.shutdown();
    await tracer.shutdown();
  });
});
