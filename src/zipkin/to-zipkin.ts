// Stored spans → Zipkin v2 JSON spans, for the /api/v2 read API: the inverse of map-spans.ts.
// A span that came in through Zipkin comes back as it was sent (µs times, kind, endpoints,
// annotations, shared), except for what the store does not keep: tags beyond the first 50, text
// cut to the limits, and a tag key order other than the one sent. Spans from other paths (POST
// /spans, OTLP, the SDK) are shown the same way: span.kind → kind, status error → an "error" tag.
//
// Times: Zipkin counts microseconds, the store nanoseconds. start is floored to the µs; duration is
// floor(end µs) − floor(start µs) rounded up to 1 µs when the span lasted any time at all, as
// Zipkin's own converters do (a zero duration means "unknown" there and is left out).

import { uuidToZipkinSpanId, uuidToZipkinTraceId } from '../codec/zipkin-ids.js';
import type { NsText } from '../time/nanos.js';
import { ANNOTATION_TAG_PREFIX, SHARED_TAG, UNKNOWN_SERVICE } from './map-spans.js';

/** What the read API needs of a stored span (store/store-shapes.ts StoredSpan has it). */
export interface StoredSpanFields {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  service: string;
  operation: string;
  start_time: NsText;
  end_time: NsText;
  status: 'ok' | 'error';
  tags?: Record<string, string>;
}

export interface ZipkinEndpointJson {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinSpanJson {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp: number;
  duration?: number;
  shared?: true;
  localEndpoint: ZipkinEndpointJson;
  remoteEndpoint?: ZipkinEndpointJson;
  annotations?: Array<{ timestamp: number; value: string }>;
  tags?: Record<string, string>;
}

const KINDS = new Map<string, ZipkinSpanJson['kind']>([
  ['client', 'CLIENT'],
  ['server', 'SERVER'],
  ['producer', 'PRODUCER'],
  ['consumer', 'CONSUMER'],
]);

const ANNOTATION_KEY = /^annotation\.(\d{1,16})(?:\.\d+)?$/;
const ENDPOINT_KEY = /^(remoteEndpoint|localEndpoint)\.(serviceName|ipv4|ipv6|port)$/;

function endpointField(endpoint: ZipkinEndpointJson, field: string, value: string): void {
  if (field === 'port') {
    const port = Number(value);
    if (Number.isInteger(port) && port > 0 && port <= 65535) endpoint.port = port;
  } else if (field === 'serviceName' || field === 'ipv4' || field === 'ipv6') {
    endpoint[field] = value;
  }
}

/** The Zipkin form of one stored span. */
export function toZipkinSpan(span: StoredSpanFields): ZipkinSpanJson {
  const id = uuidToZipkinSpanId(span.span_id)!;
  const startUs = BigInt(span.start_time) / 1000n;
  const endUs = BigInt(span.end_time) / 1000n;
  let durationUs = endUs - startUs;
  if (durationUs === 0n && span.end_time !== span.start_time) durationUs = 1n;

  const out: ZipkinSpanJson = {
    traceId: uuidToZipkinTraceId(span.trace_id)!,
    id: id.id,
    name: span.operation,
    timestamp: Number(startUs),
    localEndpoint: span.service === UNKNOWN_SERVICE ? {} : { serviceName: span.service },
  };
  if (span.parent_span_id !== undefined) {
    const parent = uuidToZipkinSpanId(span.parent_span_id)!;
    // The server half of a shared span names its client half as parent, under the same id: Zipkin
    // leaves its parentId to be the client's parent, which the store does not hold here.
    if (!(id.shared && parent.id === id.id)) out.parentId = parent.id;
  }
  if (durationUs > 0n) out.duration = Number(durationUs);
  if (id.shared) out.shared = true;

  const tags: Record<string, string> = {};
  const annotations: Array<{ timestamp: number; value: string }> = [];
  const remote: ZipkinEndpointJson = {};
  let hasTags = false;
  for (const [key, value] of Object.entries(span.tags ?? {})) {
    if (key === 'span.kind' && KINDS.has(value)) {
      out.kind = KINDS.get(value);
      continue;
    }
    if (key === SHARED_TAG && id.shared) continue;
    if (key.startsWith(ANNOTATION_TAG_PREFIX)) {
      const match = ANNOTATION_KEY.exec(key);
      if (match !== null) {
        annotations.push({ timestamp: Number(match[1]), value });
        continue;
      }
    }
    const endpointMatch = ENDPOINT_KEY.exec(key);
    if (endpointMatch !== null) {
      endpointField(endpointMatch[1] === 'remoteEndpoint' ? remote : out.localEndpoint, endpointMatch[2]!, value);
      continue;
    }
    tags[key] = value;
    hasTags = true;
  }
  if (span.status === 'error' && !Object.hasOwn(tags, 'error')) {
    tags.error = 'true';
    hasTags = true;
  }
  if (Object.keys(remote).length > 0) out.remoteEndpoint = remote;
  if (annotations.length > 0) out.annotations = annotations.sort((a, b) => a.timestamp - b.timestamp);
  if (hasTags) out.tags = tags;
  return out;
}

/**
 * A whole trace in Zipkin's form, in the order given. The server half of a shared span gets its
 * client half's parent, as Zipkin stores it, when the client half is among `spans`.
 */
export function toZipkinTrace(spans: readonly StoredSpanFields[]): ZipkinSpanJson[] {
  const parentOf = new Map<string, string | undefined>();
  for (const span of spans) parentOf.set(span.span_id, span.parent_span_id);
  return spans.map((span) => {
    const out = toZipkinSpan(span);
    if (out.shared === true && span.parent_span_id !== undefined && parentOf.has(span.parent_span_id)) {
      const clientParent = parentOf.get(span.parent_span_id);
      if (clientParent !== undefined) out.parentId = uuidToZipkinSpanId(clientParent)!.id;
    }
    return out;
  });
}
