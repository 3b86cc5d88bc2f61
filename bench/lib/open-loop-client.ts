// An open-loop load: requests arrive as a Poisson process at a rate that may change over time,
// whatever the server does, like the spans of many independent services. Each arrival takes an
// idle keep-alive connection from a pool (opening one, up to `maxConnections`) or waits for one;
// its latency counts from its arrival, so a slow server is not hidden by the client waiting
// (coordinated omission). Refused requests are not retried: in an open loop, the offered load
// does not depend on the answers.

import { connect, type Socket } from 'node:net';
import { exponential, seededRandom } from '../../tools/emit/random.js';
import { ResponseReader } from './raw-http-client.js';

export interface OpenLoadOptions {
  host: string;
  port: number;
  path: string;
  durationMs: number;
  /** Arrivals per second at `elapsedMs` into the run. */
  ratePerSec: (elapsedMs: number) => number;
  maxConnections: number;
  nextBody: () => Buffer;
  seed?: number;
}

export interface OpenLoadResult {
  /** Per answered request, in completion order: arrival and answer (ms from the start), status. */
  arrivedAtMs: Float64Array;
  answeredAtMs: Float64Array;
  status: Uint16Array;
  /** Requests that arrived (answered or not). */
  arrivals: number;
  /** Connections the pool opened. */
  connections: number;
  elapsedMs: number;
}

export async function runOpenLoad(o: OpenLoadOptions): Promise<OpenLoadResult> {
  const arrivedAt: number[] = [];
  const answeredAt: number[] = [];
  const statuses: number[] = [];
  const random = seededRandom(o.seed ?? 12345);
  const started = performance.now();
  const backlog: number[] = [];
  let backlogHead = 0;
  const idle: Connection[] = [];
  const all: Connection[] = [];
  let opening = 0;
  let arrivals = 0;
  let nextArrival = 0;
  let stopping = false;

  interface Connection {
    socket: Socket;
    reader: ResponseReader;
    arrivedAt: number;
  }

  const send = (c: Connection, at: number): void => {
    c.arrivedAt = at;
    const body = o.nextBody();
    const head = `POST ${o.path} HTTP/1.1\r\nHost: ${o.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    c.socket.write(Buffer.concat([Buffer.from(head), body]));
  };
  const dispatch = (): void => {
    if (stopping) return;
    while (backlogHead < backlog.length) {
      const c = idle.pop();
      if (c === undefined) {
        if (all.length + opening < o.maxConnections) open();
        return;
      }
      send(c, backlog[backlogHead++]!);
    }
    backlog.length = 0;
    backlogHead = 0;
  };
  const open = (): void => {
    opening++;
    const socket = connect({ host: o.host, port: o.port, noDelay: true });
    const c: Connection = { socket, reader: new ResponseReader(), arrivedAt: 0 };
    socket.on('connect', () => {
      opening--;
      all.push(c);
      idle.push(c);
      dispatch();
    });
    socket.on('data', (chunk: Buffer) =>
      c.reader.push(chunk, ({ status }) => {
        const now = performance.now() - started;
        arrivedAt.push(c.arrivedAt);
        answeredAt.push(now);
        statuses.push(status);
        idle.push(c);
        dispatch();
      }),
    );
    socket.on('error', () => undefined);
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now() - started;
      if (now >= o.durationMs) {
        stopping = true;
        return resolve();
      }
      while (nextArrival <= now) {
        backlog.push(nextArrival);
        arrivals++;
        nextArrival += exponential(random, o.ratePerSec(nextArrival) / 1000);
      }
      dispatch();
      setTimeout(tick, 1);
    };
    tick();
  });
  // Requests still in flight get a moment to be answered; the rest count as arrived, unanswered.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const c of all) c.socket.destroy();
  return {
    arrivedAtMs: Float64Array.from(arrivedAt),
    answeredAtMs: Float64Array.from(answeredAt),
    status: Uint16Array.from(statuses),
    arrivals,
    connections: all.length,
    elapsedMs: o.durationMs,
  };
}
