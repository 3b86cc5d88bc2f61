// A closed-loop OTLP/gRPC load: `connections` channels (each its own HTTP/2 connection, as each
// SDK or Collector exporter has one), each with one TraceService/Export call in flight, sending
// pre-built message bytes through grpc-js with identity serializers, so the client adds no
// protobuf work of its own.

import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { TRACE_SERVICE } from '../../src/grpc/otlp-grpc-server.js';

export interface GrpcLoadOptions {
  address: string;
  connections: number;
  durationMs: number;
  nextMessage: () => Buffer;
}

export interface GrpcLoadResult {
  requests: number;
  /** Answers by gRPC status code (0 OK). */
  byCode: Record<number, number>;
  latenciesMs: Float64Array;
  elapsedMs: number;
}

export async function runGrpcLoad(options: GrpcLoadOptions): Promise<GrpcLoadResult> {
  const path = TRACE_SERVICE.Export!.path;
  const latencies: number[] = [];
  const byCode: Record<number, number> = {};
  let requests = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const identity = (bytes: Buffer) => bytes;
  const runChannel = (index: number) =>
    new Promise<void>((resolve) => {
      // A distinct option per channel keeps grpc-js from sharing one subchannel between them.
      const client = new Client(options.address, credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'bench.channel': index });
      const send = () => {
        if (performance.now() >= deadline) {
          client.close();
          return resolve();
        }
        const sentAt = performance.now();
        requests++;
        client.makeUnaryRequest(path, identity, identity, options.nextMessage(), new Metadata(), {}, (error) => {
          latencies.push(performance.now() - sentAt);
          const code = error === null ? 0 : error.code;
          byCode[code] = (byCode[code] ?? 0) + 1;
          send();
        });
      };
      send();
    });
  await Promise.all(Array.from({ length: options.connections }, (_, i) => runChannel(i)));
  return { requests, byCode, latenciesMs: Float64Array.from(latencies), elapsedMs: performance.now() - started };
}
