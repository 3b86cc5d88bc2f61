// Trace search over HTTP: the filters of GET /traces, the 400s that name the parameter, cursor
// pages that stay stable while spans keep arriving, and the tree of GET /traces/{id}. Every
// response is checked against openapi.yaml by the helper.

import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_NOW_MS, startCollector, type Api, type JsonObject, type WireSpanInput } from '../support/http.js';
import { uuid } from '../support/spans.js';

const NOW_NS = BigInt(DEFAULT_NOW_MS) * 1_000_000n;
const MS = 1_000_000n;
const traceId = (n: number): string => uuid(n, 0x5ea);
const spanId = (n: number, k = 0): string => uuid(n * 100 + k, 0x5eb);

/** A trace: root at `startMs` before now, lasting `durationMs`, plus children. */
function trace(
  n: number,
  startMsAgo: number,
  durationMs: number,
  root: Partial<WireSpanInput> = {},
  children: Array<Partial<WireSpanInput>> = [],
): WireSpanInput[] {
  const start = NOW_NS - BigInt(startMsAgo) * MS;
  const spans: WireSpanInput[] = [
    { trace_id: traceId(n), span_id: spanId(n), start_time: start.toString(), end_time: (start + BigInt(durationMs) * MS).toString(), ...root },
  ];
  children.forEach((c, i) => {
    const s = start + BigInt(i + 1) * MS;
    spans.push({ trace_id: traceId(n), span_id: spanId(n, i + 1), parent_span_id: spanId(n), start_time: s.toString(), end_time: (s + MS).toString(), ...c });
  });
  return spans;
}

let api: Api;
afterEach(async () => {
  await api?.close();
});

async function post(spans: WireSpanInput[]): Promise<void> {
  const res = await api.postSpans(spans);
  expect(res.status, res.text).toBe(202);
}

async function ids(query: string): Promise<string[]> {
  return (await api.listTraces(query)).traces.map((t) => t.trace_id as string);
}

async function errorFor(query: string): Promise<string> {
  const res = await api.get(`/traces?${query}`);
  expect(res.status, query).toBe(400);
  return (res.json as { error: string }).error;
}

