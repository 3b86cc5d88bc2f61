// npm run bench:cluster -- --takeover: issue 17's "takeover after kill -9 of a node holding 2 M
// spans: < 15 s to complete answers". One nats-server (R=1: the takeover replays from one
// stream; R=3 adds re-election only when a server dies too, which cluster:check covers) and two
// collector nodes (src/main.ts processes, LEASE_TTL_MS default 5 s). A closed loop of 12-span
// batches to both nodes until the victim's partition stores hold --victim-spans (default 2 M);
// once both are caught up, GET /traces?limit=0 through the survivor must be whole and count every
// acknowledged trace. Then kill -9 of the victim, and the survivor is asked
// GET /traces?limit=0 every 100 ms until it answers whole (no X-Traced-Partial) with that total:
// the figure is the time from the kill to that answer, beside when the leases moved and how
// fast the survivor replayed.

import { request } from 'undici';
import { freePort, startNats } from '../../tools/cluster/nats-servers.js';
import { stopCollectorProcess } from '../../tools/cluster/collector-process.js';
import { listingTotal, nodeHealth, startNodeProcess, waitHealthy, type NodeProcess } from '../../tools/cluster/node-process.js';
import { askingAgain, waitFor } from '../../tools/cluster/wait-for.js';
import { BodyTemplate } from './body-template.js';
import { runRawLoad } from './raw-http-client.js';

export interface TakeoverOptions {
  victimSpans: number;
  connections: number;
  spansPerBody: number;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const seconds = (ms: number) => `${fmt(ms / 1000, 2)} s`;

/** One unlabelled sample of a node's /metrics, NaN when absent. */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await request(`${url}/metrics`)).body.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

/** Traces in one body of the template: its spans without a parent. */
function tracesPerBody(template: BodyTemplate): number {
  const body = template.next().toString('utf8');
  return body.split('"span_id"').length - 1 - (body.split('"parent_span_id"').length - 1);
}

export async function runTakeover(options: TakeoverOptions): Promise<void> {
  const nats = await startNats(1);
  const nodes: NodeProcess[] = [];
  try {
    for (const id of ['survivor', 'victim']) nodes.push(startNodeProcess({ natsUrls: nats.urls, id, port: await freePort(), replicas: 1 }));
    const [survivor, victim] = nodes as [NodeProcess, NodeProcess];
    await Promise.all(nodes.map((node) => waitHealthy(node)));
    await waitFor('8 partitions each', askingAgain(async () => (await nodeHealth(survivor.url)).cluster.owned.length === 8 && (await nodeHealth(victim.url)).cluster.owned.length === 8), 60_000, 100);

    const template = new BodyTemplate(Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0'), options.spansPerBody, true, BigInt(Date.now()) * 1_000_000n);
    const traces = tracesPerBody(template);
    let accepted = 0;
    let refused = 0;
    const fillStarted = performance.now();
    for (;;) {
      const results = await Promise.all(
        nodes.map((node) => runRawLoad({ host: '127.0.0.1', port: Number(new URL(node.url).port), connections: Math.ceil(options.connections / 2), durationMs: 5000, path: '/spans', nextBody: () => template.next() })),
      );
      for (const r of results) {
        accepted += r.byStatus[202] ?? 0;
        refused += r.requests - (r.byStatus[202] ?? 0);
      }
      const held = await metric(victim.url, 'traced_store_spans');
      process.stdout.write(`filling: ${fmt(accepted * template.spans)} spans acknowledged, the victim holds ${fmt(held)}\n`);
      if (held >= options.victimSpans) break;
    }
    const fillMs = performance.now() - fillStarted;
    const ackedTraces = accepted * traces;
    await waitFor(
      'both nodes caught up',
      askingAgain(async () => {
        const views = await Promise.all(nodes.map(async (node) => (await nodeHealth(node.url)).cluster));
        return views.every((view) => view.owned.length === 8 && view.owned.every((p) => p.caught_up && p.lag === 0));
      }),
      120_000,
      100,
    );
    const before = await listingTotal(survivor.url);
    const victimSpans = await metric(victim.url, 'traced_store_spans');
    const survivorSpans = await metric(survivor.url, 'traced_store_spans');
    console.log(`\nfilled in ${seconds(fillMs)}: ${fmt(accepted * template.spans)} spans in ${fmt(ackedTraces)} traces acknowledged (${fmt(refused)} requests not acknowledged); the victim holds ${fmt(victimSpans)} spans, the survivor ${fmt(survivorSpans)}`);
    console.log(`GET /traces?limit=0 through the survivor before the kill: total ${fmt(before.total)}${before.partial === undefined ? ', whole' : `, partial "${before.partial}"`}${before.total === ackedTraces ? ' = acknowledged traces' : ` (acknowledged traces ${fmt(ackedTraces)})`}`);
    // With refusals, a 503's batch may still have been stored: the whole answer before the kill is the count to reach.
    const expected = refused === 0 ? ackedTraces : before.total;

    const consumedBefore = await metric(survivor.url, 'traced_cluster_consumed_spans_total');
    const killedAt = performance.now();
    await stopCollectorProcess(victim, 'SIGKILL');
    let firstPartialMs: number | undefined;
    let firstGainMs: number | undefined;
    let ownsAllMs: number | undefined;
    let completeMs: number | undefined;
    let polls = 0;
    while (completeMs === undefined) {
      const at = performance.now() - killedAt;
      if (at > 120_000) throw new Error(`no complete answer within 120 s of the kill (last: ${JSON.stringify(await listingTotal(survivor.url))})`);
      const answer = await listingTotal(survivor.url);
      polls++;
      if (answer.partial !== undefined) firstPartialMs ??= at;
      if (ownsAllMs === undefined) {
        const owned = (await nodeHealth(survivor.url)).cluster.owned.length;
        if (owned > 8) firstGainMs ??= performance.now() - killedAt;
        if (owned === 16) ownsAllMs = performance.now() - killedAt;
      }
      if (answer.partial === undefined && answer.total === expected) completeMs = performance.now() - killedAt;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const replayed = (await metric(survivor.url, 'traced_cluster_consumed_spans_total')) - consumedBefore;
    const replayMs = completeMs - (firstGainMs ?? completeMs);
    console.log(`\ntakeover after kill -9 of a node holding ${fmt(victimSpans)} spans (1 nats-server R=1, LEASE_TTL_MS 5000, ${polls} polls):`);
    console.log(`  first answer flagged partial   ${firstPartialMs === undefined ? 'none seen' : seconds(firstPartialMs)}`);
    console.log(`  survivor takes a first lease   ${firstGainMs === undefined ? '?' : seconds(firstGainMs)}`);
    console.log(`  survivor owns all 16           ${ownsAllMs === undefined ? '?' : seconds(ownsAllMs)}`);
    console.log(`  complete answer (total ${fmt(expected)}, no X-Traced-Partial)   ${seconds(completeMs)}   (target < 15 s)`);
    console.log(`  replayed by the survivor       ${fmt(replayed)} spans, ${fmt(replayed / (replayMs / 1000))} spans/s from its first lease to the complete answer (polled every 100 ms)`);
    const after = await request(`${survivor.url}/traces?limit=1000`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
    await after.body.text();
    console.log(`  GET /traces?limit=1000 then: ${after.statusCode}${after.headers['x-traced-partial'] === undefined ? ', whole' : `, partial "${String(after.headers['x-traced-partial'])}"`}`);
  } finally {
    await Promise.all(nodes.map((node) => stopCollectorProcess(node, 'SIGKILL')));
    await nats.stop();
  }
}
