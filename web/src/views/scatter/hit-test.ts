// Which dot is under the pointer: a scan over the positions the last draw recorded, so it always
// agrees with what is on screen. Hover shows a tooltip and a ring; a click that did not move opens
// the trace.

import type uPlot from 'uplot';
import type { Points } from './points.js';

/** The index of the nearest dot within reach of (x, y), CSS px in the plot area, or -1. */
export function hitTest(p: Points, x: number, y: number): number {
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
}

/** Where a trace's dot was last drawn, in page px; undefined when it is not in view. */
export function positionOf(p: Points, traceId: string, over: HTMLElement): { x: number; y: number } | undefined {
  const i = p.traces.findIndex((t) => t.trace_id === traceId);
  if (i < 0 || Number.isNaN(p.px[i]!)) return undefined;
  const rect = over.getBoundingClientRect();
  return { x: rect.left + p.px[i]!, y: rect.top + p.py[i]! };
}

/** The trace under the pointer and where the tooltip goes, in px inside the chart's container. */
export interface HoverSpot {
  traceId: string;
  left: number;
  top: number;
}

export interface HoverHandlers {
  points: () => Points;
  /** A pan in progress owns the pointer: no hover while it lasts. */
  panning: () => boolean;
  /** Kept by id, not index: indexes change when new data arrives. */
  hoveredTraceId: () => string | undefined;
  setHoveredTraceId: (traceId: string | undefined) => void;
  showTooltip: (spot: HoverSpot | undefined) => void;
  select: (traceId: string) => void;
}

/** Hover and click-to-open on the plot; returns the detach. */
export function attachHitTesting(u: uPlot, container: HTMLElement, h: HoverHandlers): () => void {
  const over = u.over;
  const onMove = (e: MouseEvent): void => {
    if (h.panning()) return;
    const p = h.points();
    const rect = over.getBoundingClientRect();
    const i = hitTest(p, e.clientX - rect.left, e.clientY - rect.top);
    const id = i >= 0 ? p.traces[i]!.trace_id : undefined;
    if (id !== h.hoveredTraceId()) {
      h.setHoveredTraceId(id);
      u.redraw(false);
    }
    over.style.cursor = i >= 0 ? 'pointer' : 'crosshair';
    const box = container.getBoundingClientRect();
    h.showTooltip(id !== undefined ? { traceId: id, left: e.clientX - box.left, top: e.clientY - box.top } : undefined);
  };
  const onLeave = (): void => {
    h.setHoveredTraceId(undefined);
    h.showTooltip(undefined);
    u.redraw(false);
  };
  // A click opens the trace only if the pointer barely moved: a drag is a zoom selection.
  let downAt: { x: number; y: number } | undefined;
  const onDown = (e: MouseEvent): void => {
    downAt = { x: e.clientX, y: e.clientY };
  };
  const onUp = (e: MouseEvent): void => {
    if (downAt === undefined) return;
    const moved = Math.abs(e.clientX - downAt.x) + Math.abs(e.clientY - downAt.y);
    downAt = undefined;
    if (moved > 3 || e.shiftKey) return;
    const p = h.points();
    const rect = over.getBoundingClientRect();
    const i = hitTest(p, e.clientX - rect.left, e.clientY - rect.top);
    if (i >= 0) h.select(p.traces[i]!.trace_id);
  };
  over.addEventListener('mousemove', onMove);
  over.addEventListener('mouseleave', onLeave);
  over.addEventListener('mousedown', onDown);
  over.addEventListener('mouseup', onUp);
  return () => {
    over.removeEventListener('mousemove', onMove);
    over.removeEventListener('mouseleave', onLeave);
    over.removeEventListener('mousedown', onDown);
    over.removeEventListener('mouseup', onUp);
  };
}
