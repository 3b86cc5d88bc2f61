// GET /traces/{id} from the bucket store: the trace's chain walked for its spans in the window,
// each decoded from its bucket's columns into the contract's span, then arranged as a tree.

import { NS_PER_SEC, nsFromParts, type NsText } from '../../time/nanos.js';
import type { StoredSpan, TraceDetail } from '../trace-store.js';
import { traceTree } from '../trace-tree.js';
import type { EndpointTable } from './endpoint-table.js';
import type { SpanPosition } from './minute-ring.js';
import type { StoreState } from './store-state.js';
import { compareSpanPositions, heldSpansOf } from './trace-facts.js';
import { TraceTable } from './trace-table.js';
import { uuidFromWords, writeUuidWords } from '../../codec/uuid-words.js';
import { FLAG_EMPTY_TAGS, FLAG_ERROR, FLAG_HAS_PARENT, LONG_DURATION, SPAN_CHUNK_MASK } from './word-layout.js';

export function getTrace(state: StoreState, traceId: string): TraceDetail | undefined {
  const ids = new Uint32Array(4);
  writeUuidWords(traceId, ids, 0);
  const rec = state.traces.find(ids[0]!, ids[1]!, ids[2]!, ids[3]!);
  if (rec < 0) return undefined;
  const edge = state.windowEdge();
  const held = heldSpansOf(state, rec, edge);
  if (held.length === 0) return undefined;
  held.sort(compareSpanPositions);
  const canonicalId = uuidFromWords(state.traces.chunkOf(rec).idWords, TraceTable.offset(rec) * 4);
  return traceTree(canonicalId, held.map((pos) => spanAt(state.endpoints, canonicalId, pos)));
}

function spanAt(endpoints: EndpointTable, traceId: string, { bucket, index }: SpanPosition): StoredSpan {
  const chunk = bucket.chunk(index);
  const at = index & SPAN_CHUNK_MASK;
  const flags = chunk.flags[at]!;
  const endpoint = chunk.endpoint[at]!;
  const start = bucket.startText(index);
  const duration = chunk.duration[at]!;
  let end: NsText;
  if (duration === LONG_DURATION) {
    end = bucket.longEnds.get(index)!;
  } else {
    const offsetEnd = bucket.startOffsetOf(index) + duration;
    const whole = Math.floor(offsetEnd / NS_PER_SEC);
    end = nsFromParts(bucket.startSec + whole, offsetEnd - whole * NS_PER_SEC);
  }
  // Built field by field in the contract's order (parent right after span_id).
  const span: Partial<StoredSpan> = { trace_id: traceId, span_id: uuidFromWords(chunk.spanId, at * 4) };
  if ((flags & FLAG_HAS_PARENT) !== 0) span.parent_span_id = uuidFromWords(chunk.parentId, at * 4);
  span.service = endpoints.services[endpoint]!;
  span.operation = endpoints.operations[endpoint]!;
  span.start_time = start;
  span.end_time = end;
  span.status = (flags & FLAG_ERROR) !== 0 ? 'error' : 'ok';
  const tags = bucket.tagsText(index);
  if (tags !== undefined) span.tags = JSON.parse(tags) as Record<string, string>;
  else if ((flags & FLAG_EMPTY_TAGS) !== 0) span.tags = {};
  return span as StoredSpan;
}
