// Queries fanned out over real collectors on loopback ports: three collectors each hold a disjoint
// share of the traces (by trace id), a fourth holding nothing answers for all of them through
// their internal query routes, and every answer must be byte for byte what one collector holding
// every trace answers: listings under every filter, cursor pages to the end, limit=0, traces,
// services, operations, RED statistics, dependencies. Then peers that hang or answer garbage:
// the answer comes within the deadline from the others, flagged X-Traced-Partial.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NOW_MS, startCollector, type Api, type ApiResponse, type WireSpanInput } from '../support/http.js';
import { makeTraces } from '../support/random-traces.js';
import { nsAt, uuid } from '../support/spans.js';

const PEERS = 3;

function partitionOf(traceId: string): number {
  return Number.parseInt(traceId.slice(-6), 16) % PEERS;
}

/** The status, body and partial flag of one answer: what must not differ between the two. */
function answerOf(res: ApiResponse): { status: number; text: string; partial: unknown } {
  return { status: res.status, text: res.text, partial: res.headers['x-traced-partial'] };
}

async function postAll(api: Api, spans: WireSpanInput[]): Promise<void> {
  for (let i = 0; i < spans.length; i += 50) {
    const res = await api.postSpans(spans.slice(i, i + 50));
    expect(res.status).toBe(202);
  }
}

function nextCursor(res: ApiResponse): string | undefined {
  return (JSON.parse(res.text) as { next_cursor?: string }).next_cursor;
}

// Traces over the last 25 minutes, some with a second tag and some with an orphan span.
const traces = makeTraces(120, DEFAULT_NOW_MS, 0xfa17, { spreadMinutes: 25, tiers: true, orphans: true });
const allSpans = traces.flat();
const from = (minutesAgo: number, extraNs = 0n) => nsAt(DEFAULT_NOW_MS - minutesAgo * 60_000, extraNs);

