// Cursors of GET /traces. A cursor names a place in the listing order, the (root start_time,
// trace_id) of the last trace returned, and the query it belongs to (a fingerprint of the
// filters and time range), so that a page continues strictly after the previous one and a
// cursor replayed with other filters is refused. Opaque to clients: base64url of
// "1:<start_time>:<trace_id>:<fingerprint>".

import { createHash } from 'node:crypto';
import type { ListPosition, TraceFilter } from '../store/trace-store.js';
import { nonNegativeInt64FromText, type NsText } from '../time/nanos.js';

const VERSION = '1';
const TRACE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FINGERPRINT = /^[0-9a-f]{16}$/;

export interface ListQueryKey {
  after: NsText | undefined;
  before: NsText | undefined;
  filter: TraceFilter;
}

/** The same for queries that select the same traces, whatever the order of their tags. */
export function queryFingerprint(key: ListQueryKey): string {
  const f = key.filter;
  const tags = [...new Set((f.tags ?? []).map((t) => JSON.stringify([t.key, t.value])))].sort();
  const canonical = JSON.stringify([
    key.after ?? null,
    key.before ?? null,
    f.service ?? null,
    f.rootService ?? null,
    f.operation ?? null,
    f.status ?? null,
    f.minDurationMs ?? null,
    f.maxDurationMs ?? null,
    tags,
    f.partial ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function encodeCursor(position: ListPosition, fingerprint: string): string {
  return Buffer.from(`${VERSION}:${position.startTime}:${position.traceId}:${fingerprint}`, 'utf8').toString('base64url');
}

/** The cursor's position and fingerprint, or undefined when the text is not a cursor. */
export function decodeCursor(text: string): { position: ListPosition; fingerprint: string } | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined;
  const parts = Buffer.from(text, 'base64url').toString('utf8').split(':');
  if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
  const startTime = nonNegativeInt64FromText(parts[1]!);
  if (startTime === undefined || startTime !== parts[1] || !TRACE_ID.test(parts[2]!) || !FINGERPRINT.test(parts[3]!)) return undefined;
  return { position: { startTime, traceId: parts[2]! }, fingerprint: parts[3]! };
}
