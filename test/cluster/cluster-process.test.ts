// Cluster mode as deployed: src/main.ts child processes with NATS_URL on a real nats-server. Two
// nodes share the partitions 8/8; `kill -9` of one hands its partitions to the other within the
// lease TTL, which replays them: every span acknowledged by either node is then applied by the
// survivor exactly once (its consumed-spans counter equals the acknowledged count).
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startCollectorProcess, stopCollectorProcess, waitForLog, type CollectorProcess } from '../ingest-log/collector-process.js';
import { metricValue, waitFor } from '../support/http.js';
import { startNats, type NatsCluster } from '../../tools/cluster/nats-servers.js';
import { nodeHealth } from '../../tools/cluster/node-process.js';

let nats: NatsCluster | undefined;
const procs: CollectorProcess[] = [];
afterEach(async () => {
  for (const proc of procs.splice(0)) await stopCollectorProcess(proc, 'SIGKILL');
  await nats?.stop();
  nats = undefined;
});

async function consumedSpans(url: string): Promise<number> {
  return metricValue(await (await request(`${url}/metrics`)).body.text(), 'traced_cluster_consumed_spans_total') ?? -1;
}

async function startProcess(id: string): Promise<string> {
  const port = await freePort();
  const proc = startCollectorProcess({ PORT: String(port), NATS_URL: nats!.urls, NODE_ID: id, LEASE_TTL_MS: '2000', STORAGE: 'memory' });
  procs.push(proc);
  await waitForLog(proc, 'traced-collector ready', 30_000);
  return `http://127.0.0.1:${port}`;
}

function batch(n: number): string {
  const ns = BigInt(Date.now() - 1000) * 1_000_000n;
  const spans = [];
  for (let t = 0; t < 4; t++) {
    const trace = `${(n * 4 + t).toString(16).padStart(8, '0')}-0000-4000-8000-${Date.now().toString(16).padStart(12, '0')}`;
    for (let s = 0; s < 12; s++) spans.push(`{"trace_id":"${trace}","span_id":"${(n * 4 + t).toString(16).padStart(8, '0')}-0000-4000-8000-${s.toString(16).padStart(12, '0')}","service":"svc","operation":"op${s}","start_time":${ns + BigInt(s)},"end_time":${ns + 1000n},"status":"ok"}`);
  }
  return `{"spans":[${spans.join(',')}]}`;
}

describe('cluster nodes as processes', () => {
  it('kill -9 of one node: the other takes its partitions and applies every acknowledged span exactly once', async () => {
    nats = await startNats(1);
    const a = await startProcess('proc-a');
    await waitFor('A owns all', async () => (await nodeHealth(a)).cluster.owned.length === 16, 15_000, 100);
    const b = await startProcess('proc-b');
    await waitFor('8 each', async () => (await nodeHealth(a)).cluster.owned.length === 8 && (await nodeHealth(b)).cluster.owned.length === 8, 30_000, 100);
    let acked = 0;
    for (let n = 0; n < 20; n++) {
      const response = await request(`${n % 2 === 0 ? a : b}/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch(n) });
      expect(response.statusCode).toBe(202);
      acked += (JSON.parse(await response.body.text()) as { accepted: number }).accepted;
    }
    expect(acked).toBe(20 * 48);
    await waitFor('both applied everything', async () => (await consumedSpans(a)) + (await consumedSpans(b)) === acked, 10_000, 100);
    const killedAt = Date.now();
    await stopCollectorProcess(procs[1]!, 'SIGKILL');
    await waitFor(
      'A owns all 16, caught up',
      async () => {
        const view = (await nodeHealth(a)).cluster;
        return view.owned.length === 16 && view.owned.every((p) => p.caught_up);
      },
      15_000,
      100,
    );
    await waitFor('A applied every acknowledged span', async () => (await consumedSpans(a)) === acked, 5000, 100);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect((await nodeHealth(a)).cluster.peers.map((p) => p.node_id)).toEqual(['proc-a']);
  }, 90_000);
});
