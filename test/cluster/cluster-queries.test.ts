// Queries in cluster mode: one real nats-server and two in-process collector nodes (cluster-nodes.ts)
// sharing the partitions by lease. Traces of random shapes are posted in batches spread over both
// nodes; then each node, asked anything, must answer exactly what one in-memory collector fed the
// same batches answers: totals, every page of GET /traces followed by cursor to the end (byte for
// byte), filtered listings, every trace, /services, /dependencies, /stats, the Zipkin query API. A batch posted to a node
// is in that node's very next answer (read-your-writes, no sleep). A crashed node's partitions are
// flagged partial by the survivor until it has taken them over and replayed them; then its answers
// are exact again.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsCluster } from '../../tools/cluster/nats-servers.js';
import { metricValue, spansBody, startCollector, type Api, type WireSpanInput } from '../support/http.js';
import { nsAt, uuid } from '../support/spans.js';
import { startNode, waitUntil, type TestNode } from './cluster-nodes.js';

const PARTITIONS = 8;
const SERVICES = ['checkout', 'payment', 'inventory', 'db', 'auth'];
const OPERATIONS = ['charge', 'reserve', 'query', 'login', 'place_order'];

/** A small deterministic generator, so that a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * `count` traces of 1–6 spans over the last 20 minutes before `nowMs`: errors, tags, children
 * under earlier spans, some roots missing, and every tenth trace starting at the very nanosecond
 * of the one before, so that ties in the listing order cross partitions.
 */
function makeTraces(count: number, nowMs: number, salt: number): WireSpanInput[][] {
  const next = random(salt);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const traces: WireSpanInput[][] = [];
  let previous = 0n;
  for (let t = 0; t < count; t++) {
    const traceId = uuid(t, salt);
    const start = t % 10 === 1 ? previous : BigInt(nsAt(nowMs - 5000 - Math.floor(next() * 20 * 60_000), BigInt(Math.floor(next() * 1e6))));
    previous = start;
    const spans: WireSpanInput[] = [];
    const size = 1 + Math.floor(next() * 6);
    for (let s = 0; s < size; s++) {
      const spanStart = start + BigInt(s) * 1_000_000n + BigInt(Math.floor(next() * 1000));
      const span: WireSpanInput = {
        trace_id: traceId,
        span_id: uuid(t * 16 + s, salt + 1),
        service: s === 0 ? pick(SERVICES.slice(0, 2)) : pick(SERVICES),
        operation: pick(OPERATIONS),
        start_time: spanStart.toString(),
        end_time: (spanStart + BigInt(Math.floor(next() * 600_000_000))).toString(),
        status: next() < 0.15 ? 'error' : 'ok',
      };
      if (s > 0) span.parent_span_id = uuid(t * 16 + Math.floor(next() * s), salt + 1);
      if (next() < 0.5) span.tags = { region: pick(['eu', 'us']) };
      spans.push(span);
    }
    if (t % 13 === 5 && spans.length > 1) spans.shift(); // the root never arrived
    traces.push(spans);
  }
  return traces;
}

/** The spans shuffled (a trace's spans may go to both nodes) and cut into batches of `size`. */
function batchesOf(traces: WireSpanInput[][], size: number, seed: number): WireSpanInput[][] {
  const next = random(seed);
  const spans = traces.flat();
  for (let i = spans.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [spans[i], spans[j]] = [spans[j]!, spans[i]!];
  }
  const batches: WireSpanInput[][] = [];
  for (let i = 0; i < spans.length; i += size) batches.push(spans.slice(i, i + size));
  return batches;
}

interface Answer {
  status: number;
  text: string;
  partial: string | undefined;
}

async function get(baseUrl: string, path: string): Promise<Answer> {
  const res = await request(`${baseUrl}${path}`, { headersTimeout: 20_000, bodyTimeout: 20_000 });
  const partial = res.headers['x-traced-partial'];
  return { status: res.statusCode, text: await res.body.text(), partial: typeof partial === 'string' ? partial : undefined };
}

async function post(baseUrl: string, spans: readonly WireSpanInput[]): Promise<number> {
  const res = await request(`${baseUrl}/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spansBody(spans), headersTimeout: 20_000, bodyTimeout: 20_000 });
  await res.body.text();
  return res.statusCode;
}

/** Every page of a listing, following next_cursor to the end. */
async function pages(baseUrl: string, query: string): Promise<Answer[]> {
  const out: Answer[] = [];
  let cursor: string | undefined;
  do {
    const answer = await get(baseUrl, `/traces?${query}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    out.push(answer);
    if (answer.status !== 200) break;
    cursor = (JSON.parse(answer.text) as { next_cursor?: string }).next_cursor;
  } while (cursor !== undefined && out.length < 100);
  return out;
}

