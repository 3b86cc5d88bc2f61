// The ingest figures of bench/run.ts: a collector worker on CPU 0 under a closed-loop load of one
// protocol's 100- or 10-span requests, and the same load against servers that do less (the floor).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BodyTemplate } from './body-template.js';
import { cpuDuring, cpuPerRequest, startCollectorWorker, startWorker } from './child.js';
import { runGrpcLoad } from './grpc-load.js';
import { OtlpBodyTemplate } from './otlp-body-template.js';
import { percentile, runRawLoad } from './raw-http-client.js';
import type { StoreKind } from './stores.js';
import { ZipkinBodyTemplate } from './zipkin-body-template.js';

export const runId = () => Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
// The reference store keeps plain objects; give its process room so it can finish at all.
export const nodeArgsFor = (kind: StoreKind) => (kind === 'reference' ? ['--max-old-space-size=16384'] : []);

/**
 * Ports come from the suite's counter; the duration is the suite's --duration. `disk` (--disk):
 * the collector writes ahead to a fresh temporary DATA_DIR, as the shipped default does.
 */
export function ingestFigures(options: { nextPort: () => number; durationMs: () => number; disk: boolean }) {
  /**
   * `protocol`: POST /spans bodies, or the same kind of traces as Zipkin v2 JSON (POST /api/v2/spans),
   * OTLP/protobuf over HTTP (POST /v1/traces) or over gRPC (TraceService/Export on a second port).
   */
  type IngestProtocol = 'spans' | 'zipkin' | 'otlp-http' | 'otlp-grpc';

  async function ingestFigure(kind: StoreKind, spansPerBody: number, connections: number, protocol: IngestProtocol = 'spans') {
    const port = options.nextPort();
    const grpcPort = protocol === 'otlp-grpc' ? options.nextPort() : undefined;
    const dataDir = options.disk ? mkdtempSync(join(tmpdir(), 'bench-ingest-')) : undefined;
    const mode = dataDir === undefined ? '' : `disk=${dataDir}`;
    const server = startCollectorWorker([kind, String(port), mode, ...(grpcPort === undefined ? [] : [String(grpcPort)])], { cpu: 0, nodeArgs: nodeArgsFor(kind) });
    await server.next();
    const template =
      protocol === 'zipkin'
        ? new ZipkinBodyTemplate(runId(), spansPerBody)
        : protocol === 'otlp-http' || protocol === 'otlp-grpc'
          ? new OtlpBodyTemplate(runId(), spansPerBody)
          : new BodyTemplate(runId(), spansPerBody, true, BigInt(Date.now()) * 1_000_000n);
    const path = protocol === 'zipkin' ? '/api/v2/spans' : protocol === 'otlp-http' ? '/v1/traces' : '/spans';
    const contentType = protocol === 'otlp-http' ? 'application/x-protobuf' : undefined;
    // Both loads answer in one shape: accepted requests (202, or 200 / gRPC OK) against all.
    const load = async (durationMs: number) => {
      if (grpcPort !== undefined) {
        const r = await runGrpcLoad({ address: `127.0.0.1:${grpcPort}`, connections, durationMs, nextMessage: () => template.next() });
        return { ...r, accepted: r.byCode[0] ?? 0, statuses: r.byCode };
      }
      const r = await runRawLoad({ host: '127.0.0.1', port, connections, durationMs, path, contentType, nextBody: () => template.next() });
      return { ...r, accepted: r.byStatus[protocol === 'otlp-http' ? 200 : 202] ?? 0, statuses: r.byStatus };
    };
    await load(3000); // warm-up: JIT, connection set-up
    const { result: r, cpuMicros } = await cpuDuring(server, () => load(options.durationMs()));
    await server.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    const lat = r.latenciesMs.sort();
    return {
      spansPerSec: (r.accepted * template.spans) / (r.elapsedMs / 1000),
      requests: r.requests,
      elapsedMs: r.elapsedMs,
      allAccepted: r.accepted === r.requests,
      statuses: r.statuses,
      p50Ms: percentile(lat, 0.5),
      p99Ms: percentile(lat, 0.99),
      ...cpuPerRequest(cpuMicros, r.accepted, r.elapsedMs),
    };
  }

  /** ingestFigure against a server that does less than the collector (bench/lib/floor-server.ts). */
  async function floorFigure(kind: 'node' | 'fastify', spansPerBody: number, connections: number) {
    const port = options.nextPort();
    const server = startWorker('bench/lib/floor-server.ts', [kind, String(port)], { cpu: 0 });
    await server.next();
    const template = new BodyTemplate(runId(), spansPerBody, true, BigInt(Date.now()) * 1_000_000n);
    const load = (durationMs: number) =>
      runRawLoad({ host: '127.0.0.1', port, connections, durationMs, path: '/spans', nextBody: () => template.next() });
    await load(3000);
    const r = await load(Math.min(options.durationMs(), 20_000));
    await server.stop();
    const answered = r.byStatus[202] ?? 0;
    return { requestsPerSec: answered / (r.elapsedMs / 1000), spansPerSec: (answered * template.spans) / (r.elapsedMs / 1000), microsPerRequest: (r.elapsedMs * 1000) / Math.max(1, answered) };
  }

  return { ingestFigure, floorFigure };
}
