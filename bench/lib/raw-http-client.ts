// A minimal keep-alive HTTP/1.1 load client over raw sockets. General-purpose clients spend
// tens of microseconds per request on header objects and streams; at 10k+ requests/s on a shared
// 2-core machine that would make the client, not the collector, the bottleneck. Each connection
// sends one request, waits for its response (so latencies are per request), and repeats.

import { connect, type Socket } from 'node:net';

export interface RawLoadOptions {
  host: string;
  port: number;
  connections: number;
  durationMs: number;
  /** Produces the next request: method line + headers are added here. */
  nextBody: () => Buffer;
  path: string;
  /** Stop early after this many requests (0 = no cap). */
  maxRequests?: number;
  /** Requests/s across all connections (0 = as fast as possible). */
  ratePerSec?: number;
}

export interface RawLoadResult {
  requests: number;
  byStatus: Record<number, number>;
  latenciesMs: Float64Array;
  elapsedMs: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('content-length:');

export async function runRawLoad(options: RawLoadOptions): Promise<RawLoadResult> {
  const latencies: number[] = [];
  const byStatus: Record<number, number> = {};
  let requests = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const interval = options.ratePerSec ? 1000 / options.ratePerSec : 0;
  let nextSendAt = started;

  const runConnection = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
      let pending: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = (): void => {
        const now = performance.now();
        if (now >= deadline || (options.maxRequests && requests >= options.maxRequests)) {
          socket.end();
          return;
        }
        if (interval > 0) {
          // Open-loop pacing: each request has a scheduled time; latency counts from it, so a
          // slow server is not hidden by the client waiting (coordinated omission).
          const slot = nextSendAt;
          nextSendAt += interval;
          if (slot > now) {
            setTimeout(() => write(slot), slot - now);
            return;
          }
          write(slot);
          return;
        }
        write(now);
      };
      const write = (at: number): void => {
        const body = options.nextBody();
        const head = `POST ${options.path} HTTP/1.1\r\nHost: ${options.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
        // From the scheduled time when the send is late (the wait is part of what a client feels),
        // from the actual send when a timer fired a fraction of a millisecond early.
        sentAt = Math.min(at, performance.now());
        requests++;
        socket.write(Buffer.concat([Buffer.from(head), body]));
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const headerEnd = pending.indexOf(HEADER_END);
          if (headerEnd < 0) return;
          const status = Number(pending.toString('latin1', 9, 12));
          const header = pending.subarray(0, headerEnd).toString('latin1').toLowerCase();
          const clAt = header.indexOf(CONTENT_LENGTH.toString());
          const length = clAt < 0 ? 0 : parseInt(header.slice(clAt + CONTENT_LENGTH.length), 10);
          const total = headerEnd + 4 + length;
          if (pending.length < total) return;
          pending = pending.subarray(total);
          latencies.push(performance.now() - sentAt);
          byStatus[status] = (byStatus[status] ?? 0) + 1;
          send();
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });

  await Promise.all(Array.from({ length: options.connections }, runConnection));
  return { requests, byStatus, latenciesMs: Float64Array.from(latencies), elapsedMs: performance.now() - started };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
