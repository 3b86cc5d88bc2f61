// The OTLP/gRPC server: opentelemetry.proto.collector.trace.v1.TraceService/Export and
// opentelemetry.proto.collector.logs.v1.LogsService/Export on OTLP_GRPC_PORT (4317), beside the
// HTTP server and into the same writers, admission control and ingest log (export-call.ts).
//
// The method paths come from the vendored descriptor (otlp/proto/), and the messages travel as
// raw bytes (identity serializers): the HTTP path's protobuf decoder reads them, once.
// grpc-js accepts gzip (and deflate) messages and holds a message, decompressed, to
// MAX_BODY_BYTES, the limit of POST /v1/traces; larger ones are RESOURCE_EXHAUSTED, unread.
// Log messages are then held to MAX_LOG_BODY_BYTES, the limit of POST /logs and /v1/logs.

import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import type { AdmissionControl } from '../http/admission/admission-control.js';
import type { RefusalGate } from '../http/admission/refusal-gate.js';
import type { CollectorMetrics } from '../http/collector-metrics.js';
import type { DrainableServer } from '../http/drain.js';
import { exportLogs, exportTraces, logBudgetProblem, secondsToNextMinute } from '../http/otlp-export.js';
import type { LogStore } from '../logs/log-store.js';
import { decodeLogsRequest, decodeTraceRequest, exportResponseBody, logsExportResponseBody } from '../otlp/otlp-body.js';
import { OtlpDecodeError } from '../otlp/otlp-request.js';
import { otlpRoot } from '../otlp/protobuf-codec.js';
import type { TraceWriter } from '../store/writer.js';
import { exportHandler } from './export-call.js';

export interface OtlpGrpcOptions {
  /** The durable writer with STORAGE=disk, as the HTTP routes have it. */
  store: TraceWriter;
  /** The durable log store with STORAGE=disk. */
  logStore: LogStore;
  admission: AdmissionControl;
  gate: RefusalGate;
  metrics: CollectorMetrics;
  windowMinutes: number;
  maxBodyBytes: number;
  maxLogBodyBytes: number;
  maxLogs: number;
  maxLogBytes: number;
  /** MAX_OTLP_SPANS_PER_REQUEST: spans, or log records, one message may hold. */
  maxItemsPerRequest: number;
  logError: (error: unknown, message: string) => void;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** A unary method of the vendored schema, its messages passed through as bytes. */
function rawUnaryService(serviceName: string): ServiceDefinition {
  const service = otlpRoot.lookupService(serviceName);
  const methods = service.methodsArray.map((method) => [
    method.name,
    {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  ]);
  return Object.fromEntries(methods) as ServiceDefinition;
}

export const TRACE_SERVICE = rawUnaryService('opentelemetry.proto.collector.trace.v1.TraceService');
export const LOGS_SERVICE = rawUnaryService('opentelemetry.proto.collector.logs.v1.LogsService');

export class OtlpGrpcServer implements DrainableServer {
  private readonly server: Server;
  private bound = false;
  private closing: Promise<void> | undefined;

  constructor(options: OtlpGrpcOptions) {
    const { store, logStore, admission, gate, metrics, windowMinutes, maxLogBodyBytes, maxItemsPerRequest } = options;
    this.server = new Server({ 'grpc.max_receive_message_length': options.maxBodyBytes });
    const asBuffer = (body: string | Buffer): Buffer => (typeof body === 'string' ? Buffer.from(body) : body);
    this.server.addService(TRACE_SERVICE, {
      Export: exportHandler({
        kind: 'otlp',
        gate,
        admission,
        exportMessage: (message) => exportTraces(decodeTraceRequest(message, 'protobuf', maxItemsPerRequest), { store, admission, metrics, windowMinutes }),
        encodeResponse: ({ rejected, message }) => asBuffer(exportResponseBody('protobuf', rejected, message)),
        countInvalid: () => metrics.otlpRequestsRejected.inc({ reason: 'invalid' }),
        logError: (error) => options.logError(error, 'OTLP/gRPC trace export failed'),
      }),
    });
    this.server.addService(LOGS_SERVICE, {
      Export: exportHandler({
        kind: 'logs',
        gate,
        admission,
        budgetProblem: async () => {
          const full = await logBudgetProblem(logStore, options.maxLogs, options.maxLogBytes);
          if (full === undefined) return undefined;
          metrics.logBatchesRejected.inc({ reason: 'log_budget' });
          return { message: full, retryAfterSec: secondsToNextMinute() };
        },
        exportMessage: (message) => {
          if (message.length > maxLogBodyBytes) {
            throw new OtlpDecodeError(`the message is larger than the limit of ${maxLogBodyBytes} bytes for logs (MAX_LOG_BODY_BYTES); nothing was stored`);
          }
          return exportLogs(decodeLogsRequest(message, 'protobuf', maxItemsPerRequest), { logStore, metrics, windowMinutes });
        },
        encodeResponse: ({ rejected, message }) => asBuffer(logsExportResponseBody('protobuf', rejected, message)),
        countInvalid: () => metrics.logBatchesRejected.inc({ reason: 'invalid' }),
        logError: (error) => options.logError(error, 'OTLP/gRPC logs export failed'),
      }),
    });
  }

  /** Binds host:port (0: any free port) and resolves the port bound. */
  listen(host: string, port: number): Promise<number> {
    // An IPv6 literal needs brackets in a gRPC target.
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, ServerCredentials.createInsecure(), (error, boundPort) => {
        if (error !== null) return reject(error);
        this.bound = true;
        resolve(boundPort);
      });
    });
  }

  /** Stops accepting calls and resolves once the calls in flight are answered (idempotent). */
  close(): Promise<void> {
    this.closing ??= this.bound ? new Promise<void>((resolve) => this.server.tryShutdown(() => resolve())) : Promise.resolve();
    return this.closing;
  }

  /** Cancels the calls still in flight and closes their connections. */
  force(): void {
    this.server.forceShutdown();
  }
}
