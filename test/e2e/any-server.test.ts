// The dashboard against any Traced-contract server: served from its own origin, pointed at a
// server through the URL field (remembered across reloads), against a server that answers only
// the upstream contract (a proxy in front of the collector that 404s every extension path). The
// richer views must degrade to what the browser can compute, and failures must read as plain
// sentences.

import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailable,
  ensureDashboardBuilt,
  eventually,
  launchBrowser,
  startCollector,
  startStaticServer,
  webDist,
  type RunningBrowser,
  type RunningCollector,
} from './support/harness.js';
import { knownTrace, postSpans, shopTraffic, type KnownTrace, type Traffic } from './support/seed.js';

const CONTRACT_PATHS = [/^\/health$/, /^\/spans$/, /^\/traces$/, /^\/traces\/[^/]+$/];
const CONTRACT_QUERY = new Set(['limit', 'after', 'before']);

/**
 * Forwards the upstream contract's paths to `target`, with only the contract's query parameters
 * (a contract server ignores the others), and strips the extension fields from trace lists and
 * trace details; 404 (with CORS) for every other path.
 */
async function startContractOnlyProxy(target: string): Promise<{ url: string; close: () => Promise<void>; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!CONTRACT_PATHS.some((p) => p.test(path))) {
      res.writeHead(404, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify({ error: 'not found' }));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://proxy');
    for (const key of [...url.searchParams.keys()]) if (!CONTRACT_QUERY.has(key)) url.searchParams.delete(key);
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: `${url.pathname}${url.search}`, headers: req.headers },
      (answer) => {
        if (req.method !== 'GET' || path === '/health' || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          // Drop the extension fields; int64 times pass through as text (no JSON round trip).
          const body = Buffer.concat(chunks)
            .toString('utf8')
            .replace(/,"(services|error_count|partial|depth|children|orphan|root_span_id|next_cursor)":(\[[^\]]*\]|"[^"]*"|true|false|\d+)/g, '');
          const headers = { ...answer.headers };
          delete headers['content-length'];
          res.writeHead(200, headers);
          res.end(body);
        });
      },
    );
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const runBrowser = browserAvailable();

