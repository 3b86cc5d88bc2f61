// The collector writing through its ingest log (buildApp with an ingest log on a temp dir):
// a full disk or an I/O error is a 503 with reason `storage` on every ingest route, keeps nothing
// and passes when the disk does; replay answers GET /health 503 with its progress and refuses
// ingest with reason `replaying` until it is done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeLogFiles, type LogFiles } from '../../src/ingest-log/log-files.js';
import { SegmentLog } from '../../src/ingest-log/segment-log.js';
import type { SpanBatch } from '../../src/ingest/span-batch.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import type { IngestResult } from '../../src/store/store-shapes.js';
import type { ManualClock } from '../../src/time/clock.js';
import { DEFAULT_NOW_MS, startCollector, waitFor, type Api } from '../support/http.js';
import { nsAt, uuid } from '../support/spans.js';

const dirs: string[] = [];
const apis: Api[] = [];
afterEach(async () => {
  for (const api of apis.splice(0)) await api.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-http-'));
  dirs.push(dir);
  return dir;
}

/** The real file layer with a switch: while `full.code` is set every write fails with it. */
function switchableDisk() {
  const full: { code: string | undefined } = { code: undefined };
  const files: LogFiles = {
    ...nodeLogFiles,
    async write(fd, buffer, length, position) {
      if (full.code !== undefined) throw Object.assign(new Error(`${full.code}: injected`), { code: full.code });
      return nodeLogFiles.write(fd, buffer, length, position);
    },
  };
  return { files, full };
}

async function start(dir: string, files: LogFiles = nodeLogFiles, store?: (clock: ManualClock, windowMinutes: number) => BucketStore): Promise<Api> {
  const api = await startCollector({ ingestLog: (clock, windowMinutes) => new SegmentLog({ dir, clock, windowMinutes, files }), store });
  apis.push(api);
  return api;
}

const spanOf = (n: number) => ({ trace_id: uuid(n), span_id: uuid(1000 + n), service: 'checkout', operation: 'pay', start_time: nsAt(DEFAULT_NOW_MS - 1000, BigInt(n)), end_time: nsAt(DEFAULT_NOW_MS - 500, 7n), status: 'ok' as const, tags: { n: String(n) } });

function otlpBody(n: number): string {
  const hex = uuid(n).replaceAll('-', '');
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'otlp-svc' } }] },
        scopeSpans: [{ spans: [{ traceId: hex, spanId: hex.slice(16), name: 'op', kind: 1, startTimeUnixNano: nsAt(DEFAULT_NOW_MS - 1000), endTimeUnixNano: nsAt(DEFAULT_NOW_MS - 900) }] }],
      },
    ],
  });
}

/** One Zipkin v2 span of trace uuid(n) (its 32-hex id is that UUID's digits). */
function zipkinBody(n: number): string {
  const micros = String((DEFAULT_NOW_MS - 1000) * 1000);
  return JSON.stringify([{ traceId: uuid(n).replaceAll('-', ''), id: uuid(n).replaceAll('-', '').slice(16), name: 'op', timestamp: 0, duration: 100, localEndpoint: { serviceName: 'zipkin-svc' } }]).replace('"timestamp":0', `"timestamp":${micros}`);
}

function logsBody(n: number): string {
  return JSON.stringify({ logs: [{ time: 0, trace_id: uuid(n), service: 'checkout', level: 'info', message: `log ${n}` }] }).replace('"time":0', `"time":${nsAt(DEFAULT_NOW_MS - 1000)}`);
}

