// Contract tests for the collector as a server rather than a store: CORS (any origin by default,
// a configured list otherwise), Swagger UI served from local assets, the YAML contract it serves,
// /health, a route for every path the contract declares, and the /metrics series, including the
// stale and future discards at the exact window edges and eviction with no ingest traffic.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { add, child, closeStarted, expectAccepted, root, T, traceId, WINDOW_MINUTES } from '../support/contract-fixtures.js';
import { DEFAULT_NOW_MS, metricValue, projectOpenapiPath, startCollector, waitFor, type Api, type JsonObject } from '../support/http.js';

const NOW_NS = (BigInt(DEFAULT_NOW_MS) * 1_000_000n).toString();
const WINDOW_NS = BigInt(WINDOW_MINUTES) * 60_000_000_000n;

/** The collector of the running test; closed (once) after each test that started one. */
let api: Api;
afterEach(() => closeStarted(api, () => (api = undefined as unknown as Api)));

describe('CORS, docs and the served contract', () => {
  it('answers a cross-origin GET and a POST preflight (any origin by default)', async () => {
    api = await startCollector();
    const get = await api.get('/traces', { origin: 'http://localhost:8081' });
    expect(get.status).toBe(200);
    expect(['*', 'http://localhost:8081']).toContain(get.headers['access-control-allow-origin']);

    const preflight = await api.request('OPTIONS', '/spans', {
      headers: {
        origin: 'http://localhost:8081',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBeGreaterThanOrEqual(200);
    expect(preflight.status).toBeLessThan(300);
    expect(['*', 'http://localhost:8081']).toContain(preflight.headers['access-control-allow-origin']);
    expect(String(preflight.headers['access-control-allow-methods'])).toMatch(/\bPOST\b/);
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toMatch(/\bcontent-type\b/);
  });

  it('allows only the configured origins when CORS_ORIGIN lists them', async () => {
    api = await startCollector({ corsOrigin: ['http://localhost:8081'] });
    const allowed = await api.get('/traces', { origin: 'http://localhost:8081' });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:8081');
    const other = await api.get('/traces', { origin: 'http://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('/docs serves Swagger UI from local assets, no CDN', async () => {
    api = await startCollector();
    const docs = await api.get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.contentType).toMatch(/^text\/html/);
    expect(docs.text).toMatch(/swagger-ui/i);
    const sources = [...docs.text.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    expect(docs.text).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)[^"'\s]*\.(?:js|css)/i);
    for (const src of sources) {
      expect(src, 'asset from a remote host').not.toMatch(/^(?:https?:)?\/\//i);
      const url = src.startsWith('/') ? src : `/docs/${src.replace(/^\.\//, '')}`;
      const asset = await api.get(url);
      expect(asset.status, url).toBe(200);
      if (/\.js$/.test(url)) expect(asset.text, url).not.toMatch(/<script[^>]+src=["']https:\/\//i);
    }
  });

  it('/openapi.yaml serves the YAML contract', async () => {
    api = await startCollector();
    const res = await api.get('/openapi.yaml');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/yaml/);
    expect(parseYaml(res.text)).toEqual(parseYaml(readFileSync(projectOpenapiPath, 'utf8')));
  });

  it('/health answers 200 {status: "ok"}', async () => {
    api = await startCollector();
    const res = await api.get('/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });

  it('serves every path and method the contract declares', async () => {
    api = await startCollector();
    const paths = api.contract.doc.paths as JsonObject;
    for (const [template, item] of Object.entries(paths)) {
      for (const method of Object.keys(item as JsonObject)) {
        const url = template.replace(/\{([^}]+)\}/g, ':$1');
        expect(api.collector.app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method} ${template}`).toBe(true);
      }
    }
  });
});

describe('/metrics', () => {
  it('exposes the store and ingest series, with stale and future discards at the exact edges', async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES });
    const text = await api.metricsText();
    for (const name of [
      'traced_store_spans',
      'traced_store_traces',
      'traced_spans_accepted_total',
      'traced_spans_duplicate_total',
      'traced_evicted_spans_total',
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name} 0$`, 'm'));
    }
    expect(text).toMatch(/^traced_spans_discarded_total\{reason="stale"\} 0$/m);
    expect(text).toMatch(/^traced_spans_discarded_total\{reason="future"\} 0$/m);

    const edge = add(NOW_NS, -WINDOW_NS);
    const future = add(NOW_NS, 5n * 60_000_000_000n);
    const res = await api.postSpans([
      root(1, T),
      root(2, edge), // exactly at the window edge: held
      root(3, add(edge, -1n)), // one nanosecond older: stale
      root(4, add(NOW_NS, -WINDOW_NS - 60_000_000_000n)), // a minute older: stale
      root(5, future), // exactly five minutes ahead: held
      root(6, add(future, 1n)), // one nanosecond more: future
    ]);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'ok', accepted: 3, discarded: 3 });

    expect(await api.metric('traced_spans_accepted_total')).toBe(3);
    expect(await api.metric('traced_spans_discarded_total', { reason: 'stale' })).toBe(2);
    expect(await api.metric('traced_spans_discarded_total', { reason: 'future' })).toBe(1);
    expect(await api.metric('traced_store_spans')).toBe(3);
    expect(await api.metric('traced_store_traces')).toBe(3);
    const list = await api.listTraces();
    expect(list.traces.map((t) => t.trace_id).sort()).toEqual([traceId(1), traceId(2), traceId(5)]);
  });

  it('shows eviction with no ingest traffic', async () => {
    api = await startCollector({ windowMinutes: WINDOW_MINUTES, evictionIntervalMs: 20 });
    await expectAccepted(api, [root(1, T), child(1, 1, add(T, 1n)), root(2, add(T, 60_000_000_000n))]);
    expect(await api.metric('traced_store_spans')).toBe(3);
    expect(await api.metric('traced_evicted_spans_total')).toBe(0);

    api.clock.advance((WINDOW_MINUTES + 5) * 60_000);
    let last = '';
    await waitFor(
      'traced_evicted_spans_total > 0 and traced_store_spans = 0',
      async () => {
        last = await api.metricsText();
        return (metricValue(last, 'traced_evicted_spans_total') ?? 0) > 0 && metricValue(last, 'traced_store_spans') === 0;
      },
      5000,
      25,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${last.split('\n').filter((l) => l.startsWith('traced_')).join('\n')}`);
    });
    expect(await api.metric('traced_evicted_spans_total')).toBe(3);
    expect(await api.metric('traced_store_traces')).toBe(0);
    expect(await api.listTraces()).toEqual({ traces: [], total: 0 });
  });
});
