// The ingest benchmark's Zipkin bodies (bench/lib/zipkin-body-template.ts) must be what the row
// claims: valid Zipkin v2 requests of 100 spans, accepted whole, with ids no other request reuses.

import { afterEach, beforeEach, expect, it } from 'vitest';
import { ZipkinBodyTemplate } from '../../bench/lib/zipkin-body-template.js';
import { startCollector, type Api } from '../support/http.js';

let api: Api;
beforeEach(async () => {
  api = await startCollector({ nowMs: Date.now() });
});
afterEach(async () => {
  await api.close();
});

it('the benchmark Zipkin bodies are accepted whole, each with fresh ids', async () => {
  const template = new ZipkinBodyTemplate('a1b2c3d4', 100);
  expect(template.spans).toBe(100);
  const bodies = [template.next(), template.next(), template.next()];
  const ids = new Set(bodies.flatMap((b) => (JSON.parse(b.toString()) as Array<{ traceId: string; id: string }>).map((s) => `${s.traceId}/${s.id}`)));
  expect(ids.size).toBe(300);
  for (const body of bodies) {
    const res = await api.request('POST', '/api/v2/spans', { headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(202);
  }
  expect(await api.metric('traced_spans_accepted_total')).toBe(300);
});
