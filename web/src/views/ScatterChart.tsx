// The live scatter: one dot per trace at (root start time, duration), coloured by status or root
// service, sized by span count. uPlot supplies the axes, scales, cursor and drag selection; the
// parts of the chart live in scatter/: the data as drawn (points.ts), the dots (draw.ts), what is
// under the pointer (hit-test.ts), range changes by drag, shift+drag, wheel and double-click
// (pan-zoom.ts), and uPlot's configuration (plot-options.ts). This component owns the plot's
// lifetime, feeds it data, and shows the tooltip.

import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TraceSummary } from '../api/types.js';
import { serviceColor } from '../model/colors.js';
import { formatClock, formatMs } from '../model/format.js';
import type { ColorBy } from '../model/view-state.js';
import { drawDots, type Layer } from './scatter/draw.js';
import { attachHitTesting, positionOf, type HoverSpot } from './scatter/hit-test.js';
import { createPanZoom } from './scatter/pan-zoom.js';
import { plotSize, scatterOptions } from './scatter/plot-options.js';
import { buildPoints, yRange, type Points } from './scatter/points.js';

export interface ScatterProps {
  traces: TraceSummary[];
  colorBy: ColorBy;
  logY: boolean;
  xMinMs: number;
  xMaxMs: number;
  selectedTraceId?: string;
  onRange: (minMs: number, maxMs: number) => void;
  onResetLive: () => void;
  onSelect: (traceId: string) => void;
}

declare global {
  interface Window {
    /** Read-only hooks for the end-to-end tests: where a trace's dot is drawn. */
    __tracedScatter?: { count: () => number; positionOf: (traceId: string) => { x: number; y: number } | undefined };
  }
}

export function ScatterChart(props: ScatterProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const pointsRef = useRef<Points>(buildPoints([], props.logY));
  const propsRef = useRef(props);
  propsRef.current = props;
  /** The trace under the mouse, by id: indexes change when new data arrives. */
  const hoverRef = useRef<string | undefined>(undefined);
  const layerCache = useRef<{ layer: Layer | undefined }>({ layer: undefined });
  const [hover, setHover] = useState<HoverSpot | undefined>();

  // (Re)create the plot: on mount and when the y distribution changes (uPlot fixes it at creation).
  useEffect(() => {
    const container = containerRef.current!;
    const draw = (u: uPlot): void => {
      const { colorBy, selectedTraceId } = propsRef.current;
      const input = { points: pointsRef.current, colorBy, selectedTraceId, hoveredTraceId: hoverRef.current };
      container.dataset.pointCount = String(drawDots(u, input, layerCache.current));
    };
    const panZoom = createPanZoom({
      onRange: (minMs, maxMs) => propsRef.current.onRange(minMs, maxMs),
      onResetLive: () => propsRef.current.onResetLive(),
    });
    const { xMinMs, xMaxMs } = propsRef.current;
    const u = new uPlot(scatterOptions(container, props.logY, draw, panZoom), [[xMinMs, xMaxMs], [null, null]], container);
    plotRef.current = u;
    const [y0, y1] = yRange(pointsRef.current, props.logY);
    u.batch(() => {
      u.setScale('x', { min: xMinMs, max: xMaxMs });
      u.setScale('y', { min: y0, max: y1 });
    });

    const detachHitTesting = attachHitTesting(u, container, {
      points: () => pointsRef.current,
      panning: panZoom.panning,
      hoveredTraceId: () => hoverRef.current,
      setHoveredTraceId: (traceId) => {
        hoverRef.current = traceId;
      },
      showTooltip: setHover,
      select: (traceId) => propsRef.current.onSelect(traceId),
    });
    const detachPanZoom = panZoom.attach(u);

    const resize = new ResizeObserver(() => u.setSize(plotSize(container)));
    resize.observe(container);

    window.__tracedScatter = {
      count: () => Number(container.dataset.pointCount ?? '0'),
      positionOf: (traceId) => positionOf(pointsRef.current, traceId, u.over),
    };

    return () => {
      resize.disconnect();
      detachPanZoom();
      detachHitTesting();
      delete window.__tracedScatter;
      u.destroy();
      plotRef.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.logY]);

  // New data or range: swap the points and rescale, with no re-creation (no flicker).
  useEffect(() => {
    const u = plotRef.current;
    if (u === null) return;
    pointsRef.current = buildPoints(props.traces, props.logY);
    const [y0, y1] = yRange(pointsRef.current, props.logY);
    u.batch(() => {
      u.setScale('x', { min: props.xMinMs, max: props.xMaxMs });
      u.setScale('y', { min: y0, max: y1 });
    });
    u.redraw(false);
  }, [props.traces, props.xMinMs, props.xMaxMs, props.logY]);

  useEffect(() => {
    plotRef.current?.redraw(false);
  }, [props.colorBy, props.selectedTraceId]);

  // After a refresh the same trace keeps its tooltip; one that left the range loses it.
  const hovered = hover !== undefined ? props.traces.find((t) => t.trace_id === hover.traceId) : undefined;
  return (
    <div className="scatter-wrap">
      <div className="scatter" ref={containerRef} data-testid="scatter" />
      {hovered !== undefined && hover !== undefined && (
        <ScatterTooltip trace={hovered} spot={hover} containerWidth={containerRef.current?.clientWidth ?? 0} />
      )}
    </div>
  );
}

/** Next to the pointer, flipped to its left near the right edge so it stays inside the chart. */
function ScatterTooltip({ trace, spot, containerWidth }: { trace: TraceSummary; spot: HoverSpot; containerWidth: number }) {
  return (
    <div
      className="tooltip"
      style={{
        left: spot.left > containerWidth - 260 ? spot.left - 250 : spot.left + 14,
        top: spot.top + 14,
      }}
      data-testid="scatter-tooltip"
    >
      <div className="tooltip-title">
        <span className="swatch" style={{ background: serviceColor(trace.root_service) }} />
        {trace.root_service} <span className="muted">{trace.root_operation}</span>
      </div>
      <div>
        {formatMs(trace.duration_ms)} · {trace.span_count} span{trace.span_count === 1 ? '' : 's'}
        {trace.status === 'error' && <span className="err"> · error</span>}
      </div>
      <div className="muted mono">
        {formatClock(trace.start_time)} · {trace.trace_id.slice(0, 8)}
      </div>
    </div>
  );
}
