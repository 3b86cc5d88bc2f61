// The upstream Traced dashboard must keep working against this collector. It is a static page on
// another origin (port 8081 upstream) that asks /health, then polls GET /traces?limit=1000 every
// 3 s, adding after/before (Math.round of doubles) once the chart has a range, parses the bodies
// with plain JSON.parse, and fetches GET /traces/{id} on click. This test serves a minimal page
// that does exactly that from a second origin and checks what it can read: CORS, field names,
// rounded bounds accepted, spans of a clicked trace.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailable,
  eventually,
  launchBrowser,
  startCollector,
  startStaticServer,
  type RunningBrowser,
  type RunningCollector,
} from './support/harness.js';
import { knownTrace, postSpans, shopTraffic, type KnownTrace } from './support/seed.js';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>upstream-style dashboard</title></head>
<body>
<input id="target-url"><button id="connect-btn">Connect</button>
<span id="status-text">disconnected</span>
<div id="stats"></div>
<svg id="chart" width="800" height="300"></svg>
<div id="trace-detail"></div>
<pre id="log"></pre>
<script>
  const POLL_INTERVAL_MS = 3000, TRACE_LIMIT = 1000;
  let targetURL = '', view = null, polls = 0;
  const log = (line) => { document.getElementById('log').textContent += line + '\\n'; };
  async function fetchTraces() {
    const rangeParams = view ? '&after=' + Math.round(view.minT) + '&before=' + Math.round(view.maxT) : '';
    const res = await fetch(targetURL + '/traces?limit=' + TRACE_LIMIT + rangeParams);
    if (!res.ok) { log('traces HTTP ' + res.status); return; }
    const data = await res.json();
    const traces = data.traces || [];
    const total = data.total ?? traces.length;
    polls++;
    log('poll ' + polls + ' ' + rangeParams + ' -> ' + traces.length + '/' + total);
    const svg = document.getElementById('chart');
    svg.innerHTML = '';
    let minT = Infinity, maxT = -Infinity;
    for (const t of traces) {
      for (const f of ['trace_id', 'root_service', 'root_operation', 'span_count', 'duration_ms', 'start_time', 'status']) {
        if (!(f in t)) log('missing field ' + f);
      }
      if (t.start_time < minT) minT = t.start_time;
      if (t.start_time > maxT) maxT = t.start_time;
      const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
      c.setAttribute('class', 'dot ' + (t.status === 'ok' ? 'ok' : 'error'));
      c.setAttribute('data-trace-id', t.trace_id);
      c.setAttribute('r', '3');
      c.addEventListener('click', () => loadTrace(t.trace_id));
      svg.appendChild(c);
    }
    document.getElementById('stats').textContent = 'total ' + total;
    // The upstream chart pads the data range by 5% (at least 2 s) and queries that range next.
    const span = Math.max(maxT - minT, 2e9);
    if (traces.length > 0) view = { minT: minT - span * 0.05, maxT: maxT + span * 0.05 };
  }
  async function loadTrace(id) {
    const res = await fetch(targetURL + '/traces/' + id);
    if (!res.ok) { document.getElementById('trace-detail').textContent = 'Failed: HTTP ' + res.status; return; }
    const data = await res.json();
    const rows = (data.spans || []).map((s) => {
      const ms = Number(BigInt(s.end_time) - BigInt(s.start_time)) / 1e6;
      return '<div class="span" data-span-id="' + s.span_id + '">' + s.service + '/' + s.operation + ' ' + ms.toFixed(1) + 'ms ' + s.status + '</div>';
    });
    document.getElementById('trace-detail').innerHTML = rows.join('');
  }
  document.getElementById('connect-btn').addEventListener('click', async () => {
    targetURL = document.getElementById('target-url').value.replace(/\\/+$/, '');
    try {
      const res = await fetch(targetURL + '/health');
      if (!res.ok) throw new Error('HTTP ' + res.status);
      document.getElementById('status-text').textContent = 'live';
      await fetchTraces();
      setInterval(() => fetchTraces().catch((e) => log('error ' + e.message)), POLL_INTERVAL_MS);
    } catch (e) {
      document.getElementById('status-text').textContent = 'error: ' + e.message;
    }
  });
</script>
</body></html>`;

const runBrowser = browserAvailable();

describe.skipIf(!runBrowser)('the upstream Traced dashboard, cross-origin', () => {
  let server: RunningCollector;
  let site: Awaited<ReturnType<typeof startStaticServer>>;
  let web: RunningBrowser;
  let known: KnownTrace;
  let traceCount: number;

  beforeAll(async () => {
    server = await startCollector();
    const now = Date.now();
    known = knownTrace(now - 60_000, 7);
    const traffic = shopTraffic(25, now - 5 * 60_000, now - 5_000, 3);
    await postSpans(server.baseUrl, [...traffic.spans, ...known.spans]);
    traceCount = traffic.traceIds.length + 1;
    site = await startStaticServer(undefined, { '/': { type: 'text/html; charset=utf-8', body: PAGE } });
    web = await launchBrowser({ width: 1000, height: 700 });
  }, 120_000);

  afterAll(async () => {
    await web?.close();
    await site?.close();
    await server?.close();
  });

  it('connects, polls GET /traces with rounded after/before, and reads every contract field', async () => {
    const page = web.page;
    expect(new URL(site.url).origin).not.toBe(new URL(server.baseUrl).origin);
    await page.goto(site.url);
    await page.fill('#target-url', `${server.baseUrl}/`);
    await page.click('#connect-btn');
    await eventually(() => page.textContent('#status-text'), (t) => t === 'live', 'status');
    await eventually(() => page.locator('circle.dot').count(), (n) => n === traceCount, 'dots');
    expect(await page.textContent('#stats')).toBe(`total ${traceCount}`);
    // The second poll carries the range the first one produced.
    const log = await eventually(() => page.textContent('#log'), (t) => (t ?? '').includes('poll 2 &after='), 'a ranged poll', 10_000);
    expect(log).toMatch(new RegExp(`poll 2 &after=\\d+&before=\\d+ -> ${traceCount}/${traceCount}`));
    expect(log).not.toContain('missing field');
    expect(log).not.toContain('HTTP');
    expect(await page.locator('circle.dot.error').count()).toBeGreaterThan(0);
  });

  it('shows the spans of a clicked trace', async () => {
    const page = web.page;
    await page.locator(`circle.dot[data-trace-id="${known.traceId}"]`).dispatchEvent('click');
    await eventually(() => page.locator('#trace-detail .span').count(), (n) => n === known.spans.length, 'spans');
    const text = await page.textContent('#trace-detail');
    expect(text).toContain('checkout/place_order 400.0ms ok');
    expect(text).toContain('shipping/quote 40.0ms error');
  });

  it('lets a page on another origin post spans (CORS preflight for JSON)', async () => {
    const page = web.page;
    const status = await page.evaluate(async (base) => {
      const now = BigInt(Date.now()) * 1_000_000n;
      const body = `{"spans":[{"trace_id":"0badc0de-0000-4000-8000-000000000001","span_id":"0badc0de-0000-4000-8000-000000000002","service":"web","operation":"click","start_time":${now},"end_time":${now + 5_000_000n},"status":"ok"}]}`;
      const res = await fetch(`${base}/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return res.status;
    }, server.baseUrl);
    expect(status).toBe(202);
  });

  it('raised no script errors in the page', () => {
    expect(web.pageErrors).toEqual([]);
  });
});