describe('a collector fanning queries out to three others answers as one collector holding everything', () => {
  const peers: Api[] = [];
  let front: Api;
  let single: Api;

  beforeAll(async () => {
    for (let p = 0; p < PEERS; p++) peers.push(await startCollector());
    for (let p = 0; p < PEERS; p++) await postAll(peers[p]!, traces.filter((spans) => spans.length > 0 && partitionOf(spans[0]!.trace_id) === p).flat());
    single = await startCollector();
    await postAll(single, allSpans);
    front = await startCollector({ peers: peers.map((p) => p.baseUrl) });
  });

  afterAll(async () => {
    for (const api of [front, single, ...peers]) await api?.close();
  });

  it('holds a share on every peer and nothing on the front', async () => {
    const totals = await Promise.all(peers.map((p) => p.total()));
    for (const total of totals) expect(total).toBeGreaterThan(10);
    expect(totals.reduce((a, b) => a + b, 0)).toBe(await single.total());
    expect(await single.total()).toBeGreaterThan(90);
    expect(await front.collector.app.inject({ method: 'GET', url: '/internal/v1/traces?limit=0' }).then((r) => r.json())).toMatchObject({ total: 0 });
  });

  it('answers GET /traces under every filter, time range and limit exactly', async () => {
    const queries = [
      '',
      'limit=0',
      'limit=1',
      'limit=1000',
      'service=payment&limit=1000',
      'root_service=checkout&limit=50',
      'operation=charge&limit=1000',
      'status=error&limit=1000',
      'status=ok&limit=10',
      'min_duration_ms=100&max_duration_ms=400&limit=1000',
      'tag=region:eu&limit=1000',
      'tag=region:eu&tag=tier:gold&limit=1000',
      'partial=true&limit=1000',
      'partial=false&limit=3',
      `after=${from(10)}&limit=1000`,
      `after=${from(20, 123n)}&before=${from(5, 7n)}&limit=1000`,
      `before=${from(12)}&service=db&status=error&limit=1000`,
      `after=${from(30)}&limit=0&operation=query`,
    ];
    for (const q of queries) {
      expect(answerOf(await front.get(`/traces?${q}`)), q).toEqual(answerOf(await single.get(`/traces?${q}`)));
    }
  });

  it('pages with cursors to the end exactly as one collector does', async () => {
    for (const q of ['limit=7', 'limit=1&status=error', 'limit=4&tag=region:us', `limit=9&after=${from(15)}&service=auth`]) {
      let frontPage = await front.get(`/traces?${q}`);
      let singlePage = await single.get(`/traces?${q}`);
      let pages = 1;
      for (;;) {
        expect(answerOf(frontPage), `${q} page ${pages}`).toEqual(answerOf(singlePage));
        const cursor = nextCursor(singlePage);
        if (cursor === undefined) break;
        frontPage = await front.get(`/traces?${q}&cursor=${cursor}`);
        singlePage = await single.get(`/traces?${q}&cursor=${cursor}`);
        pages++;
      }
      expect(pages, q).toBeGreaterThan(1);
    }
  });

  it('answers GET /traces/{trace_id} from the peer holding it, and 404 for a trace nobody holds', async () => {
    const ids = [...new Set(allSpans.map((s) => s.trace_id))];
    for (const id of [...ids, ids[3]!.toUpperCase(), uuid(77_777, 0xfa17)]) {
      expect(answerOf(await front.get(`/traces/${id}`)), id).toEqual(answerOf(await single.get(`/traces/${id}`)));
    }
  });

  it('answers services, operations, RED statistics and dependencies exactly', async () => {
    const paths = [
      '/services',
      '/services/payment/operations',
      '/services/nobody/operations',
      '/stats',
      '/stats?service=checkout',
      '/stats?service=payment&operation=charge',
      `/stats?after=${from(20, 5n)}&before=${from(3)}`,
      '/dependencies',
      `/dependencies?after=${from(12)}`,
      '/api/v2/services',
      '/api/v2/spans?serviceName=payment',
      '/api/v2/traces?serviceName=db&limit=5',
      `/api/v2/dependencies?endTs=${DEFAULT_NOW_MS}&lookback=${30 * 60_000}`,
    ];
    for (const path of paths) expect(answerOf(await front.get(path)), path).toEqual(answerOf(await single.get(path)));
    // The statistics are not empty: the comparison compares something.
    expect((JSON.parse((await front.get('/dependencies')).text) as { edges: unknown[] }).edges.length).toBeGreaterThan(5);
  });
});

