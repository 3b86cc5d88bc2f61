// The dashboard end to end: a real collector seeded through POST /spans, the built dashboard it
// serves at `/`, and Chromium clicking through it as an on-call engineer would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailable,
  ensureDashboardBuilt,
  eventually,
  launchBrowser,
  startCollector,
  type RunningBrowser,
  type RunningCollector,
} from './support/harness.js';
import { knownTrace, postSpans, shopTraffic, type KnownTrace, type SeedSpan, type Traffic } from './support/seed.js';

/** What ScatterChart exposes for tests (web/src/views/ScatterChart.tsx). */
interface ScatterHooks {
  __tracedScatter?: { positionOf: (traceId: string) => { x: number; y: number } | undefined };
}

const runBrowser = browserAvailable();

describe.skipIf(!runBrowser)('dashboard against the collector', () => {
  let server: RunningCollector;
  let web: RunningBrowser;
  let known: KnownTrace;
  let traffic: Traffic;
  let seededTraces: number;
  /** Every span posted, for expected call counts. */
  const allSpans: SeedSpan[] = [];

  const page = () => web.page;
  const pointCount = async (): Promise<number> =>
    Number((await page().getAttribute('[data-testid="scatter"]', 'data-point-count')) ?? '-1');
  const waitForPoints = (n: number, what: string) => eventually(pointCount, (c) => c === n, what);

  beforeAll(async () => {
    await ensureDashboardBuilt();
    server = await startCollector();
    const now = Date.now();
    known = knownTrace(now - 2 * 60_000);
    traffic = shopTraffic(60, now - 10 * 60_000, now - 60_000);
    allSpans.push(...traffic.spans, ...known.spans);
    await postSpans(server.baseUrl, allSpans);
    seededTraces = traffic.traceIds.length + 1;
    web = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await server?.close();
  });

  it('serves the dashboard at / without shadowing the API', async () => {
    const index = await fetch(`${server.baseUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<div id="root">');
    for (const path of ['/health', '/traces', '/openapi.yaml', '/metrics']) {
      expect((await fetch(`${server.baseUrl}${path}`)).status, path).toBe(200);
    }
    const unknown = await fetch(`${server.baseUrl}/no-such-page`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no route for GET /no-such-page' });
  });

  it('shows one dot per trace in the live range and says it is connected', async () => {
    await page().goto(`${server.baseUrl}/`);
    await eventually(() => page().getAttribute('[data-testid="connection-status"]', 'data-state'), (s) => s === 'connected', 'connection');
    await waitForPoints(seededTraces, 'dots on the scatter');
    const traces = await page().textContent('[data-testid="summary-traces"] .value');
    expect(traces).toBe(String(seededTraces));
    expect(await page().textContent('[data-testid="summary-errors"] .value')).toMatch(/%$/);
    expect(await page().textContent('[data-testid="summary-p95"] .value')).toMatch(/ms$/);
  });

  it('polls: a trace posted after the page loaded appears without a reload, in the same chart', async () => {
    // Mark the chart's DOM: a poll must update it, not tear it down and build another (flicker).
    await page().evaluate("document.querySelector('[data-testid=scatter] .uplot').dataset.mark = 'first'");
    const late = knownTrace(Date.now() - 30_000, 2);
    allSpans.push(...late.spans);
    await postSpans(server.baseUrl, late.spans);
    seededTraces += 1;
    await waitForPoints(seededTraces, 'dots after a new trace arrived');
    expect(await page().getAttribute('[data-testid="scatter"] .uplot', 'data-mark')).toBe('first');
  });

  it('clicking a dot opens the waterfall with every span, the critical path, the orphan and the error', async () => {
    const position = await page().evaluate(
      (id) => (window as unknown as ScatterHooks).__tracedScatter?.positionOf(id),
      known.traceId,
    );
    expect(position, 'the known trace has a dot on screen').toBeDefined();
    await page().mouse.move(position!.x, position!.y);
    await page().waitForSelector('[data-testid="scatter-tooltip"]');
    await page().mouse.click(position!.x, position!.y);
    await page().waitForSelector('[data-testid="trace-view"]');
    expect(page().url()).toContain(`trace=${known.traceId}`);

    const rows = page().locator('[data-testid="span-row"]');
    await eventually(() => rows.count(), (n) => n === known.spans.length, 'waterfall rows');
    const ids = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-span-id')));
    expect(new Set(ids)).toEqual(new Set(known.spans.map((s) => s.span_id)));

    const critical = await page()
      .locator('[data-testid="span-row"][data-critical="true"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-span-id')));
    expect(new Set(critical)).toEqual(new Set(known.critical));
    expect(await page().locator('[data-testid="critical-section"]').count()).toBeGreaterThanOrEqual(known.critical.length);

    const orphan = page().locator(`[data-testid="span-row"][data-span-id="${known.orphanId}"]`);
    expect(await orphan.getAttribute('data-orphan')).toBe('true');
    expect(await orphan.textContent()).toContain('orphan');
    expect(await page().textContent('[data-testid="partial-notice"]')).toContain('never arrived');
    expect(await page().locator(`[data-testid="span-row"][data-span-id="${known.errorId}"]`).textContent()).toContain('error');

    // Tags on selection.
    const payment = known.spans.find((s) => s.service === 'payment')!;
    await page().click(`[data-testid="span-row"][data-span-id="${payment.span_id}"]`);
    const tags = await page().textContent('[data-testid="span-tags"]');
    expect(tags).toContain('amount');
    expect(tags).toContain('129.90');
    expect(page().url()).toContain(`span=${payment.span_id}`);

    // Collapsing payment hides its two children.
    await page().click(`[data-testid="span-row"][data-span-id="${payment.span_id}"] [data-testid="span-toggle"]`);
    await eventually(() => rows.count(), (n) => n === known.spans.length - 2, 'rows after collapsing payment');
  });

  it('Back returns to the live view', async () => {
    await page().goBack();
    await page().waitForSelector('[data-testid="live-view"]');
    await waitForPoints(seededTraces, 'dots after going back');
  });

  it('zooming into a time range drives after/before, and double-click returns to live', async () => {
    const box = (await page().locator('[data-testid="scatter"] .u-over').boundingBox())!;
    // The traffic fills the part of the 15-minute range between 10 and 1 minutes ago.
    const y = box.y + box.height / 2;
    await page().mouse.move(box.x + box.width * 0.4, y);
    await page().mouse.down();
    await page().mouse.move(box.x + box.width * 0.6, y, { steps: 8 });
    await page().mouse.up();
    await page().waitForSelector('[data-testid="range-pinned"]');
    const url = new URL(page().url());
    expect(url.searchParams.get('after')).toMatch(/^\d{19}$/);
    expect(url.searchParams.get('before')).toMatch(/^\d{19}$/);
    const zoomed = await eventually(pointCount, (c) => c > 0 && c < seededTraces, 'dots inside the zoomed range');
    expect(zoomed).toBeLessThan(seededTraces);
    await page().mouse.dblclick(box.x + box.width / 2, box.y + 10);
    await page().waitForSelector('[data-testid="range-live"]');
    await waitForPoints(seededTraces, 'dots back in live mode');
  });

  it('filters by service, mirrors the filter in the URL, and a shared URL shows the same view', async () => {
    const searches = traffic.byRoot.get('search')!.length;
    await page().selectOption('[data-testid="filter-service"]', 'search');
    await waitForPoints(searches, 'dots for service=search');
    expect(new URL(page().url()).searchParams.get('service')).toBe('search');

    await page().click('[data-testid="filter-status-ok"]');
    const okSearches = traffic.byRoot.get('search')!.filter((id) => !traffic.failed.has(id)).length;
    expect(okSearches).toBeLessThan(searches);
    await waitForPoints(okSearches, 'dots for service=search&status=ok');
    expect(new URL(page().url()).searchParams.get('status')).toBe('ok');
    const shared = page().url();

    const other = await web.context.newPage();
    await other.goto(shared);
    await eventually(
      async () => Number((await other.getAttribute('[data-testid="scatter"]', 'data-point-count')) ?? '-1'),
      (c) => c === okSearches,
      'dots in the shared view',
    );
    expect(await other.inputValue('[data-testid="filter-service"]')).toBe('search');
    await other.close();

    await page().click('[data-testid="filter-clear"]');
    await waitForPoints(seededTraces, 'dots after clearing filters');
  });

  it('finds a trace by id from the search box', async () => {
    await page().fill('[data-testid="trace-search"]', known.traceId.toUpperCase());
    await page().press('[data-testid="trace-search"]', 'Enter');
    await page().waitForSelector('[data-testid="trace-view"]');
    await eventually(() => page().locator('[data-testid="span-row"]').count(), (n) => n === known.spans.length, 'rows of the searched trace');
    await page().click('[data-testid="tab-live"]');
    await page().fill('[data-testid="trace-search"]', 'ffff0000');
    await page().press('[data-testid="trace-search"]', 'Enter');
    expect(await page().textContent('[data-testid="trace-search-error"]')).toContain('no loaded trace id starts with ffff0000');
  });

  it('the services table lists the services with rates, errors, percentiles and a histogram, sortable', async () => {
    await page().click('[data-testid="tab-services"]');
    const table = page().locator('[data-testid="services-table"]');
    await table.waitFor();
    const services = async () => table.locator('[data-testid="service-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-service')));
    const names = await eventually(services, (s) => ['checkout', 'search', 'login'].every((n) => s.includes(n)), 'service rows');
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(await table.locator('[data-testid="service-row"] svg.histogram').count()).toBe(names.length);
    const checkout = table.locator('[data-testid="service-row"][data-service="checkout"]');
    expect(await checkout.textContent()).toMatch(/ms/);

    await page().click('[data-testid="sort-name"]');
    const ascending = await services();
    expect(ascending).toEqual([...ascending].sort());
    await page().click('[data-testid="sort-name"]');
    const descending = await services();
    expect(descending).toEqual([...ascending].reverse());

    await checkout.locator('button.toggle').click();
    await eventually(
      () => table.locator('[data-testid="operation-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-operation'))),
      (ops) => ops.includes('place_order'),
      'checkout operations',
    );
  });

  it('the service map draws the dependency edges with call counts and error rates', async () => {
    await page().click('[data-testid="tab-map"]');
    await page().waitForSelector('[data-testid="service-map"]');
    const expected = new Map<string, number>();
    const all = allSpans;
    const byId = new Map(all.map((s) => [s.span_id, s]));
    for (const s of all) {
      const parent = s.parent_span_id === undefined ? undefined : byId.get(s.parent_span_id);
      if (parent === undefined || parent.service === s.service) continue;
      const key = `${parent.service}→${s.service}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const edges = await eventually(
      () =>
        page()
          .locator('[data-testid="map-edge"]')
          .evaluateAll((els) => els.map((e) => [`${e.getAttribute('data-parent')}→${e.getAttribute('data-child')}`, Number(e.getAttribute('data-calls'))] as const)),
      (list) => list.length >= expected.size,
      'map edges',
    );
    const drawn = new Map(edges);
    expect(drawn.get('checkout→payment')).toBe(expected.get('checkout→payment'));
    expect(drawn.get('payment→bank')).toBe(expected.get('payment→bank'));
    expect(drawn.get('search→catalog')).toBe(expected.get('search→catalog'));
    const label = await page().locator('[data-testid="map-edge"][data-parent="checkout"][data-child="payment"] text').textContent();
    expect(label).toMatch(/calls · .*% err/);
    expect(await page().locator('[data-testid="map-node"]').count()).toBeGreaterThanOrEqual(8);
    const source = await page().textContent('[data-testid="map-source"]');
    expect(source).toContain(server.collector.app.hasRoute({ method: 'GET', url: '/dependencies' }) ? 'GET /dependencies' : 'newest traces');
  });

  it('lights up the extension views the collector offers', async () => {
    const capability = (name: string) => page().getAttribute(`[data-testid="cap-${name}"]`, 'data-on');
    expect(await capability('ingest-rate')).toBe('true');
    const expectOn = (route: string) => (server.collector.app.hasRoute({ method: 'GET', url: route }) ? 'true' : 'false');
    expect(await capability('services')).toBe(expectOn('/services'));
    expect(await capability('map')).toBe(expectOn('/dependencies'));
    expect(await capability('stats')).toBe(expectOn('/stats'));
  });

  it('raised no script errors in the page', () => {
    expect(web.pageErrors).toEqual([]);
  });
});
