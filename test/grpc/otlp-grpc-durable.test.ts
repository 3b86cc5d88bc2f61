// OTLP/gRPC writes through the ingest log like every other ingest path: what an Export call was
// answered OK for is back after a graceful stop and after SIGKILL (src/main.ts as a real process
// on a temp DATA_DIR, both listeners on free loopback ports); a write the log refuses (full disk)
// is UNAVAILABLE with a RetryInfo, keeps nothing, and the same call passes when the disk does.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeLogFiles, type LogFiles } from '../../src/ingest-log/log-files.js';
import { SegmentLog } from '../../src/ingest-log/segment-log.js';
import { parseJsonLossless, startCollector, type Api } from '../support/http.js';
import { logsProtobufBody, protobufBody, requestObject, str } from '../otlp/builders.js';
import { freePort, startCollectorProcess, waitForLog, type CollectorProcess } from '../ingest-log/collector-process.js';
import { exportRaw } from './support.js';

const dirs: string[] = [];
const procs: CollectorProcess[] = [];
const apis: Api[] = [];
afterEach(async () => {
  for (const proc of procs.splice(0)) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  for (const api of apis.splice(0)) await api.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grpc-durable-'));
  dirs.push(dir);
  return dir;
}

/** Trace n: 32 hex digits whose last ones are n; its root span id ends in n too. */
const traceHex = (n: number) => `4bf92f3577b34da6a3ce${n.toString(16).padStart(12, '0')}`;
const traceUuid = (n: number) => traceHex(n).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
const spanHex = (n: number) => `00f067aa${n.toString(16).padStart(8, '0')}`;

function traceMessage(n: number, nowMs: number): { message: Buffer; startNs: string } {
  const startNs = `${BigInt(nowMs - 2000) * 1_000_000n + 123_456_789n}`;
  const endNs = `${BigInt(nowMs - 1000) * 1_000_000n + 987_654_321n}`;
  const message = protobufBody(
    requestObject([{ attributes: [{ key: 'service.name', value: str('grpc-durable') }], spans: [{ traceId: traceHex(n), spanId: spanHex(n), name: `op ${n}`, startTimeUnixNano: startNs, endTimeUnixNano: endNs }] }]),
  );
  return { message, startNs };
}

function logsMessage(n: number, nowMs: number): Buffer {
  return logsProtobufBody({
    resourceLogs: [
      { resource: { attributes: [{ key: 'service.name', value: str('grpc-durable') }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: `${BigInt(nowMs - 1500) * 1_000_000n + 7n}`, severityNumber: 17, body: str(`line ${n}`), traceId: traceHex(n), spanId: spanHex(n) }] }] },
    ],
  });
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await request(url);
  const text = await res.body.text();
  return { status: res.statusCode, body: res.statusCode === 200 ? parseJsonLossless(text) : text };
}

describe('OTLP/gRPC with STORAGE=disk', () => {
  it('brings back every acknowledged span and log line after SIGTERM and after SIGKILL', async () => {
    const dir = tempDir();
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const env = { PORT: String(httpPort), OTLP_GRPC_PORT: String(grpcPort), STORAGE: 'disk', DATA_DIR: dir };
    const address = `127.0.0.1:${grpcPort}`;
    const acknowledged = new Map<number, string>();

    const exportSome = async (from: number, to: number) => {
      for (let n = from; n < to; n++) {
        const { message, startNs } = traceMessage(n, Date.now());
        expect((await exportRaw(address, 'trace', message)).code).toBe(0);
        expect((await exportRaw(address, 'logs', logsMessage(n, Date.now()))).code).toBe(0);
        acknowledged.set(n, startNs);
      }
    };
    const expectAllBack = async () => {
      for (const [n, startNs] of acknowledged) {
        const trace = await getJson(`http://127.0.0.1:${httpPort}/traces/${traceUuid(n)}`);
        expect(trace.status, `trace ${n}`).toBe(200);
        expect((trace.body as { spans: Array<Record<string, unknown>> }).spans).toMatchObject([{ operation: `op ${n}`, start_time: startNs, service: 'grpc-durable' }]);
        const logs = await getJson(`http://127.0.0.1:${httpPort}/traces/${traceUuid(n)}/logs`);
        expect((logs.body as { logs: unknown[] }).logs).toMatchObject([{ message: `line ${n}`, level: 'error' }]);
      }
    };
    const start = async () => {
      const proc = startCollectorProcess(env);
      procs.push(proc);
      await waitForLog(proc, 'traced-collector ready', 30_000);
      return proc;
    };

    const first = await start();
    await exportSome(0, 5);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await start();
    await expectAllBack();
    await exportSome(5, 10);
    second.child.kill('SIGKILL');
    expect(await second.exited).toBe('SIGKILL');

    await start();
    await expectAllBack();
    expect(acknowledged.size).toBe(10);
  }, 90_000);

  it('answers UNAVAILABLE with a RetryInfo when the ingest log cannot write, keeps nothing, and takes the same call once it can', async () => {
    const dir = tempDir();
    const full: { code: string | undefined } = { code: 'ENOSPC' };
    const files: LogFiles = {
      ...nodeLogFiles,
      async write(fd, buffer, length, position) {
        if (full.code !== undefined) throw Object.assign(new Error(`${full.code}: injected`), { code: full.code });
        return nodeLogFiles.write(fd, buffer, length, position);
      },
    };
    const api = await startCollector({ ingestLog: (clock, windowMinutes) => new SegmentLog({ dir, clock, windowMinutes, files }) });
    apis.push(api);
    const address = `127.0.0.1:${await api.collector.grpc.listen('127.0.0.1', 0)}`;
    const nowMs = api.clock.nowMs();

    const refused = await exportRaw(address, 'trace', traceMessage(1, nowMs).message);
    expect(refused.code).toBe(14);
    expect(refused.details).toMatch(/ENOSPC/);
    expect(refused.statusDetails!.retryDelaySec).toBe(10);
    const refusedLogs = await exportRaw(address, 'logs', logsMessage(1, nowMs));
    expect(refusedLogs.code).toBe(14);
    expect((await api.get(`/traces/${traceUuid(1)}`)).status).toBe(404);
    expect((await api.get(`/traces/${traceUuid(1)}/logs`)).status).toBe(404);
    expect(await api.metric('traced_otlp_requests_rejected_total', { reason: 'storage' })).toBe(1);
    expect(await api.metric('traced_log_batches_rejected_total', { reason: 'storage' })).toBe(1);

    full.code = undefined;
    expect((await exportRaw(address, 'trace', traceMessage(1, nowMs).message)).code).toBe(0);
    expect((await exportRaw(address, 'logs', logsMessage(1, nowMs))).code).toBe(0);
    expect((await api.get(`/traces/${traceUuid(1)}`)).status).toBe(200);
  });
});