describe('a peer that hangs or answers garbage', () => {
  let good: Api;
  let front: Api;
  let hanging: TcpServer;
  let garbage: HttpServer;
  const sockets = new Set<Socket>();
  let hangingUrl: string;
  let garbageUrl: string;
  const PEER_TIMEOUT_MS = 300;

  beforeAll(async () => {
    good = await startCollector();
    await postAll(good, traces.slice(0, 30).flat());
    // Accepts connections and reads requests, and never answers a byte.
    hanging = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`;
    // Answers 200 with JSON of the wrong form, a page out of order, or no JSON at all, by path.
    garbage = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url!.startsWith('/internal/v1/traces?')) {
        res.end(JSON.stringify({ total: 2, more: false, traces: [{ trace_id: uuid(1), start_time: '1' }, { trace_id: uuid(2), start_time: '2' }] }));
      } else if (req.url!.startsWith('/internal/v1/latency')) {
        res.end('{"after":"0","before":"60000000000","elapsed_seconds":1,"endpoints":[{"service":"x","operation":"y","stats":{"spans":1,"errors":0,"max_ns":5,"zeros":0,"bins":[[99999999,1]]}}]}');
      } else {
        res.end('<html>not a collector</html>');
      }
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    garbageUrl = `http://127.0.0.1:${(garbage.address() as { port: number }).port}`;
    front = await startCollector({ peers: [good.baseUrl, hangingUrl, garbageUrl], env: { PEER_TIMEOUT_MS: String(PEER_TIMEOUT_MS) } });
  });

  afterAll(async () => {
    await front?.close();
    await good?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => hanging?.close(resolve));
    garbage?.closeAllConnections();
    await new Promise((resolve) => garbage?.close(resolve));
  });

  /** The answer and how long it took: bounded by the deadline, not by the hanging peer. */
  async function timed(path: string): Promise<ApiResponse> {
    const started = Date.now();
    const res = await front.get(path);
    // Generous against a busy machine; a hung request would take the test's own timeout.
    expect(Date.now() - started, path).toBeLessThan(PEER_TIMEOUT_MS + 4000);
    return res;
  }

  it('answers GET /traces from the others within the deadline, flagged partial and incomplete', async () => {
    for (const q of ['limit=1000', 'limit=5&status=error', 'limit=0']) {
      const res = await timed(`/traces?${q}`);
      expect(res.status).toBe(200);
      expect(String(res.headers['x-traced-partial']).split(',').sort()).toEqual([garbageUrl, hangingUrl].sort());
      const fromGood = await good.get(`/traces?${q}`);
      expect(fromGood.headers['x-traced-partial']).toBeUndefined();
      // What the good peer holds, exactly, and said to be incomplete.
      expect(JSON.parse(res.text)).toEqual({ ...(JSON.parse(fromGood.text) as object), incomplete: true });
    }
  });

  it('answers a trace held by the good peer whole, and 404 flagged partial for one it does not hold', async () => {
    const held = traces[0]![0]!.trace_id;
    const found = await timed(`/traces/${held}`);
    expect(answerOf(found)).toEqual(answerOf(await good.get(`/traces/${held}`)));
    const missing = await timed(`/traces/${uuid(77_777, 0xfa17)}`);
    expect(missing.status).toBe(404);
    expect(String(missing.headers['x-traced-partial']).split(',').sort()).toEqual([garbageUrl, hangingUrl].sort());
    expect(JSON.parse(missing.text).error).toMatch(/did not answer/);
  });

  it('answers statistics from the others, flagged partial', async () => {
    for (const path of ['/services', '/stats?service=checkout', '/dependencies', '/services/payment/operations']) {
      const res = await timed(path);
      expect(String(res.headers['x-traced-partial']).split(',').sort(), path).toEqual([garbageUrl, hangingUrl].sort());
      expect(res.text, path).toBe((await good.get(path)).text);
    }
  });

  it('counts each failed source in /metrics', async () => {
    await timed('/traces?limit=1');
    expect(await front.metric('traced_fanout_errors_total', { source: hangingUrl })).toBeGreaterThan(0);
    expect(await front.metric('traced_fanout_errors_total', { source: garbageUrl })).toBeGreaterThan(0);
    expect(await front.metric('traced_fanout_errors_total', { source: good.baseUrl })).toBeUndefined();
  });
});

describe('the internal query routes', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startCollector();
    await postAll(api, traces.slice(0, 10).flat());
  });
  afterAll(async () => api?.close());

  it('refuse a position given by half, and times outside int64, with a 400 naming the parameter', async () => {
    const half = await api.get(`/internal/v1/traces?limit=5&cursor_start_time=${from(1)}`);
    expect(half.status).toBe(400);
    expect(half.text).toMatch(/cursor_start_time and cursor_trace_id/);
    const beyond = await api.get('/internal/v1/traces?after=9223372036854775808');
    expect(beyond.status).toBe(400);
    expect(beyond.text).toMatch(/after/);
    const latency = await api.get('/internal/v1/latency?before=99999999999999999999');
    expect(latency.status).toBe(400);
    expect(latency.text).toMatch(/before/);
  });

  it('answer an empty aligned range, which GET /stats would refuse', async () => {
    const at = from(5);
    const res = await api.get(`/internal/v1/latency?after=${at}&before=${at}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ endpoints: [] });
  });
});
