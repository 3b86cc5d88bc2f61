import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CollectorReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface ReceivedBatch {
  /** The request body exactly as sent. */
  readonly raw: string;
  /** Parsed with JSON.parse: fine for ids and strings; times must be read from `raw` (int64). */
  readonly spans: Array<Record<string, unknown>>;
}

/**
 * A stand-in for the Traced collector on 127.0.0.1: records every `POST /spans` body and answers
 * from a script of replies (then 202 with the contract's counts once the script runs out).
 */
export class FakeCollector {
  readonly batches: ReceivedBatch[] = [];
  private readonly script: CollectorReply[] = [];
  private server: http.Server | undefined;
  url = '';

  /** Replies for the next requests, in order. */
  reply(...replies: CollectorReply[]): void {
    this.script.push(...replies);
  }

  get spanCount(): number {
    return this.batches.reduce((n, b) => n + b.spans.length, 0);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/spans') {
          res.writeHead(404).end();
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = JSON.parse(raw) as { spans: Array<Record<string, unknown>> };
        this.batches.push({ raw, spans: parsed.spans });
        const next = this.script.shift();
        if (next !== undefined) {
          res.writeHead(next.status, next.headers).end(next.body ?? '');
          return;
        }
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'ok', accepted: parsed.spans.length, discarded: 0 }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A URL on 127.0.0.1 where nothing listens: bind port 0, note it, close. */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
