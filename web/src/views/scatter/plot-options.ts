// The uPlot configuration behind the scatter: a time x axis and a duration y axis, both set by
// the component (never auto-ranged), no line series (the dots come from the draw hook), and the
// cursor bound to pan and zoom.

import type uPlot from 'uplot';
import { formatAxisMs, formatAxisTime } from '../../model/format.js';
import type { PanZoom } from './pan-zoom.js';

/** The plot never shrinks below this, so a collapsed container still has axes. */
const MIN_SIZE_PX = 200;

/** One of the two scales `scatterOptions` declares: uPlot keeps them for the plot's lifetime. */
export function scaleOf(u: uPlot, key: 'x' | 'y'): uPlot.Scale {
  const scale = u.scales[key];
  if (scale === undefined) throw new Error(`the scatter plot has no ${key} scale`);
  return scale;
}

export function plotSize(container: HTMLElement): { width: number; height: number } {
  return { width: Math.max(MIN_SIZE_PX, container.clientWidth), height: Math.max(MIN_SIZE_PX, container.clientHeight) };
}

/** A new object per call: each axis gets its own, so nothing uPlot fills in on one reaches the other. */
function axisStyle() {
  return {
    stroke: '#98a2b3',
    grid: { stroke: '#232a36', width: 1 },
    ticks: { stroke: '#2c3444', width: 1 },
    font: '11px system-ui, sans-serif',
  } satisfies uPlot.Axis;
}

export function scatterOptions(container: HTMLElement, logY: boolean, draw: (u: uPlot) => void, panZoom: PanZoom): uPlot.Options {
  return {
    ...plotSize(container),
    ms: 1,
    legend: { show: false },
    padding: [12, 16, 0, 4],
    cursor: {
      points: { show: false },
      x: true,
      y: true,
      drag: { x: true, y: false, setScale: false },
      bind: panZoom.bind,
    },
    scales: {
      x: { time: true, auto: false },
      // The distribution is fixed when the plot is created: a log/linear switch re-creates it.
      y: { auto: false, distr: logY ? 3 : 1 },
    },
    axes: [
      {
        ...axisStyle(),
        values: (_u, splits, _axis, _space, incr) => splits.map((v) => formatAxisTime(v, incr)),
      },
      {
        ...axisStyle(),
        size: 64,
        // Log scales have unlabelled minor ticks (null).
        values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : formatAxisMs(v))),
      },
    ],
    series: [{}, { label: 'traces', paths: () => null, points: { show: false } }],
    hooks: {
      draw: [draw],
      setSelect: [panZoom.onSelect],
    },
  };
}
