// Response bodies that carry int64 times, written by hand.
//
// fast-json-stringify would turn the exact decimal text back into a double and lose the last
// digits, so these bodies are assembled as text: strings through JSON.stringify (escaping),
// int64 values verbatim. Field order follows the contract. test/http/contract.test.ts validates
// every one of them against openapi.yaml.

import type { StoredSpan, TraceDetail, TraceList, TraceSummary } from '../store/trace-store.js';

const str = JSON.stringify;

export function summaryJson(t: TraceSummary): string {
  return (
    '{"trace_id":"' + t.trace_id +
    '","root_service":' + str(t.root_service) +
    ',"root_operation":' + str(t.root_operation) +
    ',"span_count":' + t.span_count +
    ',"duration_ms":' + t.duration_ms +
    ',"start_time":' + t.start_time +
    ',"status":"' + t.status + '"}'
  );
}

export function traceListJson(list: TraceList): string {
  let out = '{"traces":[';
  for (let i = 0; i < list.traces.length; i++) {
    if (i > 0) out += ',';
    out += summaryJson(list.traces[i]!);
  }
  return out + '],"total":' + list.total + '}';
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

export function traceDetailJson(detail: TraceDetail): string {
  let out = '{"trace_id":"' + detail.trace_id + '","spans":[';
  for (let i = 0; i < detail.spans.length; i++) {
    if (i > 0) out += ',';
    out += spanJson(detail.spans[i]!);
  }
  return out + ']}';
}
