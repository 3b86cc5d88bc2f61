// Drawing the dots, from uPlot's draw hook. They are pre-rendered sprites (see `sprite`) copied
// onto a layer wider than the plot, so that panning is one bitmap copy per frame (see
// `renderLayer`). Each draw also records where every dot landed, which is all hit testing reads.

import uPlot from 'uplot';
import type { TraceSummary } from '../../api/types.js';
import { ERROR_COLOR, OK_COLOR, serviceColor, withAlpha } from '../../model/colors.js';
import type { ColorBy } from '../../model/view-state.js';
import { scaleOf } from './plot-options.js';
import type { Points } from './points.js';

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

function colorOf(t: TraceSummary, colorBy: ColorBy): string {
  if (colorBy === 'service') return serviceColor(t.root_service);
  return t.status === 'error' ? ERROR_COLOR : OK_COLOR;
}

/**
 * The dots, rendered once onto a canvas three plot-widths wide (the visible range and one more on
 * each side). Panning only moves the visible window over it, a single drawImage per frame; a new
 * layer is rendered when the data, the zoom, the y scale or the size change, or a pan runs off it.
 */
export interface Layer {
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
    yMin: scaleOf(u, 'y').min,
    yMax: scaleOf(u, 'y').max,
    pad,
  };
}

export interface DrawInput {
  points: Points;
  colorBy: ColorBy;
  /** Ringed in white, like the hovered one. */
  selectedTraceId: string | undefined;
  hoveredTraceId: string | undefined;
}

/**
 * Draws the dots for the plot's current scales, reusing `cache.layer` when it still fits, and
 * records each dot's position in `points.px/py`. Returns how many dots are in view.
 */
export function drawDots(u: uPlot, input: DrawInput, cache: { layer: Layer | undefined }): number {
  const { points: p, colorBy, selectedTraceId, hoveredTraceId } = input;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const ratio = uPlot.pxRatio;
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
    if (id === hoveredTraceId) hovered = i;
  }
  const xMin = scaleOf(u, 'x').min!;
  const xMax = scaleOf(u, 'x').max!;
  const span = xMax - xMin;
  const y = scaleOf(u, 'y');
  let layer = cache.layer;
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
  if (layer === undefined || !reusable) {
    layer = renderLayer(u, p, colorBy, ratio, xMin - span, xMax + span, width * 3, height, top);
    cache.layer = layer;
  }
  const offset = ((layer.xMin - xMin) / span) * width;
  ctx.drawImage(layer.canvas, Math.round(left + offset - layer.pad), top - layer.pad);
  for (const i of [selected, hovered]) {
    if (i < 0 || i >= p.traces.length || Number.isNaN(p.px[i]!)) continue;
    ctx.beginPath();
    ctx.arc(left + p.px[i]! * ratio, top + p.py[i]! * ratio, (p.radius[i]! + 3) * ratio, 0, 2 * Math.PI);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2 * ratio;
    ctx.stroke();
  }
  ctx.restore();
  return visible;
}
