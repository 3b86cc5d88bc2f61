// Response bodies that carry int64 times, written by hand.
//
// fast-json-stringify would turn the exact decimal text back into a double and lose the last
// digits, so these bodies are assembled as text: strings through JSON.stringify (escaping),
// int64 values verbatim. Field order follows the contract, extension fields last.
// test/http/contract.test.ts validates every one of them against openapi.yaml.

import type { StoredSpan, TraceDetail, TraceList, TraceSummary, TreeSpan } from '../store/trace-store.js';

const str = JSON.stringify;

export function summaryJson(t: TraceSummary): string {
  return (
    '{"trace_id":"' + t.trace_id +
    '","root_service":' + str(t.root_service) +
    ',"root_operation":' + str(t.root_operation) +
    ',"span_count":' + t.span_count +
    ',"duration_ms":' + t.duration_ms +
    ',"start_time":' + t.start_time +
    ',"status":"' + t.status +
    '","services":' + str(t.services) +
    ',"error_count":' + t.error_count +
    ',"partial":' + t.partial + '}'
  );
}

export function traceListJson(list: TraceList, nextCursor?: string): string {
  let out = '{"traces":[';
  for (let i = 0; i < list.traces.length; i++) {
    if (i > 0) out += ',';
    out += summaryJson(list.traces[i]!);
  }
  out += '],"total":' + list.total;
  if (nextCursor !== undefined) out += ',"next_cursor":' + str(nextCursor);
  return out + '}';
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
