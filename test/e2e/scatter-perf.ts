// How smooth the live scatter stays with many points: seeds N traces (default 20,000) into a real
// collector, loads the dashboard with that point budget in Debian's Chromium (headless, so the
// canvas is rasterised on the CPU: a desktop browser with a GPU does better), pans the chart with
// shift+drag and reports the gaps between animation frames while panning.
// Run: npx tsx test/e2e/scatter-perf.ts [traces]

import { ensureDashboardBuilt, eventually, launchBrowser, startCollector } from './support/harness.js';
import { postSpans, shopTraffic } from './support/seed.js';

const count = Number(process.argv[2] ?? 20_000);
const budget = [1000, 5000, 10_000, 20_000].find((b) => b >= count) ?? 20_000;

async function main(): Promise<void> {
  await ensureDashboardBuilt();
  const server = await startCollector();
  const web = await launchBrowser();
  try {
    const now = Date.now();
    const traffic = shopTraffic(count, now - 14 * 60_000, now - 1000, 9);
    await postSpans(server.baseUrl, traffic.spans);
    const page = web.page;
    await page.addInitScript(`localStorage.setItem('traced.maxPoints', '${budget}')`);
    const loadStart = Date.now();
    await page.goto(`${server.baseUrl}/`);
    await eventually(
      async () => Number(await page.getAttribute('[data-testid="scatter"]', 'data-point-count')),
      (n) => n >= count * 0.95,
      'dots',
      60_000,
    );
    const loadMs = Date.now() - loadStart;
    const box = (await page.locator('[data-testid="scatter"] .u-over').boundingBox())!;
    // Strings, not functions: tsx would add helpers the page does not have.
    await page.evaluate(`window.__frames = []; (function tick(ts) { window.__frames.push(ts); requestAnimationFrame(tick); })(performance.now());`);
    await page.keyboard.down('Shift');
    await page.mouse.move(box.x + box.width * 0.8, box.y + 100);
    await page.mouse.down();
    const moves = 120;
    const panStart = Date.now();
    for (let i = 0; i < moves; i++) await page.mouse.move(box.x + box.width * (0.8 - i * 0.005), box.y + 100);
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const panMs = Date.now() - panStart;
    const frames = (await page.evaluate('window.__frames')) as number[];
    const gaps = frames
      .slice(1)
      .map((f, i) => f - frames[i]!)
      .sort((a, b) => a - b);
    const at = (q: number): string => gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * q))]!.toFixed(1);
    process.stdout.write(
      `${count} traces: ${loadMs} ms to first full draw; pan of ${moves} moves in ${panMs} ms; ` +
        `frame gap median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms over ${gaps.length} frames\n`,
    );
  } finally {
    await web.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
