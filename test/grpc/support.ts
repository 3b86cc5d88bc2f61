// Support for the OTLP/gRPC tests: a collector (test/otlp/support.ts) whose gRPC server listens
// on 127.0.0.1:0, and a raw grpc-js client that sends message bytes as they are (so tests can send
// truncated or oversized ones) and reads back the status, its RetryInfo trailer and the response.

import { credentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { LOGS_SERVICE, TRACE_SERVICE } from '../../src/grpc/otlp-grpc-server.js';
import { STATUS_DETAILS_TRAILER } from '../../src/grpc/grpc-status.js';
import { decodeStatusWithRetryInfo } from '../../src/otlp/protobuf-codec.js';
import type { Api } from '../support/http.js';
import { startOtlpCollector, type OtlpCollectorOptions } from '../otlp/support.js';

export interface GrpcCollector {
  api: Api;
  /** host:port of the gRPC server. */
  address: string;
}

export async function startGrpcCollector(options: OtlpCollectorOptions = {}): Promise<GrpcCollector> {
  const api = await startOtlpCollector(options);
  const port = await api.collector.grpc.listen('127.0.0.1', 0);
  return { api, address: `127.0.0.1:${port}` };
}

export interface RawAnswer {
  /** 0 OK, 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE, … */
  code: number;
  details: string;
  /** The response message (OK only). */
  response?: Buffer;
  /** The google.rpc.Status of the grpc-status-details-bin trailer, when there is one. */
  statusDetails?: ReturnType<typeof decodeStatusWithRetryInfo>;
}

/** One Export call with `message` as its bytes; gzip compresses it on the wire (grpc-encoding). */
export function exportRaw(address: string, service: 'trace' | 'logs', message: Buffer, options: { gzip?: boolean; deadlineMs?: number } = {}): Promise<RawAnswer> {
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    ...(options.gzip === true ? { 'grpc.default_compression_algorithm': 2 } : {}),
  });
  const method = (service === 'trace' ? TRACE_SERVICE : LOGS_SERVICE).Export!;
  return new Promise<RawAnswer>((resolve) => {
    client.makeUnaryRequest(
      method.path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      message,
      new Metadata(),
      { deadline: Date.now() + (options.deadlineMs ?? 10_000) },
      (error: ServiceError | null, response?: Buffer) => {
        client.close();
        if (error === null) return resolve({ code: 0, details: '', response });
        const trailer = error.metadata?.get(STATUS_DETAILS_TRAILER)[0];
        resolve({ code: error.code, details: error.details, statusDetails: trailer === undefined ? undefined : decodeStatusWithRetryInfo(trailer as Buffer) });
      },
    );
  });
}
