// The demo: a collector and three services on one machine, a stream of requests through them,
// and every trace printed as a tree from what the collector assembled.
//
//   load ─▶ gateway (our SDK, Fastify) ─▶ checkout (OpenTelemetry SDK, OTLP/protobuf)
//                                             ├─▶ inventory (our SDK, Fastify)   slow path: bulky-sofa
//                                             └─▶ payment   (our SDK, plain http) declined / crashing cards
//
// Every service logs with pino; the lines carry trace_id / span_id and are shipped to POST /logs.

import type { AddressInfo } from 'node:net';
import { buildApp } from '../src/app.js';
import type { Config } from '../src/config.js';
import { MinuteLogStore } from '../src/logs/minute-log-store.js';
import { BucketStore } from '../src/store/buckets/bucket-store.js';
import { systemClock } from '../src/time/clock.js';
import { renderTraceTree, type ReadableSpan } from '../sdk/src/index.js';
import { startCheckout } from './services/checkout.js';
import { sleep, type RunningService } from './services/common.js';
import { startGateway } from './services/gateway.js';
import { SLOW_ITEM, startInventory } from './services/inventory.js';
import { CRASHING_CARD, DECLINED_CARD, startPayment } from './services/payment.js';

export interface Scenario {
  name: string;
  item: string;
  qty: number;
  card: string;
}

/** The request mix, cycled in order so that a few seconds show every path. */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'order', item: 'espresso-beans', qty: 2, card: '4242-4242-4242-4242' },
  { name: 'slow path', item: SLOW_ITEM, qty: 1, card: '4242-4242-4242-4242' },
  { name: 'order', item: 'milk-frother', qty: 1, card: '5555-5555-5555-4444' },
  { name: 'out of stock', item: 'unobtainium', qty: 1, card: '4242-4242-4242-4242' },
  { name: 'order', item: 'espresso-beans', qty: 1, card: '5555-5555-5555-4444' },
  { name: 'card declined', item: 'milk-frother', qty: 1, card: DECLINED_CARD },
  { name: 'order', item: 'espresso-beans', qty: 3, card: '4242-4242-4242-4242' },
  { name: 'payment crash', item: 'espresso-beans', qty: 1, card: CRASHING_CARD },
];

export interface DemoOptions {
  /** The collector's configuration (port 0 for a free one). */
  config: Config;
  /** Pause between requests. Default 400 ms. */
  intervalMs?: number;
  /** Where trees and status lines go. Default stdout. */
  write?: (text: string) => void;
  /** Print the tree of every trace (default) or only a status line per request. */
  printTrees?: boolean;
}

export interface DemoRequest {
  scenario: Scenario;
  status: number;
  traceId: string | undefined;
  ms: number;
}

export interface Demo {
  collectorUrl: string;
  services: Record<'gateway' | 'checkout' | 'inventory' | 'payment', string>;
  /** Requests answered so far. */
  readonly requests: readonly DemoRequest[];
  /** Stops the load, flushes every service, prints what is pending; the collector keeps serving. */
  stopLoad(): Promise<void>;
  /** stopLoad(), then stops the services and the collector. */
  close(): Promise<void>;
}

interface CollectorSpan {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  service: string;
  operation: string;
  start_time: string;
  end_time: string;
  status: 'ok' | 'error';
}

/** Collector JSON with int64 times read as exact text (JSON.parse would round them). */
function parseExact<T>(text: string): T {
  return JSON.parse(text.replace(/"(start_time|end_time|time)":(-?\d+)/g, '"$1":"$2"')) as T;
}

