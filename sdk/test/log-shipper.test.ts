import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { nanosecondTimestamp, TracedLogShipper } from '../src/log-shipper.js';
import { pinoTraceMixin } from '../src/pino.js';
import { TracedTracer } from '../src/tracer.js';

/** Records POST /logs bodies on 127.0.0.1 and answers from a script (then 202). */
class FakeLogCollector {
  readonly bodies: string[] = [];
  readonly replies: Array<{ status: number; headers?: Record<string, string> }> = [];
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.bodies.push(body);
        const next = this.replies.shift();
        if (next !== undefined) {
          res.writeHead(next.status, next.headers).end('{"error":"scripted"}');
          return;
        }
        const count = (JSON.parse(body) as { logs: unknown[] }).logs.length;
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', accepted: count, discarded: 0 }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Every shipped record, with `time` as its exact digits. */
  records(): Array<Record<string, unknown>> {
    return this.bodies.flatMap((body) =>
      (JSON.parse(body.replace(/"time":(\d+)/g, '"time":"$1"')) as { logs: Array<Record<string, unknown>> }).logs,
    );
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let collector: FakeLogCollector;
let shipper: TracedLogShipper | undefined;
afterEach(async () => {
  await shipper?.shutdown();
  shipper = undefined;
  await collector?.stop();
});

describe('TracedLogShipper', () => {
  it('ships pino lines logged inside spans as correlated log records, and skips lines outside any trace', async () => {
    collector = await new FakeLogCollector().start();
    shipper = new TracedLogShipper({ url: collector.url, service: 'checkout' });
    const log = pino({ mixin: pinoTraceMixin(), timestamp: nanosecondTimestamp }, shipper);
    const tracer = new TracedTracer({ service: 'checkout' });
    let ids: { traceUuid: string; spanUuid: string } | undefined;
    await tracer.startActiveSpan('place_order', async (span) => {
      ids = span as unknown as { traceUuid: string; spanUuid: string };
      log.info({ order: { id: 'o-1', items: 2 }, retry: false }, 'order placed');
      log.warn('stock low');
      span.end();
    });
    log.info('outside any span');
    await shipper.flush();

    const records = collector.records();
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({
      time: expect.stringMatching(/^\d{19}$/),
      trace_id: ids!.traceUuid,
      span_id: ids!.spanUuid,
      service: 'checkout',
      level: 'info',
      message: 'order placed',
      attributes: { order: '{"id":"o-1","items":2}', retry: 'false' },
    });
    expect(records[1]).toMatchObject({ level: 'warn', message: 'stock low' });
    expect(records[1]).not.toHaveProperty('attributes'); // pid and hostname are left out
    expect(BigInt(records[1]!.time as string)).toBeGreaterThan(BigInt(records[0]!.time as string));
    expect(shipper.stats()).toMatchObject({ sentLines: 2, uncorrelatedLines: 1, droppedLines: 0, bufferedLines: 0 });
  });

  it('reads pino millisecond times too, maps levels, and keeps records within the collector limits', async () => {
    collector = await new FakeLogCollector().start();
    shipper = new TracedLogShipper({ url: collector.url, service: 'svc' });
    const trace = { trace_id: '4BF92F35-77B3-4DA6-A3CE-929D0E0E4736' };
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    shipper.write(JSON.stringify({ level: 30, time: 1713484800123, ...trace, msg: 'ms time' }) + '\n');
    shipper.write(JSON.stringify({ level: 60, time: '2024-04-19T00:00:00.5Z', ...trace, msg: 'x'.repeat(9000), long: 'y'.repeat(2000), ...many }) + '\n');
    shipper.write(JSON.stringify({ level: 35, time: 1, ...trace }) + '\n');
    shipper.write('not json\n');
    await shipper.flush();
    const [ms, big, custom] = collector.records();
    expect(ms).toMatchObject({ time: '1713484800123000000', trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', level: 'info' });
    expect(big!.time).toBe('1713484800500000000');
    expect(big!.level).toBe('fatal');
    expect((big!.message as string).length).toBe(8192);
    const attributes = big!.attributes as Record<string, string>;
    expect(Object.keys(attributes)).toHaveLength(50);
    expect(attributes.long).toHaveLength(1024);
    expect(custom).toMatchObject({ level: 'info', message: '' }); // a custom level 35 rounds down to info
    expect(shipper.stats().droppedLines).toBe(1);
  });

  it('retries 503 with Retry-After, then gives up after maxAttempts and counts the lines', async () => {
    collector = await new FakeLogCollector().start();
    collector.replies.push({ status: 503, headers: { 'retry-after': '0' } });
    shipper = new TracedLogShipper({ url: collector.url, service: 'svc', retry: { maxAttempts: 2, initialBackoffMs: 1 } });
    const line = JSON.stringify({ level: 30, time: 1713484800123, trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', msg: 'm' });
    shipper.write(line);
    await shipper.flush();
    expect(collector.bodies).toHaveLength(2);
    expect(shipper.stats()).toMatchObject({ sentLines: 1, droppedLines: 0 });

    collector.replies.push({ status: 503 }, { status: 503 });
    shipper.write(line);
    await shipper.flush();
    expect(collector.bodies).toHaveLength(4);
    expect(shipper.stats()).toMatchObject({ sentLines: 1, droppedLines: 1 });

    collector.replies.push({ status: 400 });
    shipper.write(line);
    await shipper.flush();
    expect(collector.bodies).toHaveLength(5); // 400 is not retried
    expect(shipper.stats().droppedLines).toBe(2);
  });

  it('sends a full batch at once, without waiting for the timer', async () => {
    collector = await new FakeLogCollector().start();
    shipper = new TracedLogShipper({ url: collector.url, service: 'svc', maxBatchSize: 3, scheduledDelayMs: 60_000 });
    const line = JSON.stringify({ level: 30, time: 1713484800123, trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', msg: 'm' });
    for (let i = 0; i < 3; i++) shipper.write(line);
    const deadline = Date.now() + 5000;
    while (collector.bodies.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(collector.bodies).toHaveLength(1);
    expect((JSON.parse(collector.bodies[0]!) as { logs: unknown[] }).logs).toHaveLength(3);
  });

  it('cuts batches at maxBatchBytes of UTF-8 (the collector MAX_LOG_BODY_BYTES), keeping every line and their order', async () => {
    collector = await new FakeLogCollector().start();
    shipper = new TracedLogShipper({ url: collector.url, service: 'svc', maxBatchBytes: 2_000, scheduledDelayMs: 10 });
    // 300 characters of which 100 take two bytes in UTF-8: about 400 bytes a message.
    const text = (n: number) => `${n}:` + 'é'.repeat(100) + 'x'.repeat(200);
    for (let n = 0; n < 12; n++) {
      shipper.write(JSON.stringify({ level: 30, time: 1713484800123, trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', msg: text(n) }));
    }
    await shipper.shutdown();
    shipper = undefined;
    expect(collector.bodies.length).toBeGreaterThan(3);
    for (const body of collector.bodies) expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(2_000);
    expect(collector.records().map((r) => r.message)).toEqual(Array.from({ length: 12 }, (_, n) => text(n)));
  });

  it('bounds its buffer by dropping the oldest lines, and drops lines written after shutdown', async () => {
    collector = await new FakeLogCollector().start();
    shipper = new TracedLogShipper({ url: collector.url, service: 'svc', maxQueueSize: 2, scheduledDelayMs: 60_000 });
    for (const msg of ['a', 'b', 'c']) shipper.write(JSON.stringify({ level: 30, time: 1, trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', msg }));
    await shipper.shutdown();
    expect(collector.records().map((r) => r.message)).toEqual(['b', 'c']);
    shipper.write(JSON.stringify({ level: 30, time: 1, trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', msg: 'late' }));
    expect(shipper.stats()).toMatchObject({ sentLines: 2, droppedLines: 2 });
  });
});
