// The single node's suites against a cluster as issue 17 deploys it: three nats-servers (R=3)
// and two collector nodes (in-process, cluster-nodes.ts), every check run against each node.
// - Contract: every answer, good or bad, is what openapi.yaml declares for its route and status
//   (cluster-answers.ts validates each one); bad queries and bad batches get a 400 naming the
//   parameter or field and change nothing, an unknown trace a 404.
// - Differential: each node answers every query (listings under filters paged by cursor to the
//   end, every trace, /services, /stats, /dependencies, the Zipkin routes) as one collector fed
//   the same batches does; that collector's store is itself held to the reference store by
//   test/store/differential.test.ts.
// - Cursor stability under concurrent ingest: a listing walked by cursor on either node while
//   batches keep arriving through both nodes lists every trace that was there before the walk,
//   once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Api, type WireSpanInput } from '../support/http.js';
import { expectSameAnswers, get, listable, makeTraces, pages, post, startFedCluster, total, type FedCluster } from './cluster-answers.js';
import type { TestNode } from './cluster-nodes.js';

const PARTITIONS = 8;

describe('a 3-server R=3 cluster with 2 collector nodes passes the single node\'s suites on every node', () => {
  let cluster: FedCluster | undefined;
  let nodes: TestNode[] = [];
  let single: Api;
  const traces = makeTraces(240, Date.now(), 0xe1);

  beforeAll(async () => {
    cluster = await startFedCluster({ servers: 3, partitions: PARTITIONS, ids: ['r3-a', 'r3-b'], traces, seed: 11, settleMs: 30_000 });
    ({ single, nodes } = cluster);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('every node answers every query as one collector holding every batch, as openapi.yaml declares', async () => {
    const expected = listable(traces);
    expect(await total(single.baseUrl)).toBe(expected);
    for (const node of nodes) {
      await waitFor(`${node.id} counts every trace`, async () => (await total(node.url)) === expected, 10_000);
      await expectSameAnswers(node.url, single.baseUrl, traces);
    }
  }, 40_000);

  it('every node refuses bad queries and bad batches with a 400 naming them, and they change nothing', async () => {
    const before = await total(nodes[0]!.url);
    const good: WireSpanInput = traces[0]![0]!;
    for (const node of nodes) {
      for (const [query, named] of [['limit=1001', /limit/], ['limit=-1', /limit/], ['after=abc', /after/], ['before=9223372036854775808', /before/], [`after=5&before=5`, /after.*before|before.*after/]] as const) {
        const answer = await get(node.url, `/traces?${query}`);
        expect(answer.status, query).toBe(400);
        expect((JSON.parse(answer.text) as { error: string }).error, query).toMatch(named);
      }
      const badId = await get(node.url, '/traces/not-a-uuid');
      expect(badId.status).toBe(400);
      expect((JSON.parse(badId.text) as { error: string }).error).toMatch(/trace_id/);
      const unknown = await get(node.url, '/traces/0f0f0f0f-0000-4000-8000-000000000000');
      expect({ status: unknown.status, partial: unknown.partial }).toEqual({ status: 404, partial: undefined });
      // One bad span: the batch is refused whole, naming the field.
      const fresh = { ...good, trace_id: '0e0e0e0e-0000-4000-8000-000000000001', span_id: '0e0e0e0e-0000-4000-8000-000000000002' };
      const badBody = `{"spans":[${JSON.stringify(fresh)},${JSON.stringify({ ...fresh, span_id: 'nope' })}]}`;
      expect(await post(node.url, badBody)).toBe(400);
      expect(await post(node.url, '{"spans":[{"trace_id":')).toBe(400);
    }
    for (const node of nodes) {
      expect(await total(node.url)).toBe(before);
      expect((await get(node.url, '/traces/0e0e0e0e-0000-4000-8000-000000000001')).status).toBe(404);
    }
  }, 30_000);

  it('a cursor walk on either node lists every earlier trace once while batches arrive through both', async () => {
    const arriving = makeTraces(3000, Date.now(), 0xe2);
    let next = 0;
    for (const node of nodes) {
      const first = await get(node.url, '/traces?limit=1000');
      const existing = (JSON.parse(first.text) as { traces: Array<{ trace_id: string }> }).traces.map((t) => t.trace_id);
      expect(existing.length).toBeGreaterThan(150);
      let stop = false;
      let posted = 0;
      const writer = (async () => {
        while (!stop && next < arriving.length) {
          const burst = arriving.slice(next, next + 20).flat();
          next += 20;
          expect(await post(nodes[posted++ % 2]!.url, burst)).toBe(202);
        }
      })();
      const walked = await pages(node.url, 'limit=13', 500);
      stop = true;
      await writer;
      expect(walked.map((page) => ({ status: page.status, partial: page.partial }))).toEqual(walked.map(() => ({ status: 200, partial: undefined })));
      const seen = walked.flatMap((page) => (JSON.parse(page.text) as { traces: Array<{ trace_id: string }> }).traces.map((t) => t.trace_id));
      expect(posted, `${node.id}: batches posted during the walk`).toBeGreaterThan(0);
      expect(new Set(seen).size, `${node.id}: no trace listed twice`).toBe(seen.length);
      expect(existing.filter((id) => !seen.includes(id)), `${node.id}: earlier traces the walk missed`).toEqual([]);
    }
  }, 60_000);
});
