// Response bodies that carry int64 times, written by hand.
//
// fast-json-stringify would turn the exact decimal text back into a double and lose the last
// digits, so these bodies are assembled as text: strings through JSON.stringify (escaping),
// int64 values verbatim. Field order follows the contract, extension fields last.
// The contract tests (test/http/contract-*.test.ts) validate every one of them against
// openapi.yaml.

import type { StoredSpan, TraceDetail, TraceList, TraceSummary, TreeSpan } from '../store/trace-store.js';

const str = JSON.stringify;

/** JSON text of service and operation names as UTF-8: a listing repeats a few names thousands of times. */
const nameBytes = new Map<string, Buffer>();

function jsonNameBytes(name: string): Buffer {
  let bytes = nameBytes.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(str(name), 'utf8');
    // Names are few in practice; the bound keeps pathological input from growing the cache.
    if (nameBytes.size >= 10_000) nameBytes.clear();
    nameBytes.set(name, bytes);
  }
  return bytes;
}

/**
 * Writes a listing's JSON straight into bytes. A 1000-trace page is ~250 KB; built as a string it
 * left ~1 KB of intermediate strings per trace for the garbage collector, and the string was then
 * measured and encoded to UTF-8 again on its way out. Everything here but the cached names is
 * ASCII (ids, digits, fixed text), copied code by code.
 */
class ListWriter {
  private buf: Buffer;
  private at = 0;

  constructor(expectedBytes: number) {
    this.buf = Buffer.allocUnsafe(expectedBytes);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  /** A string known to be ASCII. */
  ascii(text: string): void {
    this.room(text.length);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
    this.at = at;
  }

  bytes(bytes: Buffer): void {
    this.room(bytes.length);
    bytes.copy(this.buf, this.at);
    this.at += bytes.length;
  }

  summary(t: TraceSummary): void {
    this.ascii('{"trace_id":"');
    this.ascii(t.trace_id);
    this.ascii('","root_service":');
    this.bytes(jsonNameBytes(t.root_service));
    this.ascii(',"root_operation":');
    this.bytes(jsonNameBytes(t.root_operation));
    this.ascii(',"span_count":');
    this.ascii(String(t.span_count));
    this.ascii(',"duration_ms":');
    this.ascii(String(t.duration_ms));
    this.ascii(',"start_time":');
    this.ascii(t.start_time);
    this.ascii(t.status === 'error' ? ',"status":"error","services":[' : ',"status":"ok","services":[');
    for (let i = 0; i < t.services.length; i++) {
      if (i > 0) this.ascii(',');
      this.bytes(jsonNameBytes(t.services[i]!));
    }
    this.ascii('],"error_count":');
    this.ascii(String(t.error_count));
    this.ascii(t.partial ? ',"partial":true}' : ',"partial":false}');
  }

  result(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

/** GET /traces: the page as UTF-8 JSON. */
export function traceListJson(list: TraceList, nextCursor?: string): Buffer {
  // A summary with a few services is 250–300 bytes; the writer grows if names are longer.
  const out = new ListWriter(64 + 320 * list.traces.length);
  out.ascii('{"traces":[');
  for (let i = 0; i < list.traces.length; i++) {
    if (i > 0) out.ascii(',');
    out.summary(list.traces[i]!);
  }
  out.ascii('],"total":');
  out.ascii(String(list.total));
  // Cursors are base64url text (cursor.ts).
  if (nextCursor !== undefined) out.ascii(',"next_cursor":' + str(nextCursor));
  if (list.incomplete === true) out.ascii(',"incomplete":true');
  out.ascii('}');
  return out.result();
}

export function spanJson(s: StoredSpan): string {
  let out = '{"trace_id":"' + s.trace_id + '","span_id":"' + s.span_id + '"';
  if (s.parent_span_id !== undefined) out += ',"parent_span_id":"' + s.parent_span_id + '"';
  out +=
    ',"service":' + str(s.service) +
    ',"operation":' + str(s.operation) +
    ',"start_time":' + s.start_time +
    ',"end_time":' + s.end_time +
    ',"status":"' + s.status + '"';
  if (s.tags !== undefined) out += ',"tags":' + str(s.tags);
  return out + '}';
}

/** A span of the detail: the Span fields, then its place in the tree. */
export function treeSpanJson(s: TreeSpan): string {
  let out = spanJson(s);
  out = out.slice(0, -1) + ',"depth":' + s.depth + ',"children":' + str(s.children);
  if (s.orphan === true) out += ',"orphan":true';
  return out + '}';
}

export function traceDetailJson(detail: TraceDetail): string {
  let out = '{"trace_id":"' + detail.trace_id + '"';
  if (detail.root_span_id !== undefined) out += ',"root_span_id":"' + detail.root_span_id + '"';
  out += ',"partial":' + detail.partial + ',"spans":[';
  for (let i = 0; i < detail.spans.length; i++) {
    if (i > 0) out += ',';
    out += treeSpanJson(detail.spans[i]!);
  }
  return out + ']}';
}
