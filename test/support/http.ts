// HTTP test support: a real collector on an ephemeral port (BucketStore + ManualClock), requests
// through undici, lossless JSON for int64 times, and response validation against openapi.yaml.
//
// Every response that `Api.request` receives for a path the contract declares is validated
// against the declared schema for its status code (an undeclared status code is itself a
// failure), so a contract test cannot forget to check a shape.

import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { request as undiciRequest } from 'undici';
import { buildApp, type AppOptions, type Collector } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { SegmentLog } from '../../src/ingest-log/segment-log.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';

// Polling until something holds, for every test (the scripts under tools/ poll with the same one).
export { waitFor } from '../../tools/cluster/wait-for.js';

// ---------------------------------------------------------------------------------------------
// The contract documents

export { derefSchema, loadYaml, projectOpenapiPath, resolvePointer, upstreamOpenapiPath, type Json, type JsonObject } from './openapi-doc.js';
import { derefSchema, loadYaml, projectOpenapiPath, resolvePointer, type Json, type JsonObject } from './openapi-doc.js';

// ajv-formats ships CommonJS with the plugin on `default`.
type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin)) as FormatsPlugin;

/**
 * Canonical lowercase 8-4-4-4-12 UUID. The contract says ids are returned in lowercase, so
 * responses are held to that (ajv-formats alone would also pass "urn:uuid:" and uppercase).
 */
export const LOWERCASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface ResponseSpec {
  contentTypes: string[];
  validate: ValidateFunction | undefined;
}

/** Validators for every response the project contract declares, compiled once. */
export class ContractValidator {
  readonly doc: JsonObject;
  private readonly ajv: Ajv2020;
  private readonly responses = new Map<string, ResponseSpec>();
  private readonly templates: Array<{ template: string; regex: RegExp }> = [];

