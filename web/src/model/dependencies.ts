// Service-to-service calls read from whole traces: every span whose parent is in another service
// is one call from the parent's service to its own. The service map uses this when the server has
// no GET /dependencies, over a sample of recent traces it fetches one by one.

import { percentile } from './summary.js';

export interface EdgeSpan {
  span_id: string;
  parent_span_id?: string;
  service: string;
  start_time: string;
  end_time: string;
  status: 'ok' | 'error';
}

export interface DerivedEdge {
  parent: string;
  child: string;
  call_count: number;
  error_count: number;
  p95_ms: number | undefined;
}

export function deriveEdges(traces: ReadonlyArray<readonly EdgeSpan[]>): DerivedEdge[] {
  const edges = new Map<string, { parent: string; child: string; calls: number; errors: number; durations: number[] }>();
  for (const spans of traces) {
    const byId = new Map(spans.map((s) => [s.span_id, s]));
    for (const s of spans) {
      const parent = s.parent_span_id === undefined ? undefined : byId.get(s.parent_span_id);
      if (parent === undefined || parent.service === s.service) continue;
      const key = `${parent.service}\u0000${s.service}`;
      let edge = edges.get(key);
      if (edge === undefined) {
        edge = { parent: parent.service, child: s.service, calls: 0, errors: 0, durations: [] };
        edges.set(key, edge);
      }
      edge.calls++;
      if (s.status === 'error') edge.errors++;
      edge.durations.push(Number(BigInt(s.end_time) - BigInt(s.start_time)) / 1e6);
    }
  }
  return [...edges.values()]
    .map((e) => ({ parent: e.parent, child: e.child, call_count: e.calls, error_count: e.errors, p95_ms: percentile(e.durations, 95) }))
    .sort((a, b) => (a.parent + a.child < b.parent + b.child ? -1 : 1));
}
