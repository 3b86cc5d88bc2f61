// From a schema-valid POST /logs body to store-ready logs: exact times and lowercase ids. Like
// POST /spans, a problem rejects the whole batch with the record's index.

import type { WireLogRecord } from '../../schemas/logs.js';
import { int64FromJsonNumber } from '../time/nanos.js';
import type { IngestLog } from './log-store.js';

export type LogConversion = { ok: true; logs: IngestLog[] } | { ok: false; error: string };

/** `timeLiteral(i)`: the literal text of logs[i].time as it stood in the body. */
export function toIngestLogs(wire: readonly WireLogRecord[], timeLiteral: (index: number) => string | undefined): LogConversion {
  const logs: IngestLog[] = new Array(wire.length);
  for (let i = 0; i < wire.length; i++) {
    const record = wire[i]!;
    const literal = timeLiteral(i);
    const time = literal === undefined ? 'not-integer' : int64FromJsonNumber(literal);
    if (time === 'not-integer') return { ok: false, error: `logs[${i}].time must be an integer number of nanoseconds` };
    if (time === 'out-of-range') return { ok: false, error: `logs[${i}].time must fit in a signed 64-bit integer` };
    logs[i] = {
      time,
      traceId: record.trace_id.toLowerCase(),
      spanId: record.span_id?.toLowerCase(),
      service: record.service,
      level: record.level,
      message: record.message,
      attributes: record.attributes,
    };
  }
  return { ok: true, logs };
}
