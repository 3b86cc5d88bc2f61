// An open-loop load: requests arrive as a Poisson process at a rate that may change over time,
// whatever the server does, like the spans of many independent services. Each arrival takes an
// idle keep-alive connection from a pool (opening one, up to `maxConnections`) or waits for one;
// its latency counts from its arrival, so a slow server is not hidden by the client waiting
// (coordinated omission). Refused requests are not retried: in an open loop, the offered load
// does not depend on the answers.
//
// Arrivals that find `maxBacklog` others already waiting for a connection are dropped here, as an
// exporter drops spans when its queue is full (the OpenTelemetry SDK's batch processor holds
// 2,048). One core of this machine cannot send 20 KB bodies at many times a collector core's
// capacity: without the bound, what the generator could not send at 5× would still be sent, as
// 2.7×, seconds after the burst that made it.

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
  /** Arrivals that may wait for a connection at once; those beyond it are dropped. Unbounded by default. */
  maxBacklog?: number;
}

export interface OpenLoadResult {
  /** Per answered request, in completion order: arrival, send and answer (ms from the start), status. */
  arrivedAtMs: Float64Array;
  /** When the request was written to its connection: later than its arrival when none was idle. */
  sentAtMs: Float64Array;
  answeredAtMs: Float64Array;
  status: Uint16Array;
  /** Requests that arrived (answered, unanswered or dropped). */
  arrivals: number;
  /** Arrivals dropped because `maxBacklog` others were waiting: never sent. */
  dropped: number;
  /** Connections the pool opened. */
  connections: number;
  elapsedMs: number;
  /** This process's CPU time over the run, in seconds: near elapsed, the load generator was the limit. */
  clientCpuSeconds: number;
}

export async function runOpenLoad(o: OpenLoadOptions): Promise<OpenLoadResult> {
  const arrivedAt: number[] = [];
  const sentAt: number[] = [];
  const answeredAt: number[] = [];
  const statuses: number[] = [];
  const random = seededRandom(o.seed ?? 12345);
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const backlog: number[] = [];
  let backlogHead = 0;
  const idle: Connection[] = [];
  const all: Connection[] = [];
  let opening = 0;
  let arrivals = 0;
  let dropped = 0;
  const maxBacklog = o.maxBacklog ?? Infinity;
  let nextArrival = 0;
  let stopping = false;

  interface Connection {
    socket: Socket;
    reader: ResponseReader;
    arrivedAt: number;
    sentAt: number;
  }

  const heads = new Map<number, Buffer>();
  const send = (c: Connection, at: number): void => {
    c.arrivedAt = at;
    c.sentAt = performance.now() - started;
    const body = o.nextBody();
    let head = heads.get(body.length);
    if (head === undefined) {
      head = Buffer.from(`POST ${o.path} HTTP/1.1\r\nHost: ${o.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      heads.set(body.length, head);
    }
    // One writev, without copying the body behind its head.
    c.socket.cork();
    c.socket.write(head);
    c.socket.write(body);
    c.socket.uncork();
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
    const c: Connection = { socket, reader: new ResponseReader(), arrivedAt: 0, sentAt: 0 };
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
        sentAt.push(c.sentAt);
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
        if (backlog.length - backlogHead < maxBacklog) backlog.push(nextArrival);
        else dropped++;
        arrivals++;
        nextArrival += exponential(random, o.ratePerSec(nextArrival) / 1000);
      }
      dispatch();
      setTimeout(tick, 1);
    };
    tick();
  });
  const cpu = process.cpuUsage(cpuAtStart);
  // Requests still in flight get a moment to be answered; the rest count as arrived, unanswered.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const c of all) c.socket.destroy();
  return {
    arrivedAtMs: Float64Array.from(arrivedAt),
    sentAtMs: Float64Array.from(sentAt),
    answeredAtMs: Float64Array.from(answeredAt),
    status: Uint16Array.from(statuses),
    arrivals,
    dropped,
    connections: all.length,
    elapsedMs: o.durationMs,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
