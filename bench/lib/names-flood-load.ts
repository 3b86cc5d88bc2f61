// Issue 14's name-cardinality load (reproductions 1 and 2): 500-span batches in which every span
// has a (service, operation) pair never sent before, from `connections` keep-alive clients at
// `batchesPerSec` in all (0: as fast as the collector takes them). Shared by bench/names-flood.ts
// and bench/reproductions.ts so that both send the exact traffic.

import { runRawLoad, type RawResponse } from './raw-http-client.js';

export interface NamesFloodResult {
  pairsSent: number;
  byStatus: Record<number, number>;
  elapsedMs: number;
}

/** A source of batches of new pairs; `run` keeps ids and names apart from any other run. */
export function namesFloodBodies(run: string = Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0')) {
  let pair = 0;
  const nextBody = (): Buffer => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const spans: string[] = [];
    for (let k = 0; k < 500; k++) {
      pair++;
      const id = pair.toString(16).padStart(12, '0');
      spans.push(
        `{"trace_id":"${run}00-0000-4000-8000-${id}","span_id":"${run}00-0000-4000-9000-${id}","service":"svc-${run}-${pair}","operation":"op-${pair}","start_time":${now},"end_time":${now + 1000n},"status":"ok"}`,
      );
    }
    return Buffer.from(`{"spans":[${spans.join(',')}]}`);
  };
  return { nextBody, pairs: () => pair };
}

export async function floodNames(options: {
  port: number;
  seconds: number;
  batchesPerSec: number;
  connections?: number;
  /** Stop after this many batches (0: none). */
  maxRequests?: number;
  bodies?: ReturnType<typeof namesFloodBodies>;
  onResponse?: (response: RawResponse) => void;
}): Promise<NamesFloodResult> {
  const bodies = options.bodies ?? namesFloodBodies();
  const before = bodies.pairs();
  const load = await runRawLoad({
    host: '127.0.0.1',
    port: options.port,
    connections: options.connections ?? 4,
    durationMs: options.seconds * 1000,
    path: '/spans',
    nextBody: bodies.nextBody,
    ratePerSec: options.batchesPerSec,
    maxRequests: options.maxRequests,
    onResponse: options.onResponse,
  });
  return { pairsSent: bodies.pairs() - before, byStatus: load.byStatus, elapsedMs: load.elapsedMs };
}
