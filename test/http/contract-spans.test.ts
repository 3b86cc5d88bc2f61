// Contract tests for what POST /spans stores: every JSON spelling of a body storing the same
// thing, the 202 answer, int64 times read and written back digit for digit (and compared exactly
// in after/before), and re-sent spans stored once. Requests go to a real collector; the helper in
// test/support/http.ts validates every answer against openapi.yaml, so these tests assert
// behaviour and the shapes are checked on every call.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add, child, closeStarted, expectAccepted, root, spanId, T, traceDetail, traceId, WINDOW_MINUTES } from '../support/contract-fixtures.js';
import { nsText, spansBody, startCollector, type Api, type JsonObject, type WireSpanInput } from '../support/http.js';

/** The collector of the running test; closed (once) after each test that started one. */
let api: Api;
afterEach(() => closeStarted(api, () => (api = undefined as unknown as Api)));

describe('every way of writing a body stores the same thing', () => {
  it('a compact body and the same body with escapes, spacing and reordered keys give identical answers', async () => {
    const spans: WireSpanInput[] = [
      root(70, T, { end_time: add(T, 150_000_001n), tags: { order_id: 'ord_1', region: 'eu' }, service: 'checkout' }),
      child(70, 1, add(T, 3n), { status: 'error', service: 'inventory', operation: 'reserve' }),
      { ...child(70, 2, add(T, 2n)), trace_id: traceId(70).toUpperCase(), span_id: spanId(7002).toUpperCase() },
      root(71, add(T, 9n), { tags: {} }),
    ];
    const compact = spansBody(spans);
    // Same content: every string written with an escape, keys reversed, spaces between tokens.
    const escaped = (value: string) => JSON.stringify(value).replace(/[a-z]/, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`);
    const general =
      '{ "spans" : [ ' +
      spans
        .map((s) => {
          const end = s.end_time ?? add(s.start_time, 150_000_000n);
          const fields: string[] = [];
          if (s.tags !== undefined) {
            fields.push(`"tags" : { ${Object.entries(s.tags).map(([k, v]) => `${escaped(k)} : ${escaped(v)}`).join(' , ')} }`);
          }
          fields.push(`"status" : ${escaped(s.status ?? 'ok')}`, `"end_time" : ${end}`, `"start_time" : ${s.start_time}`);
          fields.push(`"operation" : ${escaped(s.operation ?? 'place_order')}`, `"service" : ${escaped(s.service ?? 'checkout')}`);
          if (s.parent_span_id !== undefined) fields.push(`"parent_span_id" : ${escaped(s.parent_span_id)}`);
          fields.push(`"span_id" : ${JSON.stringify(s.span_id)}`, `"trace_id" : ${JSON.stringify(s.trace_id)}`);
          return `{ ${fields.join(' , ')} }`;
        })
        .join(' , ') +
      ' ] }';
    expect(JSON.parse(general)).toEqual(JSON.parse(compact));

    const answers: string[][] = [];
    for (const body of [compact, general]) {
      const c = await startCollector({ windowMinutes: WINDOW_MINUTES });
      try {
        const res = await c.postRaw(body);
        expect(res.status, res.text).toBe(202);
        expect(res.json).toEqual({ status: 'ok', accepted: 4, discarded: 0 });
        answers.push([
          (await c.get('/traces')).text,
          (await c.get(`/traces/${traceId(70)}`)).text,
          (await c.get(`/traces/${traceId(71)}`)).text,
        ]);
      } finally {
        await c.close();
      }
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]![0]).toContain(`"start_time":${add(T, 9n)}`);
    expect(answers[0]![1]).toContain(`"end_time":${add(T, 150_000_001n)}`);
    expect(answers[0]![1]).toContain(`"span_id":"${spanId(7002)}"`);
    expect(answers[0]![2]).toContain('"tags":{}');
  });
});

describe('POST /spans and exact int64 round trips', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('answers 202 {status, accepted, discarded} and round-trips 19-digit times digit for digit', async () => {
    const childStart = add(T, 20_000_007n);
    const childEnd = add(T, 100_000_003n);
    const rootEnd = add(T, 150_999_999n);
    await expectAccepted(api, [
      root(1, T, { end_time: rootEnd, service: 'checkout', operation: 'place_order', tags: { order_id: 'ord_123' } }),
      child(1, 1, childStart, { end_time: childEnd, service: 'inventory', operation: 'reserve_stock' }),
    ]);

    const listRes = await api.get('/traces');
    // The integers travel as bare JSON numbers with every digit, not as strings.
    expect(listRes.text).toContain(`"start_time":${T}`);
    const list = listRes.json as unknown as { traces: JsonObject[]; total: number };
    expect(list.total).toBe(1);
    expect(list.traces).toHaveLength(1);
    const summary = list.traces[0]!;
    expect(nsText(summary.start_time)).toBe(T);
    expect(summary).toMatchObject({
      trace_id: traceId(1),
      root_service: 'checkout',
      root_operation: 'place_order',
      span_count: 2,
      duration_ms: 150, // floor(150_999_999 / 1e6)
      status: 'ok',
    });

    const detail = await traceDetail(api, traceId(1));
    expect(detail.trace_id).toBe(traceId(1));
    expect(detail.spans.map((s) => [nsText(s.start_time), nsText(s.end_time)])).toEqual([
      [T, rootEnd],
      [childStart, childEnd],
    ]);
    expect(detail.spans[0]).toMatchObject({ span_id: spanId(100), service: 'checkout', tags: { order_id: 'ord_123' } });
    expect(detail.spans[0]).not.toHaveProperty('parent_span_id');
    expect(detail.spans[1]).toMatchObject({ span_id: spanId(101), parent_span_id: spanId(100), service: 'inventory' });
    expect(detail.spans[1]).not.toHaveProperty('tags');
  });

  it('keeps the extremes exact: end_time at INT64_MAX and a zero duration', async () => {
    const INT64_MAX = '9223372036854775807';
    await expectAccepted(api, [root(2, T, { end_time: T }), child(2, 1, add(T, 1n), { end_time: INT64_MAX })]);
    const detail = await traceDetail(api, traceId(2));
    expect(detail.spans.map((s) => nsText(s.end_time))).toEqual([T, INT64_MAX]);
    const [summary] = (await api.listTraces()).traces;
    expect(summary!.duration_ms).toBe(0);
  });

  it('reads every integral JSON spelling and the last of duplicate keys exactly', async () => {
    const tid = traceId(3);
    const start = '1713484800123456791';
    // Exponent form, an escaped key, a decoy inside a string, and a duplicated key.
    const body =
      `{"spans":[{"service":"svc \\"start_time\\": 1","trace_id":"${tid}","span_id":"${spanId(300)}",` +
      `"operation":"op","start\\u005ftime":1.713484800123456791e18,"end_time":1,"end_time":${add(start, 5n)},` +
      `"status":"ok","tags":{"start_time":"7"}}]}`;
    const res = await api.postRaw(body);
    expect(res.status, res.text).toBe(202);
    const detail = await traceDetail(api, tid);
    expect(nsText(detail.spans[0]!.start_time)).toBe(start);
    expect(nsText(detail.spans[0]!.end_time)).toBe(add(start, 5n));
    expect(detail.spans[0]!.service).toBe('svc "start_time": 1');
    expect(detail.spans[0]!.tags).toEqual({ start_time: '7' });
  });

  it('reads exact times from a pretty-printed body', async () => {
    const end = add(T, 42n);
    const body = `{\n\t"spans" : [\n  {\r\n    "trace_id" : "${traceId(4)}",\n    "span_id" : "${spanId(400)}",\n` +
      `    "service" : "s", "operation" : "o",\n    "start_time" :\t${T} ,\n    "end_time" :  ${end}\n,` +
      `    "status" : "ok"\n  }\n ]\n}\n`;
    const res = await api.postRaw(body);
    expect(res.status, res.text).toBe(202);
    const detail = await traceDetail(api, traceId(4));
    expect([nsText(detail.spans[0]!.start_time), nsText(detail.spans[0]!.end_time)]).toEqual([T, end]);
  });

  it('compares after/before exactly, one nanosecond apart', async () => {
    // T−1, T and T+1 are one double apart from nothing: all three round to the same double.
    const Tm1 = add(T, -1n);
    const Tp1 = add(T, 1n);
    expect(Number(Tm1)).toBe(Number(Tp1));
    await expectAccepted(api, [root(10, Tm1), root(11, T), root(12, Tp1)]);

    const starts = async (query: string) => {
      const list = await api.listTraces(query);
      expect(list.total).toBe(list.traces.length);
      return list.traces.map((t) => nsText(t.start_time));
    };
    expect(await starts('')).toEqual([Tp1, T, Tm1]);
    expect(await starts(`after=${T}`)).toEqual([Tp1, T]); // included by after=T
    expect(await starts(`before=${T}`)).toEqual([Tm1]); // excluded by before=T
    expect(await starts(`before=${Tp1}`)).toEqual([T, Tm1]); // included by before=T+1
    expect(await starts(`after=${Tp1}`)).toEqual([Tp1]); // excluded by after=T+1
    expect(await starts(`after=${T}&before=${Tp1}`)).toEqual([T]);
    expect(await starts(`after=0&before=${Tm1}`)).toEqual([]);
  });
});

describe('idempotent ingest', () => {
  beforeEach(async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
  });

  it('re-sending a batch answers 202 with the same counts and stores nothing twice', async () => {
    const batch = [root(9, T), child(9, 1, add(T, 1n)), child(9, 2, add(T, 2n), { status: 'error' })];
    await expectAccepted(api, batch, 3, 0);
    await expectAccepted(api, batch, 3, 0);
    const list = await api.listTraces();
    expect(list.total).toBe(1);
    expect(list.traces[0]).toMatchObject({ span_count: 3, status: 'error' });
    expect((await traceDetail(api, traceId(9))).spans).toHaveLength(3);
    expect(await api.metric('traced_spans_duplicate_total')).toBe(3);
    expect(await api.metric('traced_store_spans')).toBe(3);
    expect(await api.metric('traced_store_traces')).toBe(1);
  });

  it('a span repeated inside one batch, or re-sent with other fields, changes nothing', async () => {
    await expectAccepted(api, [root(9, T), root(9, T)], 2, 0);
    expect((await api.listTraces()).traces[0]).toMatchObject({ span_count: 1, status: 'ok' });
    expect(await api.metric('traced_spans_duplicate_total')).toBe(1);

    await expectAccepted(api, [root(9, add(T, 1n), { status: 'error', service: 'other', end_time: add(T, 999_000_000n) })], 1, 0);
    const list = await api.listTraces();
    expect(list.total).toBe(1);
    expect(list.traces[0]).toMatchObject({ span_count: 1, status: 'ok', root_service: 'checkout', duration_ms: 150 });
    expect(nsText(list.traces[0]!.start_time)).toBe(T);
    const detail = await traceDetail(api, traceId(9));
    expect(detail.spans).toHaveLength(1);
    expect(detail.spans[0]).toMatchObject({ service: 'checkout', status: 'ok' });
    expect(await api.metric('traced_store_spans')).toBe(1);

    // The same span_id in another trace is another span.
    await expectAccepted(api, [{ ...root(10, T), span_id: spanId(900) }], 1, 0);
    expect(await api.total()).toBe(2);
    expect(await api.metric('traced_store_spans')).toBe(2);
  });
});