describe('GET /traces search filters', () => {
  it('match on any span of the trace, each filter possibly on a different span', async () => {
    api = await startCollector();
    await post([
      ...trace(1, 1000, 120, { service: 'checkout', operation: 'place_order' }, [{ service: 'payment', operation: 'charge', status: 'error', tags: { 'http.status_code': '502' } }]),
      ...trace(2, 2000, 40, { service: 'checkout', operation: 'place_order' }, [{ service: 'inventory', operation: 'reserve', tags: { region: 'eu' } }]),
      ...trace(3, 3000, 900, { service: 'payment', operation: 'refund' }, [{ service: 'payment', operation: 'charge', tags: { region: 'us' } }, { service: 'notification', tags: { 'http.status_code': '502' } }]),
    ]);
    expect(await ids('service=payment')).toEqual([traceId(1), traceId(3)]);
    expect(await ids('root_service=payment')).toEqual([traceId(3)]);
    expect(await ids('operation=charge')).toEqual([traceId(1), traceId(3)]);
    expect(await ids('status=error')).toEqual([traceId(1)]);
    expect(await ids('status=ok')).toEqual([traceId(2), traceId(3)]);
    expect(await ids('tag=http.status_code:502')).toEqual([traceId(1), traceId(3)]);
    // Both tags, held by different spans of trace 3.
    expect(await ids('tag=http.status_code:502&tag=region:us')).toEqual([traceId(3)]);
    expect(await ids('tag=region:eu&tag=region:us')).toEqual([]);
    expect(await ids('service=payment&root_service=checkout&status=error')).toEqual([traceId(1)]);
    expect(await ids('service=nobody')).toEqual([]);
  });

  it('duration filters bound the root duration inclusively, not any single span', async () => {
    api = await startCollector();
    // Trace 2 has a short root but a long child: it is not a long trace.
    await post([...trace(1, 1000, 120), ...trace(2, 2000, 40, {}, [{ end_time: (NOW_NS - 2000n * MS + 5000n * MS).toString() }]), ...trace(3, 3000, 900)]);
    expect(await ids('min_duration_ms=120')).toEqual([traceId(1), traceId(3)]);
    expect(await ids('min_duration_ms=121')).toEqual([traceId(3)]);
    expect(await ids('max_duration_ms=120')).toEqual([traceId(1), traceId(2)]);
    expect(await ids('min_duration_ms=40&max_duration_ms=120')).toEqual([traceId(1), traceId(2)]);
    expect(await ids('min_duration_ms=1000')).toEqual([]);
  });

  it('partial=true finds traces with a span whose parent has not arrived, until it does', async () => {
    api = await startCollector();
    const [root, middle, leaf] = trace(1, 1000, 100, {}, [{}, {}]);
    leaf!.parent_span_id = middle!.span_id;
    await post([root!, leaf!, ...trace(2, 2000, 10)]);
    expect(await ids('partial=true')).toEqual([traceId(1)]);
    expect(await ids('partial=false')).toEqual([traceId(2)]);
    expect((await api.listTraces('partial=true')).traces[0]).toMatchObject({ partial: true, span_count: 2 });
    await post([middle!]);
    expect(await ids('partial=true')).toEqual([]);
    expect(await ids('partial=false')).toEqual([traceId(1), traceId(2)]);
  });

  it('apply before ordering and limit: the page holds the newest matches and total counts them all', async () => {
    api = await startCollector();
    const spans: WireSpanInput[] = [];
    for (let n = 0; n < 60; n++) spans.push(...trace(n, 1000 + n * 1000, 10, { status: n % 3 === 0 ? 'error' : 'ok' }));
    await post(spans);
    const page = await api.listTraces('status=error&limit=5');
    expect(page.total).toBe(20);
    expect(page.traces.map((t) => t.trace_id)).toEqual([0, 3, 6, 9, 12].map(traceId));
  });

  it('summaries carry services, error_count and partial', async () => {
    api = await startCollector();
    await post(trace(1, 1000, 100, { service: 'checkout' }, [{ service: 'payment', status: 'error' }, { service: 'inventory', status: 'error' }, { service: 'payment' }]));
    expect((await api.listTraces()).traces[0]).toMatchObject({ services: ['checkout', 'inventory', 'payment'], error_count: 2, partial: false, status: 'error' });
  });

  it.each([
    ['status=failed', /status/],
    ['min_duration_ms=-1', /min_duration_ms/],
    ['max_duration_ms=1.5', /max_duration_ms/],
    ['min_duration_ms=10&max_duration_ms=9', /min_duration_ms/],
    ['tag=no-colon', /tag/],
    ['tag=a:b&tag=nocolon', /tag/],
    ['partial=maybe', /partial/],
    ['cursor=not-a-cursor!', /cursor/],
    ['cursor=YWJj', /cursor/],
  ])('%s is a 400 naming the parameter', async (query, name) => {
    api = await startCollector();
    expect(await errorFor(query)).toMatch(name);
  });

  it('splits a tag at the first colon, so values may hold colons and keys may be empty', async () => {
    api = await startCollector();
    await post([...trace(1, 1000, 10, { tags: { url: 'http://x:8080/a' } }), ...trace(2, 2000, 10, { tags: { '': 'v' } })]);
    expect(await ids(`tag=${encodeURIComponent('url:http://x:8080/a')}`)).toEqual([traceId(1)]);
    expect(await ids('tag=:v')).toEqual([traceId(2)]);
  });
});

