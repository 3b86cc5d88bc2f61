// Service map: who calls whom over the selected range, from GET /dependencies. Callers on the
// left, callees to the right; each edge is labelled with its call count and error rate, drawn
// thicker with more calls and redder with more errors. Clicking a service opens its traces.
// A server without /dependencies still gets a map: the newest traces of the range are fetched one
// by one (each only once, again only when its span count changes) and their calls counted, and
// the page says it is a sample.

import { useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import { mapLimited } from '../api/concurrency.js';
import { rangeParams, type TraceWindow } from '../api/trace-window.js';
import type { DependencyEdge, Span } from '../api/types.js';
import { deriveEdges } from '../model/dependencies.js';
import type { ServerAccess } from '../hooks/connection.js';
import { usePollFailure } from '../hooks/poll-failure.js';
import { usePolling } from '../hooks/polling.js';
import { ERROR_COLOR, serviceColor } from '../model/colors.js';
import { formatCount, formatMs, formatPct } from '../model/format.js';
import { layoutGraph } from '../model/graph-layout.js';
import type { TimeRange } from '../model/view-state.js';

const NODE_W = 150;
/** Traces a server without /dependencies is sampled for. */
export const MAP_SAMPLE = 200;
const NODE_H = 40;

export interface ServiceMapProps extends ServerAccess {
  range: TimeRange;
  data: TraceWindow | undefined;
  openService: (service: string) => void;
}

function calls(n: number): string {
  return `${formatCount(n)} call${n === 1 ? '' : 's'}`;
}

function edgeColor(errorRate: number): string {
  if (errorRate >= 0.05) return ERROR_COLOR;
  if (errorRate > 0) return '#f5a524';
  return '#6b7a90';
}

export function ServiceMap(props: ServiceMapProps) {
  const { api, caps, range } = props;
  const [edges, setEdges] = useState<DependencyEdge[] | undefined>();
  // The sampled and the /dependencies polls share it: only one of them runs for a server.
  const failure = usePollFailure(props.reportError);
  const [hovered, setHovered] = useState<string | undefined>();
  const [sampled, setSampled] = useState<number | undefined>();
  const latest = useRef(props.data);
  latest.current = props.data;
  const details = useRef(new Map<string, { spanCount: number; spans: Span[] }>());

  // Without /dependencies: count calls in the newest traces of the loaded window.
  usePolling(
    async (signal) => {
      if (caps.dependencies) return;
      const traces = (latest.current?.traces ?? []).slice(0, MAP_SAMPLE);
      const cache = details.current;
      const stale = traces.filter((t) => cache.get(t.trace_id)?.spanCount !== t.span_count);
      await failure.watch(async () => {
        await mapLimited(stale, 6, async (t) => {
          try {
            const detail = await api.getTrace(t.trace_id, signal);
            cache.set(t.trace_id, { spanCount: t.span_count, spans: detail.spans });
          } catch (e) {
            if (e instanceof ApiError && e.status === 404) cache.delete(t.trace_id);
            else throw e;
          }
        });
        const keep = new Set(traces.map((t) => t.trace_id));
        for (const id of cache.keys()) if (!keep.has(id)) cache.delete(id);
        const spans = traces.flatMap((t) => {
          const entry = cache.get(t.trace_id);
          return entry === undefined ? [] : [entry.spans];
        });
        setEdges(deriveEdges(spans));
        setSampled(spans.length);
      });
    },
    3000,
    [api, caps.dependencies, JSON.stringify(range)],
  );

  usePolling(
    async (signal) => {
      if (!caps.dependencies) return;
      await failure.watch(async () => {
        const found = await api.dependencies(rangeParams(range, Date.now()), signal);
        props.reportOk();
        setEdges(found);
      });
    },
    5000,
    [api, caps.dependencies, range],
    { debounceMs: 150 },
  );

  const layout = useMemo(() => (edges === undefined ? undefined : layoutGraph(edges, [], { columnGap: 340, rowGap: 100, margin: 90 })), [edges]);
  const maxCalls = Math.max(1, ...(edges ?? []).map((e) => e.call_count));

  return (
    <section className="panel" data-testid="map-view">
      <div className="view-head">
        <h2>Service map</h2>
        <span className="muted" data-testid="map-source">
          {caps.dependencies
            ? 'calls between services over the selected time range, from GET /dependencies'
            : `calls counted in the ${formatCount(sampled ?? 0)} newest traces of the range (this server has no GET /dependencies)`}
          {' · edge width = calls · colour = error rate'}
        </span>
      </div>
      {failure.message !== '' && <p className="error-text">{failure.message}</p>}
      {edges === undefined || layout === undefined ? (
        <p className="muted pad">Loading…</p>
      ) : edges.length === 0 ? (
        <p className="muted pad">No calls between services in this range yet.</p>
      ) : (
        <div className="map-scroll">
          <svg
            className="service-map"
            width={layout.width + NODE_W}
            height={layout.height}
            viewBox={`${-NODE_W / 2} 0 ${layout.width + NODE_W} ${layout.height}`}
            data-testid="service-map"
          >
            <defs>
              {['#6b7a90', '#f5a524', ERROR_COLOR].map((c) => (
                <marker
                  key={c}
                  id={`arrow-${c.slice(1)}`}
                  viewBox="0 0 10 10"
                  refX="9"
                  refY="5"
                  markerUnits="userSpaceOnUse"
                  markerWidth="11"
                  markerHeight="11"
                  orient="auto-start-reverse"
                >
                  <path d="M 0 0 L 10 5 L 0 10 z" fill={c} />
                </marker>
              ))}
            </defs>
            {edges.map((e) => {
              const a = layout.nodes.get(e.parent)!;
              const b = layout.nodes.get(e.child)!;
              const rate = e.call_count === 0 ? 0 : e.error_count / e.call_count;
              const color = edgeColor(rate);
              const width = 1.5 + 4.5 * Math.sqrt(e.call_count / maxCalls);
              const dim = hovered !== undefined && hovered !== e.parent && hovered !== e.child;
              let d: string;
              let lx: number;
              let ly: number;
              if (e.parent === e.child) {
                // A service calling itself: a loop above the node.
                const x = a.x;
                const y = a.y - NODE_H / 2;
                d = `M ${x - 20} ${y} C ${x - 40} ${y - 60}, ${x + 40} ${y - 60}, ${x + 20} ${y}`;
                lx = x;
                ly = y - 52;
              } else if (b.x > a.x) {
                const x1 = a.x + NODE_W / 2;
                const x2 = b.x - NODE_W / 2 - 2;
                const mx = (x1 + x2) / 2;
                d = `M ${x1} ${a.y} C ${mx} ${a.y}, ${mx} ${b.y}, ${x2} ${b.y}`;
                // Label near the callee end (two thirds along the curve), where fanned-out edges are
                // already apart.
                const t = 0.66;
                const u = 1 - t;
                lx = u * u * u * x1 + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * x2;
                ly = u * u * u * a.y + 3 * u * u * t * a.y + 3 * u * t * t * b.y + t * t * t * b.y - 10;
              } else {
                // A call back to an earlier layer (a cycle): arc below.
                const x1 = a.x;
                const x2 = b.x;
                const y1 = a.y + NODE_H / 2;
                const y2 = b.y + NODE_H / 2 + 2;
                const dip = Math.max(y1, y2) + 70;
                d = `M ${x1} ${y1} C ${x1} ${dip}, ${x2} ${dip}, ${x2} ${y2}`;
                lx = (x1 + x2) / 2;
                ly = dip - 14;
              }
              return (
                <g
                  key={`${e.parent}→${e.child}`}
                  className="map-edge"
                  data-testid="map-edge"
                  data-parent={e.parent}
                  data-child={e.child}
                  data-calls={e.call_count}
                  opacity={dim ? 0.2 : 1}
                >
                  <title>
                    {`${e.parent} → ${e.child}: ${calls(e.call_count)}, ${formatCount(e.error_count)} error${e.error_count === 1 ? '' : 's'}${e.p95_ms !== undefined ? `, p95 ${formatMs(e.p95_ms)}` : ''}`}
                  </title>
                  <path d={d} fill="none" stroke={color} strokeWidth={width} markerEnd={`url(#arrow-${color.slice(1)})`} strokeOpacity={0.85} />
                  <text x={lx} y={ly} className="edge-label" textAnchor="middle">
                    <tspan x={lx} dy={e.p95_ms !== undefined ? -6 : 0}>
                      {calls(e.call_count)} · {formatPct(rate)} err
                    </tspan>
                    {e.p95_ms !== undefined && (
                      <tspan x={lx} dy={13} className="edge-sub">
                        p95 {formatMs(e.p95_ms)}
                      </tspan>
                    )}
                  </text>
                </g>
              );
            })}
            {[...layout.nodes.values()].map((n) => (
              <g
                key={n.id}
                className="map-node"
                data-testid="map-node"
                data-service={n.id}
                transform={`translate(${n.x - NODE_W / 2}, ${n.y - NODE_H / 2})`}
                onMouseEnter={() => setHovered(n.id)}
                onMouseLeave={() => setHovered(undefined)}
                onClick={() => props.openService(n.id)}
              >
                <title>{`${n.id}: click to see its traces`}</title>
                <rect width={NODE_W} height={NODE_H} rx={8} className="node-box" stroke={serviceColor(n.id)} />
                <rect width={6} height={NODE_H} rx={3} fill={serviceColor(n.id)} />
                <text x={NODE_W / 2 + 3} y={NODE_H / 2 + 4} textAnchor="middle" className="node-label">
                  {n.id.length > 18 ? `${n.id.slice(0, 17)}…` : n.id}
                </text>
              </g>
            ))}
          </svg>
        </div>
      )}
    </section>
  );
}