/** The traces GET /traces lists: those whose root has arrived (a listing orders by the root). */
const listable = (traces: WireSpanInput[][]): number => traces.filter((spans) => spans.some((s) => s.parent_span_id === undefined)).length;

const total = async (baseUrl: string): Promise<number> => (JSON.parse((await get(baseUrl, '/traces?limit=0')).text) as { total: number }).total;

/**
 * The statistics routes' bodies without what depends on the moment asked (the window's bounds,
 * elapsed seconds and rates): what the partitions hold, merged.
 */
function timeless(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => (key === 'after' || key === 'before' || /elapsed|window|rate_per|per_sec/.test(key) ? undefined : value));
}

/** Everything asked of `node` answers as `single` does, whole (no X-Traced-Partial). */
async function expectSameAnswers(node: string, single: string, traces: WireSpanInput[][]): Promise<void> {
  for (const query of ['limit=37', 'limit=1000', 'service=payment&limit=25', 'status=error&limit=10', 'tag=region:eu&limit=50', 'root_service=checkout&min_duration_ms=100&limit=20']) {
    const [mine, theirs] = [await pages(node, query), await pages(single, query)];
    expect(mine.map((a) => a.partial), query).toEqual(mine.map(() => undefined));
    expect(mine.map((a) => a.text), query).toEqual(theirs.map((a) => a.text));
  }
  for (const spans of traces) {
    if (spans.length === 0) continue;
    const path = `/traces/${spans[0]!.trace_id}`;
    const [mine, theirs] = [await get(node, path), await get(single, path)];
    expect({ ...mine, path }).toEqual({ ...theirs, path });
  }
  // The Zipkin query API reads the same merge.
  const zipkinIds = traces.filter((spans) => spans.length > 0).slice(0, 20).map((spans) => spans[0]!.trace_id.replaceAll('-', ''));
  for (const path of ['/api/v2/services', '/api/v2/spans?serviceName=payment', `/api/v2/traceMany?traceIds=${zipkinIds.join(',')}`, ...zipkinIds.slice(0, 5).map((id) => `/api/v2/trace/${id}`)]) {
    const [mine, theirs] = [await get(node, path), await get(single, path)];
    expect(mine.status, path).toBe(200);
    expect(mine.text, path).not.toBe('[]');
    expect({ ...mine, path }).toEqual({ ...theirs, path });
  }
  for (const path of ['/services', '/dependencies', '/stats']) {
    const [mine, theirs] = [await get(node, path), await get(single, path)];
    expect(mine.status, path).toBe(200);
    expect(mine.partial, path).toBeUndefined();
    expect(timeless(mine.text), path).toEqual(timeless(theirs.text));
  }
}

describe('cluster mode answers queries through the fan-out exactly', () => {
  let nats: NatsCluster;
  let a: TestNode;
  let b: TestNode;
  let single: Api;
  const traces = makeTraces(300, Date.now(), 0xc1);

  beforeAll(async () => {
    nats = await startNats(1);
    a = await startNode({ natsUrls: nats.urls, id: 'a', partitions: PARTITIONS });
    b = await startNode({ natsUrls: nats.urls, id: 'b', partitions: PARTITIONS });
    await waitUntil('the partitions shared, caught up', () => [a, b].every((n) => n.node.ownedPartitions().size === PARTITIONS / 2 && [...n.node.ownedPartitions().values()].every((p) => p.caughtUp)), 20_000);
    single = await startCollector({ nowMs: Date.now() });
    const batches = batchesOf(traces, 40, 7);
    for (const [k, batch] of batches.entries()) {
      expect(await post(k % 2 === 0 ? a.url : b.url, batch)).toBe(202);
      expect((await single.postSpans(batch)).status).toBe(202);
    }
  }, 50_000);

  afterAll(async () => {
    for (const node of [a, b]) await node?.crash().catch(() => undefined);
    await single?.close();
    await nats?.stop();
  });

  it('every node answers every query as one collector holding every batch', async () => {
    const expected = listable(traces);
    expect(expected).toBeGreaterThan(250);
    expect(await total(single.baseUrl)).toBe(expected);
    for (const node of [a, b]) {
      await waitUntil(`${node.id} counts every trace`, async () => (await total(node.url)) === expected, 10_000);
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
    await waitUntil(
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
