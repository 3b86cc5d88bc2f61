// The live scatter: one dot per trace at (root start time, duration), coloured by status or root
// service, sized by span count. uPlot supplies the axes, scales, cursor and drag selection; the
// dots are drawn by a draw hook into one Path2D per colour, which keeps 10k+ points well inside a
// frame while panning. Hit testing is a scan over the positions computed by the last draw.
//
// Interaction: drag to zoom into a time range, shift+drag to pan, wheel to zoom around the
// cursor, double-click to go back to live; each range change is reported to the parent, which
// turns it into after/before for the next query.

import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TraceSummary } from '../api/types.js';
import { ERROR_COLOR, OK_COLOR, serviceColor, withAlpha } from '../model/colors.js';
import { formatAxisMs, formatAxisTime, formatClock, formatMs } from '../model/format.js';
import { nsToMs } from '../model/ns.js';
import type { ColorBy } from '../model/view-state.js';

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

interface Points {
  xs: Float64Array;
  ys: Float64Array;
  radius: Float32Array;
  traces: TraceSummary[];
  /** CSS px inside the plot area, from the last draw; NaN when off-screen. */
  px: Float32Array;
  py: Float32Array;
}

declare global {
  interface Window {
    /** Read-only hooks for the end-to-end tests: where a trace's dot is drawn. */
    __tracedScatter?: { count: () => number; positionOf: (traceId: string) => { x: number; y: number } | undefined };
  }
}

const LOG_FLOOR_MS = 0.5;

/** Radius in CSS px: grows with log2 of the span count, so sizes stay stable across polls. */
export function radiusFor(spanCount: number): number {
  return Math.min(9, 2.5 + 1.6 * Math.log2(Math.max(1, spanCount)));
}

function buildPoints(traces: TraceSummary[], logY: boolean): Points {
  const n = traces.length;
  const points: Points = {
    xs: new Float64Array(n),
    ys: new Float64Array(n),
    radius: new Float32Array(n),
    traces,
    px: new Float32Array(n).fill(NaN),
    py: new Float32Array(n).fill(NaN),
  };
  for (let i = 0; i < n; i++) {
    const t = traces[i]!;
    points.xs[i] = nsToMs(t.start_time);
    points.ys[i] = logY ? Math.max(LOG_FLOOR_MS, t.duration_ms) : t.duration_ms;
    points.radius[i] = radiusFor(t.span_count);
  }
  return points;
}

function yRange(points: Points, logY: boolean): [number, number] {
  let max = 0;
  let min = Infinity;
  for (let i = 0; i < points.ys.length; i++) {
    const y = points.ys[i]!;
    if (y > max) max = y;
    if (y < min) min = y;
  }
  if (logY) {
    const lo = Math.max(LOG_FLOOR_MS, Number.isFinite(min) ? min / 1.6 : LOG_FLOOR_MS);
    return [lo, Math.max(lo * 10, max * 1.6)];
  }
  return [0, max <= 0 ? 10 : max * 1.08];
}

function colorOf(t: TraceSummary, colorBy: ColorBy): string {
  if (colorBy === 'service') return serviceColor(t.root_service);
  return t.status === 'error' ? ERROR_COLOR : OK_COLOR;
}

