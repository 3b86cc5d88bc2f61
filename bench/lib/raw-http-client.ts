// Minimal keep-alive HTTP/1.1 clients over raw sockets. General-purpose clients spend tens of
// microseconds per request on header objects, streams and promises, and make garbage of their
// own; on a shared 2-core machine that would make the client, not the collector, the bottleneck
// (ingest) or the source of the latency tail (queries). Each connection sends one request, waits
// for its response (so latencies are per request), and repeats.

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
  /** Content-Type of every request (default application/json). */
  contentType?: string;
  /** Sees every response, body and all (e.g. to keep the first refusal's text). */
  onResponse?: (response: RawResponse) => void;
}

export interface RawLoadResult {
  requests: number;
  byStatus: Record<number, number>;
  latenciesMs: Float64Array;
  elapsedMs: number;
}

export interface RawResponse {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = 'content-length:';

/**
 * Cuts complete responses out of a connection's byte stream. The collector always answers with
 * Content-Length (no chunked bodies on the routes measured), which keeps this small; a chunked
 * answer is an error rather than a silent misparse.
 */
export class ResponseReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds a chunk; calls `onResponse` for every response it completes. */
  push(chunk: Buffer, onResponse: (response: RawResponse) => void): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const headerEnd = this.pending.indexOf(HEADER_END);
      if (headerEnd < 0) return;
      const status = Number(this.pending.toString('latin1', 9, 12));
      const header = this.pending.subarray(0, headerEnd).toString('latin1').toLowerCase();
      const clAt = header.indexOf(CONTENT_LENGTH);
      if (clAt < 0 && header.includes('transfer-encoding: chunked')) throw new Error('raw client: chunked responses are not supported');
      const length = clAt < 0 ? 0 : parseInt(header.slice(clAt + CONTENT_LENGTH.length), 10);
      const total = headerEnd + 4 + length;
      if (this.pending.length < total) return;
      const body = this.pending.subarray(headerEnd + 4, total);
      this.pending = this.pending.subarray(total);
      onResponse({ status, body });
    }
  }
}

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
      const reader = new ResponseReader();
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
        const head = `POST ${options.path} HTTP/1.1\r\nHost: ${options.host}\r\nContent-Type: ${options.contentType ?? 'application/json'}\r\nContent-Length: ${body.length}\r\n\r\n`;
        // From the scheduled time when the send is late (the wait is part of what a client feels),
        // from the actual send when a timer fired a fraction of a millisecond early.
        sentAt = Math.min(at, performance.now());
        requests++;
        socket.write(Buffer.concat([Buffer.from(head), body]));
      };
      const onResponse = (response: RawResponse): void => {
        latencies.push(performance.now() - sentAt);
        byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
        options.onResponse?.(response);
        send();
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => reader.push(chunk, onResponse));
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });

  await Promise.all(Array.from({ length: options.connections }, runConnection));
  return { requests, byStatus, latenciesMs: Float64Array.from(latencies), elapsedMs: performance.now() - started };
}

/** One keep-alive connection for sequential GETs, each timed from write to last body byte. */
export class RawGetConnection {
  private readonly reader = new ResponseReader();
  private waiting: { resolve: (response: RawResponse) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
  ) {
    const fail = (error: Error): void => {
      this.failure ??= error;
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(this.failure);
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk, (response) => {
          const waiting = this.waiting;
          this.waiting = null;
          waiting?.resolve(response);
        });
      } catch (error) {
        fail(error as Error);
        socket.destroy();
      }
    });
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('raw client: connection closed')));
  }

  static open(host: string, port: number): Promise<RawGetConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.once('connect', () => resolve(new RawGetConnection(socket, host)));
      socket.once('error', reject);
    });
  }

  get(path: string): Promise<RawResponse & { ms: number }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const started = performance.now();
      this.waiting = { resolve: (response) => resolve({ ...response, ms: performance.now() - started }), reject };
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${this.host}\r\n\r\n`);
    });
  }

  close(): void {
    this.socket.end();
  }
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
