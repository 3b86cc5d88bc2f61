// Support for the OTLP, logs, interop and demo tests: a real collector on 127.0.0.1:0 whose span
// store and log store share one ManualClock (or the system clock, for real OpenTelemetry clients,
// which stamp spans with the time of day), wrapped in test/support's Api so every response to a
// contract path is validated against openapi.yaml.

import { request as undiciRequest } from 'undici';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { MinuteLogStore } from '../../src/logs/minute-log-store.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { Api, DEFAULT_NOW_MS, type JsonObject } from '../support/http.js';

export interface OtlpCollectorOptions {
  /** Fixed time for both stores; default DEFAULT_NOW_MS. `'system'` follows the real clock. */
  nowMs?: number | 'system';
  windowMinutes?: number;
  maxBodyBytes?: number;
  maxLogs?: number;
  maxSpans?: number;
  maxLogBodyBytes?: number;
}

/** A clock that reads Date.now() but still satisfies the ManualClock type Api expects. */
class SystemManualClock extends ManualClock {
  constructor() {
    super(Date.now());
  }
  override nowMs(): number {
    return Date.now();
  }
}

export async function startOtlpCollector(options: OtlpCollectorOptions = {}): Promise<Api> {
  const clock = options.nowMs === 'system' ? new SystemManualClock() : new ManualClock(options.nowMs ?? DEFAULT_NOW_MS);
  const base = loadConfig({ INGEST_DELAY_TARGET_MS: '0', LOG_LEVEL: 'silent' });
  const config: Config = {
    ...base,
    port: 0,
    host: '127.0.0.1',
    windowMinutes: options.windowMinutes ?? 30,
    maxBodyBytes: options.maxBodyBytes ?? base.maxBodyBytes,
    maxLogs: options.maxLogs ?? base.maxLogs,
    maxSpans: options.maxSpans ?? base.maxSpans,
    maxLogBodyBytes: options.maxLogBodyBytes ?? base.maxLogBodyBytes,
  };
  const store = new BucketStore({ clock, windowMinutes: config.windowMinutes });
  const logStore = new MinuteLogStore({ clock, windowMinutes: config.windowMinutes });
  const collector = await buildApp({ config, store, logStore, logger: false });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  const address = collector.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return new Api(`http://127.0.0.1:${address.port}`, collector, clock, store, config);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  body: Buffer;
}

/** A request whose answer is not checked against the contract (protobuf bodies, raw bytes). */
export async function rawRequest(
  api: Api,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer | Uint8Array,
): Promise<RawResponse> {
  const res = await undiciRequest(api.baseUrl + path, { method, headers, body });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return {
    status: res.statusCode,
    headers: res.headers as RawResponse['headers'],
    contentType: String(res.headers['content-type'] ?? ''),
    body: bytes,
  };
}

/** GET /traces/{id} through the contract-checking client; the spans by span_id. */
export async function spansById(api: Api, traceId: string): Promise<Map<string, JsonObject>> {
  const res = await api.get(`/traces/${traceId}`);
  if (res.status !== 200) throw new Error(`GET /traces/${traceId} answered ${res.status}: ${res.text}`);
  const spans = (res.json as { spans: JsonObject[] }).spans;
  return new Map(spans.map((s) => [String(s.span_id), s]));
}

/** Exact Unix nanoseconds of an OpenTelemetry HrTime. */
export function hrTimeNs(time: readonly [number, number]): string {
  return (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
}
