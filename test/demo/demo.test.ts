// The demo, run for real on free ports: a full cycle of requests through gateway (our SDK) →
// checkout (OpenTelemetry) → inventory and payment (our SDK), then the collector is asked what
// it assembled. And `npm run demo`'s entry point, run as a child process for two seconds.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { projectRoot } from '../../src/http/paths.js';
import { parseArgs, parseDuration } from '../../demo/cli.js';
import { SCENARIOS, startDemo, type Demo, type DemoRequest } from '../../demo/demo.js';
import { parseJsonLossless, waitFor, type JsonObject } from '../support/http.js';

async function getJson(url: string): Promise<{ status: number; body: JsonObject }> {
  const res = await fetch(url);
  return { status: res.status, body: parseJsonLossless(await res.text()) as JsonObject };
}

describe('the demo', () => {
  let demo: Demo;
  let output = '';
  const spansOf = new Map<string, JsonObject[]>();

  beforeAll(async () => {
    const config: Config = { ...loadConfig({ LOG_LEVEL: 'warn', INGEST_DELAY_TARGET_MS: '0' }), port: 0, host: '127.0.0.1' };
    demo = await startDemo({ config, intervalMs: 20, write: (text) => (output += text) });
    await waitFor('a full cycle of demo requests', async () => demo.requests.length >= SCENARIOS.length + 1, 30_000, 50);
    await demo.stopLoad(); // flushes every service's spans and logs, and prints the last trees
    for (const request of demo.requests) {
      if (request.traceId === undefined) continue;
      const { status, body } = await getJson(`${demo.collectorUrl}/traces/${request.traceId}`);
      expect(status).toBe(200);
      spansOf.set(request.traceId, body.spans as JsonObject[]);
    }
  });

  afterAll(async () => {
    await demo?.close();
  });

  const requestsNamed = (name: string): DemoRequest[] => demo.requests.filter((r) => r.scenario.name === name);
  const one = (spans: JsonObject[], service: string, operation: RegExp): JsonObject => {
    const found = spans.filter((s) => s.service === service && operation.test(String(s.operation)));
    expect(found, `${service} ${operation}`).toHaveLength(1);
    return found[0]!;
  };

  it('answers every scenario as designed', () => {
    const statuses = Object.fromEntries(SCENARIOS.map((s) => [s.name, requestsNamed(s.name).map((r) => r.status)]));
    expect(statuses['order']!.every((s) => s === 201)).toBe(true);
    expect(statuses['slow path']).toContain(201);
    expect(statuses['out of stock']).toContain(409);
    expect(statuses['card declined']).toContain(402);
    expect(statuses['payment crash']).toContain(502);
    expect(demo.requests.every((r) => r.traceId !== undefined)).toBe(true);
  });

  it('stores each successful order as one trace with spans from all four services and exact parent links', () => {
    for (const request of requestsNamed('order')) {
      const spans = spansOf.get(request.traceId!)!;
      expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['gateway', 'checkout', 'inventory', 'payment']));
      expect(spans).toHaveLength(11);
      const ids = new Set(spans.map((s) => s.span_id));
      const roots = spans.filter((s) => s.parent_span_id === undefined);
      expect(roots.map((s) => `${String(s.service)} ${String(s.operation)}`)).toEqual(['gateway GET /checkout']);
      for (const span of spans) if (span.parent_span_id !== undefined) expect(ids.has(span.parent_span_id)).toBe(true);

      const gatewayClient = one(spans, 'gateway', /^POST http:.*\/orders$/);
      const checkoutServer = one(spans, 'checkout', /^POST \/orders$/);
      const toInventory = one(spans, 'checkout', /^GET http:.*\/reserve$/);
      const toPayment = one(spans, 'checkout', /^POST http:.*\/charge$/);
      expect(gatewayClient.parent_span_id).toBe(roots[0]!.span_id);
      expect(checkoutServer.parent_span_id).toBe(gatewayClient.span_id); // our SDK → OpenTelemetry
      expect(one(spans, 'inventory', /^GET \/reserve$/).parent_span_id).toBe(toInventory.span_id); // OpenTelemetry → our SDK
      expect(one(spans, 'payment', /^POST \/charge$/).parent_span_id).toBe(toPayment.span_id);
      expect(spans.every((s) => s.status === 'ok')).toBe(true);
    }
  });

  it('records the slow path and the failures where they happen', async () => {
    const slow = spansOf.get(requestsNamed('slow path')[0]!.traceId!)!;
    const query = one(slow, 'inventory', /^db\.query$/);
    expect(BigInt(String(query.end_time)) - BigInt(String(query.start_time))).toBeGreaterThanOrEqual(350_000_000n);

    const crash = spansOf.get(requestsNamed('payment crash')[0]!.traceId!)!;
    const authorize = one(crash, 'payment', /^card_network\.authorize$/);
    expect(authorize.status).toBe('error');
    expect(authorize.tags).toMatchObject({ 'exception.message': 'card network timed out after 3 retries' });
    expect(one(crash, 'gateway', /^GET \/checkout$/).status).toBe('error');

    const outOfStock = spansOf.get(requestsNamed('out of stock')[0]!.traceId!)!;
    expect(outOfStock.some((s) => s.service === 'payment')).toBe(false); // never charged

    const { body } = await getJson(`${demo.collectorUrl}/traces?limit=1000`);
    const status = new Map((body.traces as JsonObject[]).map((t) => [t.trace_id, t.status]));
    expect(status.get(requestsNamed('payment crash')[0]!.traceId!)).toBe('error');
    expect(status.get(requestsNamed('order')[0]!.traceId!)).toBe('ok');
  });

  it('correlates every service\'s log lines with the trace and its spans', async () => {
    for (const request of [...requestsNamed('order'), ...requestsNamed('payment crash')]) {
      const { status, body } = await getJson(`${demo.collectorUrl}/traces/${request.traceId}/logs`);
      expect(status).toBe(200);
      const logs = body.logs as JsonObject[];
      const spanIds = new Set(spansOf.get(request.traceId!)!.map((s) => s.span_id));
      expect(new Set(logs.map((l) => l.service))).toEqual(new Set(['gateway', 'checkout', 'inventory', 'payment']));
      for (const line of logs) {
        expect(line.trace_id).toBe(request.traceId);
        expect(spanIds.has(line.span_id), `span of "${String(line.message)}"`).toBe(true);
      }
      if (request.scenario.name === 'payment crash') {
        expect(logs.some((l) => l.service === 'payment' && l.level === 'error' && l.message === 'payment processor failed')).toBe(true);
      }
    }
  });

  it('prints each trace as a tree with the SDK renderer', () => {
    expect(output).toMatch(/#1 order: GET \/checkout\?item=espresso-beans → 201 in \d+ ms {2}\(11 spans from 4 services, \d+ log lines\)/);
    expect(output).toMatch(/\ngateway GET \/checkout {2}\+0\.000ms {2}[\d.]+ms\n {2}gateway POST http:\/\/127\.0\.0\.1:\d+\/orders/);
    expect(output).toMatch(/\n {6}checkout POST http:\/\/127\.0\.0\.1:\d+\/charge .*✗ error\n/);
  });
});

describe('npm run demo (demo/main.ts)', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  });

  it('parses its options', () => {
    expect(parseDuration('20s')).toBe(20_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('3')).toBe(3000);
    expect(() => parseDuration('soon')).toThrow(/--duration takes a time/);
    expect(parseArgs(['--duration', '2s', '--interval=50', '--quiet'])).toEqual({ durationMs: 2000, intervalMs: 50, quiet: true });
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
  });

  it('runs for --duration on PORT, prints a summary, and exits 0', async () => {
    const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
    child = spawn(tsx, ['demo/main.ts', '--duration', '2s', '--interval', '50', '--quiet'], {
      cwd: projectRoot,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child!.on('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/collector {2}http:\/\/localhost:\d+/);
    expect(stdout).toMatch(/#1 order: GET \/checkout\?item=espresso-beans → 201/);
    expect(stdout).toMatch(/\d+ requests:\n {2}order +\d+× 201/);
    expect(stdout).toMatch(/the collector held \d+ traces/);
  });
});
