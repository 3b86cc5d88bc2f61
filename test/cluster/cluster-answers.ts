// What the cluster query tests share: random traces of many shapes and their batches, a cluster
// of two nodes fed them beside one collector fed the same (startFedCluster), GET and POST against
// a node (every answer held to openapi.yaml by the contract validator of the HTTP tests), a
// listing walked by cursor to its end, and the comparison of everything a node answers with what
// that one collector answers.
import { request } from 'undici';
import { expect } from 'vitest';
import { startNats, type NatsCluster } from '../../tools/cluster/nats-servers.js';
import { contractValidator, spansBody, startCollector, waitFor, type Api, type WireSpanInput } from '../support/http.js';
import { makeTraces as makeRandomTraces, random } from '../support/random-traces.js';
import { startNode, type TestNode } from './cluster-nodes.js';

/** Traces as the cluster tests send them: over the last 20 minutes. */
export function makeTraces(count: number, nowMs: number, salt: number): WireSpanInput[][] {
  return makeRandomTraces(count, nowMs, salt, { spreadMinutes: 20 });
}

/** The spans shuffled (a trace's spans may go to both nodes) and cut into batches of `size`. */
export function batchesOf(traces: WireSpanInput[][], size: number, seed: number): WireSpanInput[][] {
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

export interface Answer {
  status: number;
  text: string;
  partial: string | undefined;
}

/** Fails the test when an answer is not what openapi.yaml declares for its route and status. */
function expectContract(method: string, path: string, status: number, contentType: unknown, text: string): void {
  const problems = contractValidator().check(method, path, status, String(contentType ?? ''), text);
  expect(problems, `${method} ${path} against openapi.yaml`).toEqual([]);
}

export async function get(baseUrl: string, path: string): Promise<Answer> {
  const res = await request(`${baseUrl}${path}`, { headersTimeout: 20_000, bodyTimeout: 20_000 });
  const partial = res.headers['x-traced-partial'];
  const text = await res.body.text();
  expectContract('GET', path, res.statusCode, res.headers['content-type'], text);
  return { status: res.statusCode, text, partial: typeof partial === 'string' ? partial : undefined };
}

/** POST /spans of `spans` (or of a raw body); the status, the answer held to openapi.yaml. */
export async function post(baseUrl: string, spans: readonly WireSpanInput[] | string): Promise<number> {
  const res = await request(`${baseUrl}/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof spans === 'string' ? spans : spansBody(spans), headersTimeout: 20_000, bodyTimeout: 20_000 });
  expectContract('POST', '/spans', res.statusCode, res.headers['content-type'], await res.body.text());
  return res.statusCode;
}

/** Every page of a listing, following next_cursor to the end (at most `maxPages`); stops at a page not answered 200. */
export async function pages(baseUrl: string, query: string, maxPages = 100): Promise<Answer[]> {
  const out: Answer[] = [];
  let cursor: string | undefined;
  do {
    const answer = await get(baseUrl, `/traces?${query}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    out.push(answer);
    if (answer.status !== 200) break;
    cursor = (JSON.parse(answer.text) as { next_cursor?: string }).next_cursor;
  } while (cursor !== undefined && out.length < maxPages);
  return out;
}

/** The traces GET /traces lists: those whose root has arrived (a listing orders by the root). */
export const listable = (traces: WireSpanInput[][]): number => traces.filter((spans) => spans.some((s) => s.parent_span_id === undefined)).length;

export const total = async (baseUrl: string): Promise<number> => (JSON.parse((await get(baseUrl, '/traces?limit=0')).text) as { total: number }).total;

/**
 * The statistics routes' bodies without what depends on the moment asked (the window's bounds,
 * elapsed seconds and rates): what the partitions hold, merged.
 */
function timeless(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => (key === 'after' || key === 'before' || /elapsed|window|rate_per|per_sec/.test(key) ? undefined : value));
}

/** Everything asked of `node` answers as `single` does, whole (no X-Traced-Partial). */
export async function expectSameAnswers(node: string, single: string, traces: WireSpanInput[][]): Promise<void> {
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

export interface FedClusterOptions {
  /** nats-servers (JetStream) to start; the nodes' stream and leases get as many replicas. */
  servers: 1 | 3;
  partitions: number;
  /** The two nodes' NODE_IDs. */
  ids: readonly [string, string];
  traces: WireSpanInput[][];
  /** Seeds the shuffle of the traces' spans into batches. */
  seed: number;
  /** How long the nodes may take to share the partitions, caught up. */
  settleMs: number;
}

export interface FedCluster {
  nats: NatsCluster;
  nodes: [TestNode, TestNode];
  /** One collector fed every batch the nodes were fed: what they must answer. */
  single: Api;
  /** Crashes the nodes still running (their leases expire), closes the collector, stops NATS. */
  stop(): Promise<void>;
}

/**
 * NATS, two in-process nodes sharing the partitions (caught up), and one collector; the traces'
 * spans, shuffled into batches of 40, posted alternately to the nodes and each to the collector too.
 */
export async function startFedCluster(options: FedClusterOptions): Promise<FedCluster> {
  const nats = await startNats(options.servers);
  const nodes: TestNode[] = [];
  let single: Api | undefined;
  const stop = async () => {
    for (const node of nodes) await node.crash().catch(() => undefined);
    await single?.close();
    await nats.stop();
  };
  try {
    for (const id of options.ids) nodes.push(await startNode({ natsUrls: nats.urls, id, partitions: options.partitions, replicas: options.servers }));
    const shared = () => nodes.every((n) => n.node.ownedPartitions().size === options.partitions / 2 && [...n.node.ownedPartitions().values()].every((p) => p.caughtUp));
    await waitFor('the partitions shared, caught up', shared, options.settleMs);
    single = await startCollector({ nowMs: Date.now() });
    for (const [k, batch] of batchesOf(options.traces, 40, options.seed).entries()) {
      expect(await post(nodes[k % 2]!.url, batch)).toBe(202);
      expect((await single.postSpans(batch)).status).toBe(202);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nats, nodes: nodes as [TestNode, TestNode], single, stop };
}