export function ScatterChart(props: ScatterProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const pointsRef = useRef<Points>(buildPoints([], props.logY));
  const propsRef = useRef(props);
  propsRef.current = props;
  const hoverRef = useRef<number>(-1);
  const [hover, setHover] = useState<{ index: number; left: number; top: number } | undefined>();

  // (Re)create the plot: on mount and when the y distribution changes (uPlot fixes it at creation).
  useEffect(() => {
    const container = containerRef.current!;
    const pxRatio = (): number => uPlot.pxRatio;
    let pan: { startX: number; min: number; max: number } | undefined;

    const draw = (u: uPlot): void => {
      const p = pointsRef.current;
      const { colorBy, selectedTraceId } = propsRef.current;
      const ctx = u.ctx;
      const { left, top, width, height } = u.bbox;
      const ratio = pxRatio();
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, top, width, height);
      ctx.clip();
      const groups = new Map<string, Path2D>();
      const errorRings = new Path2D();
      const order: number[] = [];
      // Errors last, so they are never buried under ok dots.
      for (let i = 0; i < p.traces.length; i++) if (p.traces[i]!.status !== 'error') order.push(i);
      for (let i = 0; i < p.traces.length; i++) if (p.traces[i]!.status === 'error') order.push(i);
      let selected = -1;
      for (const i of order) {
        const cx = u.valToPos(p.xs[i]!, 'x', true);
        const cy = u.valToPos(p.ys[i]!, 'y', true);
        const r = p.radius[i]! * ratio;
        if (cx < left - r || cx > left + width + r) {
          p.px[i] = NaN;
          p.py[i] = NaN;
          continue;
        }
        p.px[i] = (cx - left) / ratio;
        p.py[i] = (cy - top) / ratio;
        const t = p.traces[i]!;
        const color = colorOf(t, colorBy);
        let path = groups.get(color);
        if (path === undefined) {
          path = new Path2D();
          groups.set(color, path);
        }
        path.moveTo(cx + r, cy);
        path.arc(cx, cy, r, 0, 2 * Math.PI);
        if (colorBy === 'service' && t.status === 'error') {
          errorRings.moveTo(cx + r + 1.5 * ratio, cy);
          errorRings.arc(cx, cy, r + 1.5 * ratio, 0, 2 * Math.PI);
        }
        if (t.trace_id === selectedTraceId) selected = i;
      }
      ctx.lineWidth = ratio;
      for (const [color, path] of groups) {
        ctx.fillStyle = withAlpha(color, color === ERROR_COLOR ? 0.75 : 0.5);
        ctx.fill(path);
        ctx.strokeStyle = color;
        ctx.stroke(path);
      }
      if (colorBy === 'service') {
        ctx.strokeStyle = ERROR_COLOR;
        ctx.lineWidth = 1.5 * ratio;
        ctx.stroke(errorRings);
      }
      for (const i of [selected, hoverRef.current]) {
        if (i < 0 || i >= p.traces.length || Number.isNaN(p.px[i]!)) continue;
        ctx.beginPath();
        ctx.arc(left + p.px[i]! * ratio, top + p.py[i]! * ratio, (p.radius[i]! + 3) * ratio, 0, 2 * Math.PI);
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 2 * ratio;
        ctx.stroke();
      }
      ctx.restore();
      container.dataset.pointCount = String(order.filter((i) => !Number.isNaN(p.px[i]!)).length);
    };

    const hitTest = (x: number, y: number): number => {
      const p = pointsRef.current;
      let best = -1;
      let bestD = Infinity;
      for (let i = 0; i < p.px.length; i++) {
        const dx = p.px[i]! - x;
        const dy = p.py[i]! - y;
        const d = dx * dx + dy * dy;
        const reach = p.radius[i]! + 3;
        if (d <= reach * reach && d < bestD) {
          best = i;
          bestD = d;
        }
      }
      return best;
    };

    const opts: uPlot.Options = {
      width: Math.max(200, container.clientWidth),
      height: Math.max(200, container.clientHeight),
      ms: 1,
      legend: { show: false },
      padding: [12, 16, 0, 4],
      cursor: {
        points: { show: false },
        x: true,
        y: true,
        drag: { x: true, y: false, setScale: false },
        bind: {
          mousedown: (u, _target, handler) => (e: MouseEvent) => {
            if (e.shiftKey && e.button === 0) {
              const sx = u.scales.x;
              pan = { startX: e.clientX, min: sx.min!, max: sx.max! };
              e.preventDefault();
              return null;
            }
            return handler(e);
          },
          dblclick: () => () => {
            propsRef.current.onResetLive();
            return null;
          },
        },
      },
      scales: {
        x: { time: true, auto: false },
        y: { auto: false, distr: props.logY ? 3 : 1 },
      },
      axes: [
        {
          stroke: '#98a2b3',
          grid: { stroke: '#232a36', width: 1 },
          ticks: { stroke: '#2c3444', width: 1 },
          font: '11px system-ui, sans-serif',
          values: (_u, splits, _axis, _space, incr) => splits.map((v) => formatAxisTime(v, incr)),
        },
        {
          stroke: '#98a2b3',
          grid: { stroke: '#232a36', width: 1 },
          ticks: { stroke: '#2c3444', width: 1 },
          font: '11px system-ui, sans-serif',
          size: 64,
          // Log scales have unlabelled minor ticks (null).
          values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : formatAxisMs(v))),
        },
      ],
      series: [{}, { label: 'traces', paths: () => null, points: { show: false } }],
      hooks: {
        draw: [draw],
        setSelect: [
          (u) => {
            if (u.select.width > 4) {
              const min = u.posToVal(u.select.left, 'x');
              const max = u.posToVal(u.select.left + u.select.width, 'x');
              propsRef.current.onRange(min, max);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
      },
    };
    const { xMinMs, xMaxMs } = propsRef.current;
    const u = new uPlot(opts, [[xMinMs, xMaxMs], [null, null]], container);
    plotRef.current = u;
    const [y0, y1] = yRange(pointsRef.current, props.logY);
    u.batch(() => {
      u.setScale('x', { min: xMinMs, max: xMaxMs });
      u.setScale('y', { min: y0, max: y1 });
    });

    const over = u.over;
    const onMove = (e: MouseEvent): void => {
      if (pan !== undefined) return;
      const rect = over.getBoundingClientRect();
      const i = hitTest(e.clientX - rect.left, e.clientY - rect.top);
      if (i !== hoverRef.current) {
        hoverRef.current = i;
        u.redraw(false);
      }
      over.style.cursor = i >= 0 ? 'pointer' : 'crosshair';
      const box = container.getBoundingClientRect();
      setHover(i >= 0 ? { index: i, left: e.clientX - box.left, top: e.clientY - box.top } : undefined);
    };
    const onLeave = (): void => {
      hoverRef.current = -1;
      setHover(undefined);
      u.redraw(false);
    };
    let downAt: { x: number; y: number } | undefined;
    const onDown = (e: MouseEvent): void => {
      downAt = { x: e.clientX, y: e.clientY };
    };
    const onUp = (e: MouseEvent): void => {
      if (downAt === undefined) return;
      const moved = Math.abs(e.clientX - downAt.x) + Math.abs(e.clientY - downAt.y);
      downAt = undefined;
      if (moved > 3 || e.shiftKey) return;
      const rect = over.getBoundingClientRect();
      const i = hitTest(e.clientX - rect.left, e.clientY - rect.top);
      if (i >= 0) propsRef.current.onSelect(pointsRef.current.traces[i]!.trace_id);
    };
    const onWindowMove = (e: MouseEvent): void => {
      if (pan === undefined) return;
      const shift = ((e.clientX - pan.startX) / over.clientWidth) * (pan.max - pan.min);
      u.setScale('x', { min: pan.min - shift, max: pan.max - shift });
    };
    const onWindowUp = (): void => {
      if (pan === undefined) return;
      pan = undefined;
      propsRef.current.onRange(u.scales.x.min!, u.scales.x.max!);
    };
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      const rect = over.getBoundingClientRect();
      const pivot = u.posToVal(e.clientX - rect.left, 'x');
      const factor = e.deltaY > 0 ? 1.25 : 0.8;
      const min = pivot - (pivot - u.scales.x.min!) * factor;
      const max = pivot + (u.scales.x.max! - pivot) * factor;
      if (max - min < 10) return; // 10 ms is as close as it goes
      u.setScale('x', { min, max });
      propsRef.current.onRange(min, max);
    };
    over.addEventListener('mousemove', onMove);
    over.addEventListener('mouseleave', onLeave);
    over.addEventListener('mousedown', onDown);
    over.addEventListener('mouseup', onUp);
    over.addEventListener('wheel', onWheel, { passive: false });
    window.addEventListener('mousemove', onWindowMove);
    window.addEventListener('mouseup', onWindowUp);

    const resize = new ResizeObserver(() => {
      u.setSize({ width: Math.max(200, container.clientWidth), height: Math.max(200, container.clientHeight) });
    });
    resize.observe(container);

    window.__tracedScatter = {
      count: () => Number(container.dataset.pointCount ?? '0'),
      positionOf: (traceId) => {
        const p = pointsRef.current;
        const i = p.traces.findIndex((t) => t.trace_id === traceId);
        if (i < 0 || Number.isNaN(p.px[i]!)) return undefined;
        const rect = over.getBoundingClientRect();
        return { x: rect.left + p.px[i]!, y: rect.top + p.py[i]! };
      },
    };

    return () => {
      resize.disconnect();
      window.removeEventListener('mousemove', onWindowMove);
      window.removeEventListener('mouseup', onWindowUp);
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
    if (hoverRef.current >= props.traces.length) hoverRef.current = -1;
    const [y0, y1] = yRange(pointsRef.current, props.logY);
    u.batch(() => {
      u.setScale('x', { min: props.xMinMs, max: props.xMaxMs });
      u.setScale('y', { min: y0, max: y1 });
    });
    u.redraw(false);
    setHover(undefined);
  }, [props.traces, props.xMinMs, props.xMaxMs, props.logY]);

  useEffect(() => {
    plotRef.current?.redraw(false);
  }, [props.colorBy, props.selectedTraceId]);

  const hovered = hover !== undefined ? pointsRef.current.traces[hover.index] : undefined;
  return (
    <div className="scatter-wrap">
      <div className="scatter" ref={containerRef} data-testid="scatter" />
      {hovered !== undefined && hover !== undefined && (
        <div
          className="tooltip"
          style={{
            left: hover.left > (containerRef.current?.clientWidth ?? 0) - 260 ? hover.left - 250 : hover.left + 14,
            top: hover.top + 14,
          }}
          data-testid="scatter-tooltip"
        >
          <div className="tooltip-title">
            <span className="swatch" style={{ background: serviceColor(hovered.root_service) }} />
            {hovered.root_service} <span className="muted">{hovered.root_operation}</span>
          </div>
          <div>
            {formatMs(hovered.duration_ms)} · {hovered.span_count} span{hovered.span_count === 1 ? '' : 's'}
            {hovered.status === 'error' && <span className="err"> · error</span>}
          </div>
          <div className="muted mono">
            {formatClock(hovered.start_time)} · {hovered.trace_id.slice(0, 8)}
          </div>
        </div>
      )}
    </div>
  );
}
