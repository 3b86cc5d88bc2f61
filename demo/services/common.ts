// Small pieces the demo services share: listening on a free port, reading a body, waiting,
// and a pino logger that ships its lines to the collector.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { nanosecondTimestamp, TracedLogShipper } from '../../sdk/src/index.js';

export interface RunningService {
  name: string;
  url: string;
  /** Exports what is buffered (spans and log lines). */
  flush(): Promise<void>;
  /** Stops serving, flushes and stops the exporters. */
  close(): Promise<void>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function listenOnFreePort(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function readBody(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A pino logger whose lines go to the collector's POST /logs (and nowhere else: the demo's
 * console shows trace trees). `mixin` adds trace_id / span_id to lines logged inside a span.
 */
export function shippedLogger(collectorUrl: string, service: string, mixin: () => Record<string, string>): { log: Logger; shipper: TracedLogShipper } {
  const shipper = new TracedLogShipper({ url: collectorUrl, service, scheduledDelayMs: 200 });
  const log = pino({ base: undefined, mixin, timestamp: nanosecondTimestamp }, shipper);
  return { log, shipper };
}