describe('GET /traces cursor pagination', () => {
  async function pageAll(query: string, limit: number, between?: (page: number) => Promise<void>): Promise<{ ids: string[]; totals: number[] }> {
    const seen: string[] = [];
    const totals: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const res = await api.get(`/traces?limit=${limit}${query}${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      expect(res.status, res.text).toBe(200);
      const body = res.json as JsonObject;
      seen.push(...(body.traces as JsonObject[]).map((t) => t.trace_id as string));
      totals.push(body.total as number);
      cursor = body.next_cursor as string | undefined;
      if (cursor === undefined) break;
      await between?.(page);
    }
    return { ids: seen, totals };
  }

  it('walks every match once, and says nothing after the last page', async () => {
    api = await startCollector();
    const spans: WireSpanInput[] = [];
    // Pairs of traces share a start time: ties are ordered by trace id.
    for (let n = 0; n < 40; n++) spans.push(...trace(n, 1000 + Math.floor(n / 2) * 500, 10));
    await post(spans);
    const all = await ids('limit=1000');
    const { ids: paged } = await pageAll('', 7);
    expect(paged).toEqual(all);
    const last = await api.listTraces(`limit=1000`);
    expect((last as JsonObject).next_cursor).toBeUndefined();
    expect(((await api.listTraces('limit=0')) as JsonObject).next_cursor).toBeUndefined();
  });

  it('is stable while traces keep arriving: no duplicates, no gaps among the traces of the first page', async () => {
    api = await startCollector();
    const spans: WireSpanInput[] = [];
    for (let n = 0; n < 100; n++) spans.push(...trace(n, 1000 + n * 700, 10, { status: n % 2 === 0 ? 'error' : 'ok' }));
    await post(spans);
    const existing = await ids('limit=1000');
    const existingErrors = await ids('limit=1000&status=error');
    let next = 1000;
    // Between pages, new traces arrive: newer than everything, older than the cursor, and in
    // between; children arrive for listed traces too. Sent concurrently with the next page.
    const arrive = async (page: number): Promise<void> => {
      const burst: WireSpanInput[] = [];
      for (let k = 0; k < 5; k++) {
        const n = next++;
        burst.push(...trace(n, k === 0 ? 10 : 1000 + ((n * 7919) % 70_000), 10, { status: n % 2 === 0 ? 'error' : 'ok' }));
      }
      burst.push({ trace_id: traceId(page), span_id: spanId(page, 50), parent_span_id: spanId(page), start_time: (NOW_NS - 500n * MS).toString(), status: 'error' });
      await post(burst);
    };
    for (const [query, before] of [['', existing], ['&status=error', existingErrors]] as const) {
      const { ids: paged, totals } = await pageAll(query, 9, arrive);
      expect(new Set(paged).size).toBe(paged.length);
      for (const id of before) expect(paged).toContain(id);
      // total is recounted per page: it grows as matches arrive.
      expect(totals[totals.length - 1]!).toBeGreaterThan(totals[0]!);
    }
  });

  it('stays stable under truly concurrent ingest', async () => {
    api = await startCollector();
    const spans: WireSpanInput[] = [];
    for (let n = 0; n < 200; n++) spans.push(...trace(n, 1000 + n * 300, 10));
    await post(spans);
    const existing = await ids('limit=1000');
    let stop = false;
    let next = 5000;
    const writer = (async () => {
      while (!stop) {
        const burst: WireSpanInput[] = [];
        for (let k = 0; k < 20; k++) {
          const n = next++;
          burst.push(...trace(n, (n * 104_729) % 80_000, 10));
        }
        await post(burst);
      }
    })();
    const { ids: paged } = await pageAll('', 11);
    stop = true;
    await writer;
    expect(new Set(paged).size).toBe(paged.length);
    for (const id of existing) expect(paged).toContain(id);
  });

  it('refuses a cursor with other filters or another time range, but not with another limit', async () => {
    api = await startCollector();
    const spans: WireSpanInput[] = [];
    for (let n = 0; n < 10; n++) spans.push(...trace(n, 1000 + n * 1000, 10, { service: 'checkout' }));
    await post(spans);
    const first = (await api.listTraces('service=checkout&limit=3')) as JsonObject;
    const cursor = first.next_cursor as string;
    expect(typeof cursor).toBe('string');
    expect(await errorFor(`service=payment&cursor=${cursor}`)).toMatch(/cursor/);
    expect(await errorFor(`cursor=${cursor}`)).toMatch(/cursor/);
    expect(await errorFor(`service=checkout&after=1&cursor=${cursor}`)).toMatch(/cursor/);
    const second = await api.listTraces(`service=checkout&limit=4&cursor=${cursor}`);
    expect(second.traces.map((t) => t.trace_id)).toEqual([3, 4, 5, 6].map(traceId));
    expect(second.total).toBe(10);
  });
});

describe('GET /traces/{trace_id} tree', () => {
  it('gives root_span_id, depth, children, and flags orphans without dropping them', async () => {
    api = await startCollector();
    const [root, a, b] = trace(1, 1000, 100, {}, [{}, {}]);
    b!.parent_span_id = a!.span_id;
    const orphan: WireSpanInput = { trace_id: traceId(1), span_id: spanId(1, 9), parent_span_id: spanId(1, 8), start_time: (NOW_NS - 900n * MS).toString() };
    const orphanChild: WireSpanInput = { trace_id: traceId(1), span_id: spanId(1, 10), parent_span_id: spanId(1, 9), start_time: (NOW_NS - 800n * MS).toString() };
    await post([root!, a!, b!, orphan, orphanChild]);
    const res = await api.get(`/traces/${traceId(1)}`);
    const detail = res.json as JsonObject;
    expect(detail.root_span_id).toBe(spanId(1));
    expect(detail.partial).toBe(true);
    const spans = detail.spans as JsonObject[];
    expect(spans.map((s) => [s.span_id, s.depth, s.children, s.orphan])).toEqual([
      [spanId(1), 0, [spanId(1, 1)], undefined],
      [spanId(1, 1), 1, [spanId(1, 2)], undefined],
      [spanId(1, 2), 2, [], undefined],
      [spanId(1, 9), 0, [spanId(1, 10)], true],
      [spanId(1, 10), 1, [], undefined],
    ]);
    // The summary agrees.
    expect((await api.listTraces()).traces[0]).toMatchObject({ partial: true, span_count: 5 });
  });

  it('omits root_span_id while the root has not arrived', async () => {
    api = await startCollector();
    const [, child] = trace(1, 1000, 100, {}, [{}]);
    await post([child!]);
    const detail = (await api.get(`/traces/${traceId(1)}`)).json as JsonObject;
    expect(detail.root_span_id).toBeUndefined();
    expect(detail.partial).toBe(true);
    expect((detail.spans as JsonObject[])[0]).toMatchObject({ depth: 0, orphan: true, children: [] });
  });
});