describe.skipIf(!runBrowser)('dashboard against a contract-only Traced server', () => {
  let collector: RunningCollector;
  let proxy: Awaited<ReturnType<typeof startContractOnlyProxy>>;
  let site: Awaited<ReturnType<typeof startStaticServer>>;
  let web: RunningBrowser;
  let known: KnownTrace;
  let traffic: Traffic;
  let traceCount: number;

  const pointCount = async (): Promise<number> =>
    Number((await web.page.getAttribute('[data-testid="scatter"]', 'data-point-count')) ?? '-1');

  beforeAll(async () => {
    await ensureDashboardBuilt();
    collector = await startCollector();
    const now = Date.now();
    known = knownTrace(now - 90_000, 3);
    traffic = shopTraffic(40, now - 8 * 60_000, now - 10_000, 5);
    await postSpans(collector.baseUrl, [...traffic.spans, ...known.spans]);
    traceCount = traffic.traceIds.length + 1;
    proxy = await startContractOnlyProxy(collector.baseUrl);
    site = await startStaticServer(webDist);
    web = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await site?.close();
    await proxy?.close();
    await collector?.close();
  });

  it('says in plain words when its own origin is not a Traced server', async () => {
    await web.page.goto(site.url);
    const status = web.page.locator('[data-testid="connection-status"]');
    await eventually(() => status.getAttribute('data-state'), (s) => s === 'failed', 'failed state');
    expect(await status.textContent()).toMatch(/Not connected .*answered 404 for GET \/(health|traces): is this the address of a Traced server\?/);
  });

  it('connects through the URL field and lights up no extension', async () => {
    await web.page.fill('[data-testid="server-url"]', `${proxy.url}/`);
    await web.page.click('[data-testid="connect"]');
    await eventually(() => web.page.getAttribute('[data-testid="connection-status"]', 'data-state'), (s) => s === 'connected', 'connected');
    await eventually(pointCount, (n) => n === traceCount, 'dots');
    for (const cap of ['search', 'services', 'stats', 'map', 'ingest-rate']) {
      expect(await web.page.getAttribute(`[data-testid="cap-${cap}"]`, 'data-on'), cap).toBe('false');
    }
  });

  it('remembers the server across a reload', async () => {
    await web.page.reload();
    expect(await web.page.inputValue('[data-testid="server-url"]')).toBe(proxy.url);
    await eventually(pointCount, (n) => n === traceCount, 'dots after reload');
  });

  it('filters in the browser and says so', async () => {
    await web.page.selectOption('[data-testid="filter-service"]', 'login');
    await eventually(pointCount, (n) => n === traffic.byRoot.get('login')!.length, 'login dots');
    expect(await web.page.textContent('[data-testid="loaded-note"]')).toContain('filtered in the browser');
    await web.page.fill('[data-testid="filter-tag"]', 'region:eu');
    await web.page.press('[data-testid="filter-tag"]', 'Enter');
    expect(await web.page.textContent('[data-testid="filters"]')).toContain('the tag filter cannot be applied');
    await web.page.click('[data-testid="filter-clear"]');
    await eventually(pointCount, (n) => n === traceCount, 'all dots again');
  });

  it('builds the trace tree, critical path and orphans in the browser', async () => {
    await web.page.click(`[data-testid="trace-table"] tr[data-trace-id="${known.traceId}"]`).catch(async () => {
      // The table shows the newest 50; fall back to the search box.
      await web.page.fill('[data-testid="trace-search"]', known.traceId);
      await web.page.press('[data-testid="trace-search"]', 'Enter');
    });
    await web.page.waitForSelector('[data-testid="trace-view"]');
    const rows = web.page.locator('[data-testid="span-row"]');
    await eventually(() => rows.count(), (n) => n === known.spans.length, 'rows');
    const critical = await web.page
      .locator('[data-testid="span-row"][data-critical="true"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-span-id')));
    expect(new Set(critical)).toEqual(new Set(known.critical));
    expect(await web.page.getAttribute(`[data-testid="span-row"][data-span-id="${known.orphanId}"]`, 'data-orphan')).toBe('true');
  });

  it('computes the services table and the map from traces when the endpoints are missing', async () => {
    await web.page.click('[data-testid="tab-services"]');
    expect(await web.page.textContent('[data-testid="services-view"]')).toContain('computed in the browser');
    await eventually(() => web.page.locator('[data-testid="service-row"]').count(), (n) => n === traffic.byRoot.size, 'root service rows');
    await web.page.click('[data-testid="tab-map"]');
    await eventually(
      () => web.page.locator('[data-testid="map-edge"][data-parent="search"][data-child="catalog"]').getAttribute('data-calls'),
      (calls) => calls === String(traffic.byRoot.get('search')!.length),
      'search → catalog calls',
    );
    expect(await web.page.textContent('[data-testid="map-source"]')).toContain('this server has no GET /dependencies');
  });

  it('says so when the server goes away, and recovers when it is back', async () => {
    await web.page.click('[data-testid="tab-live"]');
    const port = Number(new URL(proxy.url).port);
    await proxy.close();
    const status = web.page.locator('[data-testid="connection-status"]');
    await eventually(() => status.getAttribute('data-state'), (s) => s === 'failed', 'failed after the server stopped', 15_000);
    expect(await status.textContent()).toContain(`cannot reach ${proxy.url}`);
    // The last data stays on screen.
    expect(await pointCount()).toBe(traceCount);
    await new Promise<void>((resolve) => proxy.server.listen(port, '127.0.0.1', resolve));
    await eventually(() => status.getAttribute('data-state'), (s) => s === 'connected', 'connected again', 15_000);
  });

  it('raised no script errors in the page', () => {
    expect(web.pageErrors).toEqual([]);
  });
});
