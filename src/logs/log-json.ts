// GET /traces/{id}/logs bodies, written by hand like src/http/trace-json.ts: `time` is int64
// nanoseconds and must leave with every digit, which a serializer working on doubles would lose.

import type { StoredLog } from './log-store.js';

const str = JSON.stringify;

export function logJson(log: StoredLog): string {
  let out = '{"time":' + log.time + ',"trace_id":"' + log.trace_id + '"';
  if (log.span_id !== undefined) out += ',"span_id":"' + log.span_id + '"';
  out += ',"service":' + str(log.service) + ',"level":"' + log.level + '","message":' + str(log.message);
  if (log.attributes !== undefined) out += ',"attributes":' + str(log.attributes);
  return out + '}';
}

export function traceLogsJson(traceId: string, logs: readonly StoredLog[]): string {
  let out = '{"trace_id":"' + traceId + '","logs":[';
  for (let i = 0; i < logs.length; i++) out += (i > 0 ? ',' : '') + logJson(logs[i]!);
  return out + ']}';
}
