// Read-your-writes across collectors: a query fanned out by a node carries the log sequences that
// node published, and an owner waits until it has applied them before it answers, so the answer
// holds a batch the owner applied while the query was already waiting. An owner still behind
// when its wait ends answers anyway and the answer names the partition. Real collectors on
// loopback ports; the board stands in for the log consumer, which fills it in cluster mode.
import { afterEach, describe, expect, it } from 'vitest';
import { AppliedSequenceBoard, decodeMinimums, encodeMinimums } from '../../src/cluster/fanout-read-barrier.js';
import { DEFAULT_NOW_MS, startCollector, waitFor, type Api } from '../support/http.js';
import { nsAt, uuid } from '../support/spans.js';

const started: Api[] = [];
afterEach(async () => {
  for (const api of started.splice(0)) await api.close();
});

async function cluster(published: Map<number, number>, env: Record<string, string> = {}) {
  const ownerBoard = new AppliedSequenceBoard();
  const owner = await startCollector({ readYourWrites: { applied: ownerBoard, published: () => undefined }, env });
  const frontBoard = new AppliedSequenceBoard();
  const front = await startCollector({ peers: [owner.baseUrl], readYourWrites: { applied: frontBoard, published: () => published }, env });
  started.push(owner, front);
  return { owner, ownerBoard, front, frontBoard };
}

const trace = (n: number) => ({ trace_id: uuid(n, 0x7e57), span_id: uuid(n, 0x5a11), start_time: nsAt(DEFAULT_NOW_MS - n * 1000) });

describe('read-your-writes over a fan-out', () => {
  it('an owner behind on a published partition answers once it has applied it, with the batch', async () => {
    const { owner, ownerBoard, front } = await cluster(new Map([[3, 7]]));
    ownerBoard.own(3, 5);
    const answer = front.get('/traces?limit=10');
    await waitFor('the owner to hold the query', async () => ownerBoard.waiting > 0);
    // The batch the front published arrives at the owner while the query waits for it.
    expect((await owner.postSpans([trace(1)])).status).toBe(202);
    ownerBoard.applied(3, 7);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers['x-traced-partial']).toBeUndefined();
    expect((JSON.parse(res.text) as { traces: Array<{ trace_id: string }> }).traces.map((t) => t.trace_id)).toEqual([trace(1).trace_id]);
  });

  it('an owner still behind when its wait ends answers what it holds, naming the partition', async () => {
    const { owner, ownerBoard, front } = await cluster(new Map([[3, 9], [4, 1]]), { PEER_TIMEOUT_MS: '400' });
    ownerBoard.own(3, 7);
    ownerBoard.own(4, 1);
    await owner.postSpans([trace(2)]);
    for (const path of ['/traces?limit=10', '/services', '/dependencies']) {
      const res = await front.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['x-traced-partial'], path).toBe('partition 3 behind');
    }
    expect(JSON.parse((await front.get('/traces?limit=10')).text)).toMatchObject({ total: 1, incomplete: true });
  });

  it('partitions the owner does not own are not waited for, and the front waits for its own', async () => {
    const { ownerBoard, front, frontBoard } = await cluster(new Map([[8, 100], [5, 1]]), { PEER_TIMEOUT_MS: '400' });
    ownerBoard.own(3, 0);
    const before = await front.get('/traces?limit=1');
    expect(before.headers['x-traced-partial']).toBeUndefined();
    frontBoard.own(5, 0);
    const behind = await front.get('/traces?limit=1');
    expect(behind.headers['x-traced-partial']).toBe('partition 5 behind');
    frontBoard.applied(5, 1);
    expect((await front.get('/traces?limit=1')).headers['x-traced-partial']).toBeUndefined();
  });

  it('refuses minimums that are not partition:sequence pairs', async () => {
    const api = await startCollector();
    started.push(api);
    for (const bad of ['3', '3:x', '3:1,', ':1', '3:99999999999999999999']) {
      const res = await api.get(`/internal/v1/traces?limit=1&min_applied=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
    }
    expect(decodeMinimums(encodeMinimums(new Map([[7, 2], [1, 9_007_199_254_740_991]])))).toEqual(new Map([[1, 9_007_199_254_740_991], [7, 2]]));
    expect(decodeMinimums('1:5,1:3')).toEqual(new Map([[1, 5]]));
  });
});
