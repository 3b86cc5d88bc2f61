// OTLP/HTTP protobuf (POST /v1/traces) against OTLP/gRPC (TraceService/Export), interleaved:
// the same 100-span messages (lib/otlp-body-template.ts), 16 connections each with one request
// in flight, a fresh collector (BucketStore, shedding off so both run to their capacity) per run,
// pinned to CPU 0 and this generator to CPU 1; the order alternates (ABBA) so that a drift in the
// machine's load falls on both sides. Prints each run and the gRPC/HTTP ratio of each pair.
//
//   npx tsx bench/ab-otlp-transports.ts [--rounds=4] [--duration=10s]

import { cpuDuring, pinSelf, startCollectorWorker } from './lib/child.js';
import { runGrpcLoad } from './lib/grpc-load.js';
import { OtlpBodyTemplate } from './lib/otlp-body-template.js';
import { runRawLoad } from './lib/raw-http-client.js';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? 4);
const durationMs = Number(/^(\d+)s$/.exec(args.find((a) => a.startsWith('--duration='))?.split('=')[1] ?? '10s')?.[1] ?? 10) * 1000;
let nextPort = 19_700;

async function run(transport: 'http' | 'grpc'): Promise<{ spansPerSec: number; spansPerCpuSec: number; allOk: boolean }> {
  const [port, grpcPort] = [nextPort++, nextPort++];
  const server = startCollectorWorker(['bucket', String(port), 'unshed', String(grpcPort)], { cpu: 0 });
  await server.next();
  const template = new OtlpBodyTemplate(Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0'), 100);
  const load = async (ms: number) => {
    if (transport === 'grpc') {
      const r = await runGrpcLoad({ address: `127.0.0.1:${grpcPort}`, connections: 16, durationMs: ms, nextMessage: () => template.next() });
      return { ok: r.byCode[0] ?? 0, requests: r.requests, elapsedMs: r.elapsedMs };
    }
    const r = await runRawLoad({ host: '127.0.0.1', port, connections: 16, durationMs: ms, path: '/v1/traces', contentType: 'application/x-protobuf', nextBody: () => template.next() });
    return { ok: r.byStatus[200] ?? 0, requests: r.requests, elapsedMs: r.elapsedMs };
  };
  await load(3000); // warm-up
  const { result: r, cpuMicros } = await cpuDuring(server, () => load(durationMs));
  await server.stop();
  const spans = r.ok * template.spans;
  return { spansPerSec: spans / (r.elapsedMs / 1000), spansPerCpuSec: spans / (cpuMicros / 1e6), allOk: r.ok === r.requests };
}

pinSelf(1);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratios: number[] = [];
const cpuRatios: number[] = [];
for (let round = 0; round < rounds; round++) {
  const order: Array<'http' | 'grpc'> = round % 2 === 0 ? ['http', 'grpc'] : ['grpc', 'http'];
  const result: Record<string, { spansPerSec: number; spansPerCpuSec: number }> = {};
  for (const transport of order) {
    const r = await run(transport);
    result[transport] = r;
    process.stdout.write(
      `round ${round + 1} ${transport.padEnd(4)} ${fmt(r.spansPerSec)} spans/s, ${fmt(r.spansPerCpuSec)} spans per CPU-second of the collector${r.allOk ? '' : ' (NOT all OK)'}\n`,
    );
  }
  ratios.push(result.grpc!.spansPerSec / result.http!.spansPerSec);
  cpuRatios.push(result.grpc!.spansPerCpuSec / result.http!.spansPerCpuSec);
}
process.stdout.write(`gRPC / HTTP per round, spans/s: ${ratios.map((r) => r.toFixed(2)).join(' ')}; spans per CPU-second: ${cpuRatios.map((r) => r.toFixed(2)).join(' ')}\n`);
