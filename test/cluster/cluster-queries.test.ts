// Queries in cluster mode: one real nats-server and two in-process collector nodes (cluster-nodes.ts)
// sharing the partitions by lease. Traces of random shapes are posted in batches spread over both
// nodes; then each node, asked anything, must answer exactly what one in-memory collector fed the
// same batches answers: totals, every page of GET /traces followed by cursor to the end (byte for
// byte), filtered listings, every trace, /services, /dependencies, /stats, the Zipkin query API. A batch posted to a node
// is in that node's very next answer (read-your-writes, no sleep). A crashed node's partitions are
// flagged partial by the survivor until it has taken them over and replayed them; then its answers
// are exact again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, waitFor, type Api } from '../support/http.js';
import { expectSameAnswers, get, listable, makeTraces, post, startFedCluster, total, type FedCluster } from './cluster-answers.js';
import type { TestNode } from './cluster-nodes.js';

const PARTITIONS = 8;

describe('cluster mode answers queries through the fan-out exactly', () => {
  let cluster: FedCluster | undefined;
  let a: TestNode;
  let b: TestNode;
  let single: Api;
  const traces = makeTraces(300, Date.now(), 0xc1);

  beforeAll(async () => {
    cluster = await startFedCluster({ servers: 1, partitions: PARTITIONS, ids: ['a', 'b'], traces, seed: 7, settleMs: 20_000 });
    ({ single, nodes: [a, b] } = cluster);
  }, 50_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('every node answers every query as one collector holding every batch', async () => {
    const expected = listable(traces);
    expect(expected).toBeGreaterThan(250);
    expect(await total(single.baseUrl)).toBe(expected);
    for (const node of [a, b]) {
      await waitFor(`${node.id} counts every trace`, async () => (await total(node.url)) === expected, 10_000);
      await expectSameAnswers(node.url, single.baseUrl, traces);
    }
    // /metrics counts what each node's partition stores hold: together, every trace once.
    const held = async (node: TestNode) => metricValue((await get(node.url, '/metrics')).text, 'traced_store_traces') ?? -1;
    const [heldA, heldB] = [await held(a), await held(b)];
    expect(heldA).toBeGreaterThan(0);
    expect(heldB).toBeGreaterThan(0);
    expect(heldA + heldB).toBe(traces.length);
  }, 50_000);

  it('a batch posted to a node is in that node\'s next answer', async () => {
    const more = makeTraces(16, Date.now(), 0xc3).filter((spans) => listable([spans]) === 1);
    expect(more.length).toBeGreaterThan(10);
    for (const [k, spans] of more.entries()) {
      const node = k % 2 === 0 ? a : b;
      // A service no other trace has: the listing finds this trace or nothing.
      const tagged = spans.map((span) => ({ ...span, service: `ryw-${k}` }));
      expect(await post(node.url, tagged)).toBe(202);
      const listed = await get(node.url, `/traces?service=ryw-${k}&limit=10`);
      expect(listed.partial).toBeUndefined();
      expect((JSON.parse(listed.text) as { total: number }).total, `trace ${k} listed by ${node.id}`).toBe(1);
      expect((await get(node.url, `/traces/${spans[0]!.trace_id}`)).status, `trace ${k} from ${node.id}`).toBe(200);
      expect((await single.postSpans(tagged)).status).toBe(202);
      traces.push(tagged);
    }
  }, 30_000);

  it('an owner asked for partitions it does not own answers for its own only and names the others', async () => {
    const ownedBy = (node: TestNode) => [...node.node.ownedPartitions().keys()].sort((x, y) => x - y);
    const [mine, theirs] = [ownedBy(b), ownedBy(a)];
    expect(mine.length + theirs.length).toBe(PARTITIONS);
    const internalTotal = async (query: string) => JSON.parse((await get(b.url, `/internal/v1/traces?limit=0${query}`)).text) as { total: number; behind?: number[] };
    const whole = await internalTotal('');
    expect(whole.total).toBeGreaterThan(50);
    expect(whole.behind).toBeUndefined();
    expect(await internalTotal(`&partitions=${[...mine, ...theirs].join(',')}`)).toEqual({ ...whole, behind: theirs });
    expect(await internalTotal(`&partitions=${mine.join(',')}`)).toEqual(whole);
    expect(await internalTotal(`&partitions=${theirs.join(',')}`)).toEqual({ total: 0, traces: [], more: false, behind: theirs });
    const [one, ...others] = mine;
    const single = await internalTotal(`&partitions=${one}`);
    expect(single.total).toBeLessThan(whole.total);
    expect(single.total + (await internalTotal(`&partitions=${others.join(',')}`)).total).toBe(whole.total);
  });

  it('a crashed node\'s partitions are flagged partial until the survivor has taken them over, then answers are exact', async () => {
    const theirs = [...b.node.ownedPartitions().keys()];
    expect(theirs.length).toBeGreaterThan(0);
    await b.crash();
    // Until its leases expire the survivor still asks the crashed node, which does not answer.
    const during = await get(a.url, '/traces?limit=1000');
    expect(during.status).toBe(200);
    expect(during.partial).toBeDefined();
    expect((JSON.parse(during.text) as { incomplete?: boolean }).incomplete).toBe(true);
    const flagged = new Set<string>();
    await waitFor(
      'A answers whole',
      async () => {
        const answer = await get(a.url, '/traces?limit=0');
        for (const name of answer.partial?.split(',') ?? []) flagged.add(name.replace(/^partition \d+/, 'partition N'));
        return answer.partial === undefined;
      },
      20_000,
      100,
    );
    // What was flagged on the way: the crashed node, then its partitions, unowned or replaying.
    expect([...flagged].every((name) => name === b.url || /^partition N (unowned|behind)$/.test(name)), [...flagged].join(',')).toBe(true);
    expect(a.node.ownedPartitions().size).toBe(PARTITIONS);
    await expectSameAnswers(a.url, single.baseUrl, traces);
  }, 55_000);
});
