// Screenshots of every dashboard view for the README: a real collector seeded with a few minutes
// of shop traffic, the built dashboard, Debian's Chromium. Run: npx tsx test/e2e/screenshots.ts
// Writes docs/screenshots/{live,trace,services,map,filtered}.png.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/http/paths.js';
import { ensureDashboardBuilt, eventually, launchBrowser, startCollector } from './support/harness.js';
import { knownTrace, postSpans, shopTraffic } from './support/seed.js';

const outDir = join(projectRoot, 'docs', 'screenshots');

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await ensureDashboardBuilt();
  const server = await startCollector();
  const web = await launchBrowser({ width: 1440, height: 960 });
  try {
    const now = Date.now();
    const traffic = shopTraffic(1500, now - 14 * 60_000, now - 5_000, 11);
    const known = knownTrace(now - 3 * 60_000);
    await postSpans(server.baseUrl, [...traffic.spans, ...known.spans]);
    // Keep traffic arriving while the pictures are taken, so "spans ingested now" is live.
    let seq = 0;
    const feeder = setInterval(() => {
      const t = Date.now();
      const batch = shopTraffic(8, t - 1000, t, 1000 + seq, 100_000 + seq * 8);
      seq++;
      void postSpans(server.baseUrl, batch.spans).catch(() => undefined);
    }, 500);
    const page = web.page;
    const shot = async (name: string): Promise<void> => {
      // Two /metrics polls give the ingest rate.
      await eventually(() => page.textContent('[data-testid="summary-ingest"] .value'), (t) => t !== '—', 'ingest rate');
      await page.waitForTimeout(400);
      await page.screenshot({ path: join(outDir, `${name}.png`) });
      process.stdout.write(`wrote docs/screenshots/${name}.png\n`);
    };
    const points = async (): Promise<number> => Number((await page.getAttribute('[data-testid="scatter"]', 'data-point-count')) ?? '0');

    await page.goto(`${server.baseUrl}/`);
    await eventually(points, (n) => n > 1000, 'dots');
    // A hover, so the picture shows the tooltip.
    const position = await page.evaluate((id) => (window as unknown as { __tracedScatter?: { positionOf: (id: string) => { x: number; y: number } | undefined } }).__tracedScatter?.positionOf(id), known.traceId);
    if (position !== undefined) await page.mouse.move(position.x, position.y);
    await shot('live');

    await page.goto(`${server.baseUrl}/?color=service&log=1&status=error`);
    await eventually(points, (n) => n > 0, 'error dots');
    await shot('filtered');

    await page.goto(`${server.baseUrl}/?view=trace&trace=${known.traceId}&span=${known.spans.find((s) => s.service === 'payment')!.span_id}`);
    await page.waitForSelector('[data-testid="span-row"]');
    await shot('trace');

    await page.goto(`${server.baseUrl}/?view=services`);
    await page.waitForSelector('[data-testid="service-row"]');
    const checkout = page.locator('[data-testid="service-row"][data-service="checkout"] button.toggle');
    if ((await checkout.count()) > 0) await checkout.click();
    await page.waitForTimeout(1200);
    await shot('services');

    await page.goto(`${server.baseUrl}/?view=map`);
    await page.waitForSelector('[data-testid="service-map"], [data-testid="map-unavailable"]');
    await shot('map');
    clearInterval(feeder);
  } finally {
    await web.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
