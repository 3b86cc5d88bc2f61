// The live scatter: one dot per trace at (root start time, duration), coloured by status or root
// service, sized by span count. uPlot supplies the axes, scales, cursor and drag selection; the
// dots are drawn by a draw hook as pre-rendered sprites (see `sprite`) onto a layer wider than the
// plot, so that panning is one bitmap copy per frame (see `renderLayer`). Hit testing is a scan
// over the positions computed by the last draw.
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

// Dots are drawn as pre-rendered sprites (one per colour, radius and ring), copied with
// drawImage: a bitmap copy costs far less to rasterise than an anti-aliased arc, which is what
// keeps 20k points smooth while panning even where the canvas is rasterised on the CPU.
const sprites = new Map<string, HTMLCanvasElement>();

function sprite(color: string, radiusCss: number, errorRing: boolean, ratio: number): HTMLCanvasElement {
  const r = Math.round(radiusCss * 2) / 2;
  const key = `${color}|${r}|${errorRing ? 1 : 0}|${ratio}`;
  let canvas = sprites.get(key);
  if (canvas !== undefined) return canvas;
  const outer = (r + (errorRing ? 2.5 : 1)) * ratio;
  canvas = document.createElement('canvas');
  canvas.width = canvas.height = Math.ceil(outer * 2) + 2;
  const ctx = canvas.getContext('2d')!;
  const c = canvas.width / 2;
  ctx.beginPath();
  ctx.arc(c, c, r * ratio, 0, 2 * Math.PI);
  ctx.fillStyle = withAlpha(color, color === ERROR_COLOR ? 0.75 : 0.5);
  ctx.fill();
  ctx.lineWidth = ratio;
  ctx.strokeStyle = color;
  ctx.stroke();
  if (errorRing) {
    ctx.beginPath();
    ctx.arc(c, c, (r + 1.5) * ratio, 0, 2 * Math.PI);
    ctx.lineWidth = 1.5 * ratio;
    ctx.strokeStyle = ERROR_COLOR;
    ctx.stroke();
  }
  sprites.set(key, canvas);
  return canvas;
}

/**
 * The dots, rendered once onto a canvas three plot-widths wide (the visible range and one more on
 * each side). Panning only moves the visible window over it, a single drawImage per frame; a new
 * layer is rendered when the data, the zoom, the y scale or the size change, or a pan runs off it.
 */
interface Layer {
  canvas: HTMLCanvasElement;
  points: Points;
  colorBy: ColorBy;
  ratio: number;
  xMin: number;
  xMax: number;
  /** Visible x span (ms) the layer was drawn for: a zoom invalidates it. */
  span: number;
  plotWidth: number;
  height: number;
  yMin: number | undefined;
  yMax: number | undefined;
  /** Margin (canvas px) around the plot area, so dots at the edges are not cut. */
  pad: number;
}

function renderLayer(
  u: uPlot,
  p: Points,
  colorBy: ColorBy,
  ratio: number,
  xMin: number,
  xMax: number,
  width: number,
  height: number,
  plotTop: number,
): Layer {
  const pad = Math.ceil(12 * ratio);
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width) + 2 * pad;
  canvas.height = Math.ceil(height) + 2 * pad;
  const ctx = canvas.getContext('2d')!;
  const scale = width / (xMax - xMin);
  const draw = (i: number): void => {
    const cx = pad + (p.xs[i]! - xMin) * scale;
    if (cx < 0 || cx > canvas.width) return;
    const cy = pad + u.valToPos(p.ys[i]!, 'y', true) - plotTop;
    const t = p.traces[i]!;
    const dot = sprite(colorOf(t, colorBy), p.radius[i]!, colorBy === 'service' && t.status === 'error', ratio);
    ctx.drawImage(dot, Math.round(cx - dot.width / 2), Math.round(cy - dot.height / 2));
  };
  // Errors last, so they are never buried under ok dots.
  for (let i = 0; i < p.traces.length; i++) if (p.traces[i]!.status !== 'error') draw(i);
  for (let i = 0; i < p.traces.length; i++) if (p.traces[i]!.status === 'error') draw(i);
  return {
    canvas,
    points: p,
    colorBy,
    ratio,
    xMin,
    xMax,
    span: (xMax - xMin) / 3,
    plotWidth: width / 3,
    height,
    yMin: u.scales.y.min,
    yMax: u.scales.y.max,
    pad,
  };
}

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
  /** The trace under the mouse, by id: indexes change when new data arrives. */
  const hoverRef = useRef<string | undefined>(undefined);
  const layerRef = useRef<Layer | undefined>(undefined);
  const [hover, setHover] = useState<{ traceId: string; left: number; top: number } | undefined>();

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
      // Positions for hit testing, every draw (cheap); the dots themselves come from the layer.
      let selected = -1;
      let hovered = -1;
      let visible = 0;
      for (let i = 0; i < p.traces.length; i++) {
        const cx = u.valToPos(p.xs[i]!, 'x', true);
        const r = p.radius[i]! * ratio;
        if (cx < left - r || cx > left + width + r) {
          p.px[i] = NaN;
          p.py[i] = NaN;
          continue;
        }
        visible++;
        p.px[i] = (cx - left) / ratio;
        p.py[i] = (u.valToPos(p.ys[i]!, 'y', true) - top) / ratio;
        const id = p.traces[i]!.trace_id;
        if (id === selectedTraceId) selected = i;
        if (id === hoverRef.current) hovered = i;
      }
      const xMin = u.scales.x.min!;
      const xMax = u.scales.x.max!;
      const span = xMax - xMin;
      const y = u.scales.y;
      let layer = layerRef.current;
      const reusable =
        layer !== undefined &&
        layer.points === p &&
        layer.colorBy === colorBy &&
        layer.ratio === ratio &&
        layer.height === height &&
        layer.yMin === y.min &&
        layer.yMax === y.max &&
        Math.abs(layer.span - span) <= span * 1e-9 &&
        Math.abs(layer.plotWidth - width) < 0.5 &&
        xMin >= layer.xMin &&
        xMax <= layer.xMax;
      if (!reusable) {
        layer = renderLayer(u, p, colorBy, ratio, xMin - span, xMax + span, width * 3, height, top);
        layerRef.current = layer;
      }
      const offset = ((layer!.xMin - xMin) / span) * width;
      ctx.drawImage(layer!.canvas, Math.round(left + offset - layer!.pad), top - layer!.pad);
      for (const i of [selected, hovered]) {
        if (i < 0 || i >= p.traces.length || Number.isNaN(p.px[i]!)) continue;
        ctx.beginPath();
        ctx.arc(left + p.px[i]! * ratio, top + p.py[i]! * ratio, (p.radius[i]! + 3) * ratio, 0, 2 * Math.PI);
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 2 * ratio;
        ctx.stroke();
      }
      ctx.restore();
      container.dataset.pointCount = String(visible);
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
      const id = i >= 0 ? pointsRef.current.traces[i]!.trace_id : undefined;
      if (id !== hoverRef.current) {
        hoverRef.current = id;
        u.redraw(false);
      }
      over.style.cursor = i >= 0 ? 'pointer' : 'crosshair';
      const box = container.getBoundingClientRect();
      setHover(id !== undefined ? { traceId: id, left: e.clientX - box.left, top: e.clientY - box.top } : undefined);
    };
    const onLeave = (): void => {
      hoverRef.current = undefined;
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