  constructor(path = projectOpenapiPath) {
    this.doc = loadYaml(path);
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat('uuid', LOWERCASE_UUID);
    const paths = this.doc.paths as JsonObject;
    for (const [template, item] of Object.entries(paths)) {
      const pattern = template
        .split('/')
        .map((seg) => (/^\{[^}]+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      this.templates.push({ template, regex: new RegExp(`^${pattern}$`) });
      for (const [method, op] of Object.entries(item as JsonObject)) {
        const responses = ((op as JsonObject).responses ?? {}) as JsonObject;
        for (const [status, response] of Object.entries(responses)) {
          const content = ((response as JsonObject).content ?? {}) as JsonObject;
          const json = content['application/json'] as JsonObject | undefined;
          const schema = json?.schema;
          this.responses.set(`${method.toUpperCase()} ${template} ${status}`, {
            contentTypes: Object.keys(content),
            validate: schema === undefined ? undefined : this.ajv.compile(derefSchema(this.doc, schema) as object),
          });
        }
      }
    }
  }

  /** The contract's path template for a concrete path, or undefined when it declares none. */
  templateFor(path: string): string | undefined {
    const bare = path.split('?')[0]!;
    const exact = this.templates.find((t) => t.template === bare);
    if (exact !== undefined) return exact.template;
    return this.templates.find((t) => t.regex.test(bare))?.template;
  }

  /** A validator for a component schema ("Span", "Error", …). */
  component(name: string): ValidateFunction {
    const schema = resolvePointer(this.doc, `#/components/schemas/${name}`);
    return this.ajv.compile(derefSchema(this.doc, schema) as object);
  }

  /**
   * Problems with a response, [] when it matches the contract. `plain` is the body as
   * JSON.parse reads it (int64 values rounded but still integers, which is what the schema
   * checks), validated before any lossless conversion.
   */
  check(method: string, path: string, status: number, contentType: string, text: string): string[] {
    const template = this.templateFor(path);
    if (template === undefined) return [];
    const spec = this.responses.get(`${method} ${template} ${status}`);
    if (spec === undefined) {
      // Methods the contract does not describe for this path (OPTIONS preflight) are not checked.
      const item = (this.doc.paths as JsonObject)[template] as JsonObject;
      if (!(method.toLowerCase() in item)) return [];
      return [`${method} ${template} answered ${status}, which the contract does not declare`];
    }
    // A response declared without content (POST /api/v2/spans 202) must have none.
    if (spec.contentTypes.length === 0) return text === '' ? [] : [`${method} ${template} ${status}: declared without a body, got ${text.slice(0, 200)}`];
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    if (!spec.contentTypes.includes(mediaType)) {
      return [`${method} ${template} ${status}: content-type ${contentType} is not one of ${spec.contentTypes.join(', ')}`];
    }
    if (spec.validate === undefined) return [];
    let plain: unknown;
    try {
      plain = JSON.parse(text);
    } catch {
      return [`${method} ${template} ${status}: body is not JSON: ${text.slice(0, 200)}`];
    }
    if (spec.validate(plain)) return [];
    return (spec.validate.errors ?? []).map(
      (e: ErrorObject) => `${method} ${template} ${status}: ${e.instancePath || '(root)'} ${e.message ?? e.keyword}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Lossless JSON

/**
 * JSON.parse, except that bare integers of 16 or more digits (beyond what a double holds
 * exactly) come back as their decimal text. Everything inside strings is left alone.
 */
export function parseJsonLossless(text: string): Json {
  let out = '';
  let last = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < n && /[0-9eE.+-]/.test(text[j]!)) j++;
      const token = text.slice(i, j);
      if (/^-?\d{16,}$/.test(token)) {
        out += text.slice(last, i) + '"' + token + '"';
        last = j;
      }
      i = j;
    } else {
      i++;
    }
  }
  return JSON.parse(out + text.slice(last)) as Json;
}

/** Exact decimal text of an integer read by parseJsonLossless. */
export function nsText(value: Json | undefined): string {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new Error(`not an exact integer: ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Span bodies with exact times

/** A span as a test writes it: times as exact decimal text, written as bare JSON numbers. */
export interface WireSpanInput {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  service?: string;
  operation?: string;
  start_time: string;
  end_time?: string;
  status?: 'ok' | 'error';
  tags?: Record<string, string>;
}

function spanJsonText(s: WireSpanInput): string {
  const end = s.end_time ?? (BigInt(s.start_time) + 150_000_000n).toString();
  let out = `{"trace_id":${JSON.stringify(s.trace_id)},"span_id":${JSON.stringify(s.span_id)}`;
  if (s.parent_span_id !== undefined) out += `,"parent_span_id":${JSON.stringify(s.parent_span_id)}`;
  out += `,"service":${JSON.stringify(s.service ?? 'checkout')},"operation":${JSON.stringify(s.operation ?? 'place_order')}`;
  out += `,"start_time":${s.start_time},"end_time":${end},"status":"${s.status ?? 'ok'}"`;
  if (s.tags !== undefined) out += `,"tags":${JSON.stringify(s.tags)}`;
  return out + '}';
}

/** `{"spans":[…]}` with start_time / end_time as bare integers holding every digit. */
export function spansBody(spans: readonly WireSpanInput[]): string {
  return `{"spans":[${spans.map(spanJsonText).join(',')}]}`;
}

// ---------------------------------------------------------------------------------------------
// A running collector

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  text: string;
  /** The body through parseJsonLossless, or undefined when it is not JSON. */
  json: Json | undefined;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface StartOptions {
  nowMs?: number;
  windowMinutes?: number;
  maxBodyBytes?: number;
  corsOrigin?: true | string[];
  evictionIntervalMs?: number;
  /** More settings, as the environment would give them (e.g. MAX_SPANS, INGEST_DELAY_TARGET_MS). */
  env?: Record<string, string>;
  /** Replaces the V8 heap reading in admission control. */
  heapShare?: () => number;
  /**
   * An ingest log to write through (durability tests). Without one the collector is purely in
   * memory, as with STORAGE=memory: these tests are about HTTP and the store, not the disk.
   */
  ingestLog?: (clock: ManualClock, windowMinutes: number) => SegmentLog;
  /** The store, instead of a new BucketStore (e.g. one whose apply() a test holds back). */
  store?: (clock: ManualClock, windowMinutes: number) => BucketStore;
  /** Other collectors' base URLs: the query routes then answer for them too (AppOptions.peers). */
  peers?: readonly string[];
  /** Read-your-writes across collectors (AppOptions.readYourWrites). */
  readYourWrites?: AppOptions['readYourWrites'];
}

export const DEFAULT_NOW_MS = Date.UTC(2024, 3, 19, 0, 10, 0); // 1713485400000

let sharedValidator: ContractValidator | undefined;
export function contractValidator(): ContractValidator {
  sharedValidator ??= new ContractValidator();
  return sharedValidator;
}

export class Api {
  readonly contract = contractValidator();

  constructor(
    readonly baseUrl: string,
    readonly collector: Collector,
    readonly clock: ManualClock,
    readonly store: BucketStore,
    readonly config: Config,
  ) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const res = await undiciRequest(this.baseUrl + path, {
      method: method as 'GET',
      headers: options.headers,
      body: options.body,
    });
    const text = await res.body.text();
    const contentType = String(res.headers['content-type'] ?? '');
    let json: Json | undefined;
    try {
      json = parseJsonLossless(text);
    } catch {
      json = undefined;
    }
    const problems = this.contract.check(method.toUpperCase(), path, res.statusCode, contentType, text);
    if (problems.length > 0) {
      throw new Error(`response does not match openapi.yaml:\n  ${problems.join('\n  ')}\nbody: ${text.slice(0, 500)}`);
    }
    return { status: res.statusCode, headers: res.headers as ApiResponse['headers'], contentType, text, json };
  }

  get(path: string, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.request('GET', path, { headers });
  }

  /** POST /spans with a raw body and content type (application/json unless told). */
  postRaw(body: string | Buffer, contentType: string | null = 'application/json'): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (contentType !== null) headers['content-type'] = contentType;
    return this.request('POST', '/spans', { headers, body });
  }

  postSpans(spans: readonly WireSpanInput[]): Promise<ApiResponse> {
    return this.postRaw(spansBody(spans));
  }

  /** GET /traces?… and the lossless body, failing unless the answer is 200. */
  async listTraces(query = ''): Promise<{ traces: JsonObject[]; total: number }> {
    const res = await this.get(`/traces${query === '' ? '' : `?${query}`}`);
    if (res.status !== 200) throw new Error(`GET /traces?${query} answered ${res.status}: ${res.text}`);
    return res.json as unknown as { traces: JsonObject[]; total: number };
  }

  async total(): Promise<number> {
    return (await this.listTraces('limit=0')).total;
  }

  async metricsText(): Promise<string> {
    const res = await this.get('/metrics');
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    return res.text;
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    return metricValue(await this.metricsText(), name, labels);
  }

  async close(): Promise<void> {
    await this.collector.app.close();
  }
}

/** Starts a collector on 127.0.0.1 with an ephemeral port. */
export async function startCollector(options: StartOptions = {}): Promise<Api> {
  const clock = new ManualClock(options.nowMs ?? DEFAULT_NOW_MS);
  // From loadConfig, so that settings added later get their defaults; shedding for queueing delay
  // is off unless asked for, since a busy test machine is not an overloaded collector.
  // maxBodyBytes may go below the 1 KiB the environment allows.
  const config: Config = {
    ...loadConfig({ INGEST_DELAY_TARGET_MS: '0', LOG_LEVEL: 'silent', ...options.env }),
    port: 0,
    host: '127.0.0.1',
    windowMinutes: options.windowMinutes ?? 30,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
    corsOrigin: options.corsOrigin ?? true,
  };
  const store = options.store?.(clock, config.windowMinutes) ?? new BucketStore({ clock, windowMinutes: config.windowMinutes, maxEndpoints: config.maxEndpoints, scanBudget: config.queryScanBudget });
  const ingestLog = options.ingestLog?.(clock, config.windowMinutes);
  const collector = await buildApp({ config, store, clock, logger: false, evictionIntervalMs: options.evictionIntervalMs, heapShare: options.heapShare, ingestLog, peers: options.peers, readYourWrites: options.readYourWrites });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  const address = collector.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return new Api(`http://127.0.0.1:${address.port}`, collector, clock, store, config);
}

/** The value of one Prometheus sample, matching labels exactly; undefined when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = (m[2] ?? '')
      .split(',')
      .filter((p) => p !== '')
      .sort()
      .join(',');
    if (have === wanted) return Number(m[3]);
  }
  return undefined;
}
