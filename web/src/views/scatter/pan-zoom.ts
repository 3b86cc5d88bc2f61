// Changing the time range from the chart: drag to zoom into a range (uPlot's own selection),
// shift+drag to pan, wheel to zoom around the cursor, double-click to go back to live. The chart
// moves at once; each range change is also reported, and the parent turns it into after/before
// for the next query.

import type uPlot from 'uplot';
import { scaleOf } from './plot-options.js';

export interface RangeHandlers {
  onRange: (minMs: number, maxMs: number) => void;
  onResetLive: () => void;
}

export interface PanZoom {
  /** uPlot cursor bindings: shift+drag starts a pan instead of a selection; double-click goes live. */
  bind: uPlot.Cursor.Bind;
  /** uPlot setSelect hook: a drag selection wider than a few px becomes the range. */
  onSelect: (u: uPlot) => void;
  /** Whether a shift+drag pan is in progress. */
  panning: () => boolean;
  /** Pan moves (followed on the whole window, so the drag may leave the chart) and wheel zoom; returns the detach. */
  attach: (u: uPlot) => () => void;
}

/** Closest zoom, in ms across the chart. */
const MIN_SPAN_MS = 10;

export function createPanZoom(h: RangeHandlers): PanZoom {
  let pan: { startX: number; min: number; max: number } | undefined;

  const bind: uPlot.Cursor.Bind = {
    mousedown: (u, _target, handler) => (e: MouseEvent) => {
      if (e.shiftKey && e.button === 0) {
        const sx = scaleOf(u, 'x');
        pan = { startX: e.clientX, min: sx.min!, max: sx.max! };
        e.preventDefault();
        return null;
      }
      return handler(e);
    },
    dblclick: () => () => {
      h.onResetLive();
      return null;
    },
  };

  const onSelect = (u: uPlot): void => {
    if (u.select.width > 4) {
      const min = u.posToVal(u.select.left, 'x');
      const max = u.posToVal(u.select.left + u.select.width, 'x');
      h.onRange(min, max);
    }
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
  };

  const attach = (u: uPlot): (() => void) => {
    const over = u.over;
    const onWindowMove = (e: MouseEvent): void => {
      if (pan === undefined) return;
      const shift = ((e.clientX - pan.startX) / over.clientWidth) * (pan.max - pan.min);
      u.setScale('x', { min: pan.min - shift, max: pan.max - shift });
    };
    const onWindowUp = (): void => {
      if (pan === undefined) return;
      pan = undefined;
      h.onRange(scaleOf(u, 'x').min!, scaleOf(u, 'x').max!);
    };
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      const rect = over.getBoundingClientRect();
      const pivot = u.posToVal(e.clientX - rect.left, 'x');
      const factor = e.deltaY > 0 ? 1.25 : 0.8;
      const min = pivot - (pivot - scaleOf(u, 'x').min!) * factor;
      const max = pivot + (scaleOf(u, 'x').max! - pivot) * factor;
      if (max - min < MIN_SPAN_MS) return;
      u.setScale('x', { min, max });
      h.onRange(min, max);
    };
    over.addEventListener('wheel', onWheel, { passive: false });
    window.addEventListener('mousemove', onWindowMove);
    window.addEventListener('mouseup', onWindowUp);
    return () => {
      over.removeEventListener('wheel', onWheel);
      window.removeEventListener('mousemove', onWindowMove);
      window.removeEventListener('mouseup', onWindowUp);
    };
  };

  return { bind, onSelect, panning: () => pan !== undefined, attach };
}