describe('a full disk', () => {
  for (const code of ['ENOSPC', 'EIO']) {
    it(`(${code}) answers 503 + Retry-After with reason storage on every ingest route, keeps nothing, and passes when the disk does`, async () => {
      const dir = tempDir();
      const disk = switchableDisk();
      const api = await start(dir, disk.files);
      disk.full.code = code;
      const spans = await api.postSpans([spanOf(1)]);
      expect(spans.status).toBe(503);
      expect(Number(spans.headers['retry-after'])).toBeGreaterThan(0);
      expect(spans.text).toContain(code);
      const otlp = await api.request('POST', '/v1/traces', { headers: { 'content-type': 'application/json' }, body: otlpBody(2) });
      expect(otlp.status).toBe(503);
      expect(otlp.headers['retry-after']).toBeDefined();
      const logs = await api.request('POST', '/logs', { headers: { 'content-type': 'application/json' }, body: logsBody(3) });
      expect(logs.status).toBe(503);
      const zipkin = await api.request('POST', '/api/v2/spans', { headers: { 'content-type': 'application/json' }, body: zipkinBody(4) });
      expect(zipkin.status).toBe(503);
      expect(zipkin.headers['retry-after']).toBeDefined();
      expect((await api.get(`/traces/${uuid(4)}`)).status).toBe(404);
      for (const n of [1, 2]) expect((await api.get(`/traces/${uuid(n)}`)).status).toBe(404);
      expect((await api.get(`/traces/${uuid(3)}/logs`)).status).toBe(404);
      expect(await api.metric('traced_batches_rejected_total', { reason: 'storage' })).toBe(2);
      expect(await api.metric('traced_otlp_requests_rejected_total', { reason: 'storage' })).toBe(1);
      expect(await api.metric('traced_log_batches_rejected_total', { reason: 'storage' })).toBe(1);

      // Space is back: the same batches go in, with no restart.
      disk.full.code = undefined;
      expect((await api.postSpans([spanOf(1)])).status).toBe(202);
      expect((await api.request('POST', '/v1/traces', { headers: { 'content-type': 'application/json' }, body: otlpBody(2) })).status).toBe(200);
      expect((await api.request('POST', '/logs', { headers: { 'content-type': 'application/json' }, body: logsBody(3) })).status).toBe(202);
      await api.close();
      apis.length = 0;

      // What a restart reads back is exactly what was acknowledged.
      const again = await start(dir);
      await again.collector.replay();
      expect((await again.get(`/traces/${uuid(1)}`)).status).toBe(200);
      expect((await again.get(`/traces/${uuid(2)}`)).status).toBe(200);
      const replayedLogs = await again.get(`/traces/${uuid(3)}/logs`);
      expect(replayedLogs.status).toBe(200);
      expect(replayedLogs.text).toContain('log 3');
      expect(await again.total()).toBe(2);
    });
  }
});

/** A BucketStore whose apply() waits until released: replay stops mid-way for as long as a test needs. */
function heldStore(clock: ManualClock, windowMinutes: number): { store: BucketStore; release: () => void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const inner = new BucketStore({ clock, windowMinutes });
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'apply') return async (batch: SpanBatch): Promise<IngestResult> => (await held, target.apply(batch));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, release };
}

describe('replay at start', () => {
  it('answers GET /health 503 with its progress and refuses ingest (reason replaying) until done', async () => {
    const dir = tempDir();
    const first = await start(dir);
    for (let n = 0; n < 5; n++) expect((await first.postSpans([spanOf(n)])).status).toBe(202);
    await first.close();
    apis.length = 0;

    let release!: () => void;
    const api = await start(dir, nodeLogFiles, (clock, windowMinutes) => {
      const held = heldStore(clock, windowMinutes);
      release = held.release;
      return held.store;
    });
    const replay = api.collector.replay();
    const health = await api.get('/health');
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ status: 'replaying', segments_done: 0 });
    // Held in the first record's apply: the segment is counted, and is not done.
    await waitFor('replay to reach the first record', async () => ((await api.get('/health')).json as { spans_replayed: number }).spans_replayed === 1);
    expect((await api.get('/health')).json).toMatchObject({ status: 'replaying', segments_total: 1, segments_done: 0, spans_replayed: 1 });
    const refused = await api.postSpans([spanOf(9)]);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.text).toContain('replaying');

    release();
    await replay;
    expect((await api.get('/health')).json).toEqual({ status: 'ok' });
    expect(await api.total()).toBe(5);
    expect(await api.metric('traced_batches_rejected_total', { reason: 'replaying' })).toBe(1);
    expect(await api.metric('traced_ingest_log_replayed_spans_total')).toBe(5);
    expect((await api.postSpans([spanOf(9)])).status).toBe(202);
  });
});
