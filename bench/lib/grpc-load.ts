// A closed-loop OTLP/gRPC load: `connections` HTTP/2 connections (as each SDK or Collector
// exporter holds one), each with one TraceService/Export call in flight. The calls are written
// with node:http2 directly (gRPC's framing is a 5-byte prefix on the message, the status a
// trailer), not through grpc-js's client: its per-call layers made the load generator, on its
// one core, the bottleneck of the first measurements (the collector's core sat a quarter idle).

import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { TRACE_SERVICE } from '../../src/grpc/otlp-grpc-server.js';

export interface GrpcLoadOptions {
  address: string;
  connections: number;
  durationMs: number;
  nextMessage: () => Buffer;
}

export interface GrpcLoadResult {
  requests: number;
  /** Answers by gRPC status code (0 OK; -1: the call ended without a status). */
  byCode: Record<number, number>;
  latenciesMs: Float64Array;
  elapsedMs: number;
}

/** The gRPC length-prefixed message: compressed flag 0, 4-byte big-endian length, the bytes. */
function framed(message: Buffer): Buffer {
  const prefix = Buffer.allocUnsafe(5);
  prefix[0] = 0;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

export async function runGrpcLoad(options: GrpcLoadOptions): Promise<GrpcLoadResult> {
  const path = TRACE_SERVICE.Export!.path;
  const headers = {
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: path,
    [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
    te: 'trailers',
  };
  const latencies: number[] = [];
  const byCode: Record<number, number> = {};
  let requests = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const runConnection = () =>
    new Promise<void>((resolve, reject) => {
      const session: ClientHttp2Session = connect(`http://${options.address}`);
      session.on('error', reject);
      const send = () => {
        if (performance.now() >= deadline) {
          session.close(() => resolve());
          return;
        }
        const sentAt = performance.now();
        requests++;
        const stream = session.request(headers);
        let code = -1;
        // A refusal is trailers-only: grpc-status then comes with the response headers.
        stream.on('response', (h) => {
          if (h['grpc-status'] !== undefined) code = Number(h['grpc-status']);
        });
        stream.on('trailers', (t) => {
          if (t['grpc-status'] !== undefined) code = Number(t['grpc-status']);
        });
        stream.on('data', () => undefined);
        stream.on('close', () => {
          latencies.push(performance.now() - sentAt);
          byCode[code] = (byCode[code] ?? 0) + 1;
          send();
        });
        stream.end(framed(options.nextMessage()));
      };
      session.on('connect', send);
    });
  await Promise.all(Array.from({ length: options.connections }, runConnection));
  return { requests, byCode, latenciesMs: Float64Array.from(latencies), elapsedMs: performance.now() - started };
}
