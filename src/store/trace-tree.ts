// The tree of GET /traces/{id}: depth, children and orphan flags for spans already in span order
// (start_time ascending, ties by span_id), so that a client can draw the trace without rebuilding
// it. Linear in the number of spans. The reference store derives the same fields its own, slower
// way; the differential test holds the two to each other.

import type { StoredSpan, TraceDetail, TreeSpan } from './trace-store.js';

export function traceTree(traceId: string, spans: readonly StoredSpan[]): TraceDetail {
  const n = spans.length;
  const indexOf = new Map<string, number>();
  for (let i = 0; i < n; i++) indexOf.set(spans[i]!.span_id, i);
  const children: number[][] = Array.from({ length: n }, () => []);
  const starts: number[] = [];
  let rootSpanId: string | undefined;
  let partial = false;
  const orphan = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const parent = spans[i]!.parent_span_id;
    if (parent === undefined) {
      rootSpanId ??= spans[i]!.span_id;
      starts.push(i);
      continue;
    }
    const p = indexOf.get(parent);
    if (p === undefined) {
      orphan[i] = 1;
      partial = true;
      starts.push(i);
    } else if (p !== i) {
      children[p]!.push(i);
    }
  }

  const depth = new Int32Array(n).fill(-1);
  const queue: number[] = [];
  const reach = (start: number): void => {
    depth[start] = 0;
    queue.length = 0;
    queue.push(start);
    for (let head = 0; head < queue.length; head++) {
      const at = queue[head]!;
      for (const child of children[at]!) {
        if (depth[child] !== -1) continue;
        depth[child] = depth[at]! + 1;
        queue.push(child);
      }
    }
  };
  for (const start of starts) reach(start);
  // Spans left over sit in parent cycles: each cycle is drawn from its earliest span.
  for (let i = 0; i < n; i++) if (depth[i] === -1) reach(i);

  const out: TreeSpan[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const span: TreeSpan = { ...spans[i]!, depth: depth[i]!, children: children[i]!.map((c) => spans[c]!.span_id) };
    if (orphan[i] === 1) span.orphan = true;
    out[i] = span;
  }
  const detail: TraceDetail = { trace_id: traceId, partial, spans: out };
  if (rootSpanId !== undefined) detail.root_span_id = rootSpanId;
  return detail;
}