/** The collector's spans in the shape the SDK's tree renderer takes. */
function asReadable(span: CollectorSpan): ReadableSpan {
  const start = BigInt(span.start_time);
  return {
    traceUuid: span.trace_id,
    spanUuid: span.span_id,
    parentSpanUuid: span.parent_span_id,
    parentIsRemote: false,
    service: span.service,
    name: span.operation,
    kind: 'internal',
    startTimeNs: start,
    endTimeNs: BigInt(span.end_time),
    status: span.status,
    tags: {},
    ended: true,
  };
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const intervalMs = options.intervalMs ?? 400;
  const { config } = options;

  const store = new BucketStore({ clock: systemClock, windowMinutes: config.windowMinutes });
  const logStore = new MinuteLogStore({ clock: systemClock, windowMinutes: config.windowMinutes });
  const collector = await buildApp({ config, store, logStore, logger: { level: 'warn' } });
  await collector.app.listen({ port: config.port, host: config.host });
  const { port } = collector.app.server.address() as AddressInfo;
  const collectorUrl = `http://127.0.0.1:${port}`;

  // Downstream first, so each service knows where to call.
  const inventory = await startInventory(collectorUrl);
  const payment = await startPayment(collectorUrl);
  const checkout = await startCheckout(collectorUrl, inventory.url, payment.url);
  const gateway = await startGateway(collectorUrl, checkout.url);
  const services: RunningService[] = [gateway, checkout, inventory, payment];

  const requests: DemoRequest[] = [];
  const printing: Array<Promise<void>> = [];
  let running = true;

  /** Waits until the collector's copy of the trace stops growing, then prints its tree. */
  async function printTrace(request: DemoRequest, index: number): Promise<void> {
    const label = `#${index} ${request.scenario.name}: GET /checkout?item=${request.scenario.item} → ${request.status} in ${request.ms} ms`;
    if (request.traceId === undefined || options.printTrees === false) {
      write(`${label}\n`);
      return;
    }
    let spans: CollectorSpan[] = [];
    let stableReads = 0;
    for (let attempt = 0; attempt < 30 && stableReads < 2; attempt++) {
      await sleep(150);
      const res = await fetch(`${collectorUrl}/traces/${request.traceId}`);
      const next = res.ok ? parseExact<{ spans: CollectorSpan[] }>(await res.text()).spans : [];
      stableReads = next.length > 0 && next.length === spans.length ? stableReads + 1 : 0;
      spans = next;
    }
    const logs = await fetch(`${collectorUrl}/traces/${request.traceId}/logs`);
    const logCount = logs.ok ? (JSON.parse(await logs.text()) as { logs: unknown[] }).logs.length : 0;
    const root = spans.find((s) => s.parent_span_id === undefined);
    const services = new Set(spans.map((s) => s.service));
    let out = `\n${label}  (${spans.length} spans from ${services.size} services, ${logCount} log lines)\n`;
    out += root === undefined ? `trace ${request.traceId}: root not received\n` : renderTraceTree(asReadable(root), spans.map(asReadable));
    write(out);
  }

  const load = (async () => {
    for (let i = 0; running; i++) {
      const scenario = SCENARIOS[i % SCENARIOS.length]!;
      const started = performance.now();
      let status = 0;
      let traceId: string | undefined;
      try {
        const query = new URLSearchParams({ item: scenario.item, qty: String(scenario.qty), card: scenario.card });
        const res = await fetch(`${gateway.url}/checkout?${query}`);
        await res.arrayBuffer();
        status = res.status;
        traceId = res.headers.get('x-trace-id') ?? undefined;
      } catch (error) {
        write(`#${i + 1} ${scenario.name}: request failed: ${(error as Error).message}\n`);
      }
      const request: DemoRequest = { scenario, status, traceId, ms: Math.round(performance.now() - started) };
      requests.push(request);
      printing.push(printTrace(request, i + 1).catch((error: unknown) => write(`could not print trace: ${(error as Error).message}\n`)));
      if (running) await sleep(intervalMs);
    }
  })();

  let loadStopped: Promise<void> | undefined;
  const stopLoad = (): Promise<void> =>
    (loadStopped ??= (async () => {
      running = false;
      await load;
      await Promise.all(services.map((s) => s.flush()));
      await Promise.all(printing);
    })());

  let closed: Promise<void> | undefined;
  return {
    collectorUrl,
    services: { gateway: gateway.url, checkout: checkout.url, inventory: inventory.url, payment: payment.url },
    requests,
    stopLoad,
    close: () =>
      (closed ??= (async () => {
        await stopLoad();
        for (const service of services) await service.close();
        await collector.app.close();
      })()),
  };
}
