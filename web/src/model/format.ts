// How numbers read on screen: durations with a unit that keeps 2–3 significant digits, rates
// and percentages without false precision, wall-clock times in the viewer's zone.

import { nsToMs, type NsText } from './ns.js';

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${(ms * 1000).toPrecision(3).replace(/\.?0+$/, '')} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function formatPct(rate: number | undefined): string {
  if (rate === undefined || !Number.isFinite(rate)) return '—';
  const pct = rate * 100;
  if (pct === 0) return '0%';
  if (pct < 0.1) return '<0.1%';
  return `${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}

export function formatRate(perSec: number | undefined): string {
  if (perSec === undefined || !Number.isFinite(perSec)) return '—';
  if (perSec >= 1000) return `${(perSec / 1000).toFixed(1)}k/s`;
  if (perSec >= 10) return `${perSec.toFixed(0)}/s`;
  return `${perSec.toFixed(perSec === 0 ? 0 : 2)}/s`;
}

export function formatCount(n: number | undefined): string {
  if (n === undefined) return '—';
  return n.toLocaleString('en-US');
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time with milliseconds, e.g. 14:03:27.412. */
export function formatClock(ns: NsText): string {
  const ms = nsToMs(ns);
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Local date and time, e.g. 2026-11-22 14:03:27. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** A duration for an axis label: as short as it stays unambiguous (50 ms, 1.5 s). */
export function formatAxisMs(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1) return `${+(ms * 1000).toPrecision(3)} µs`;
  if (ms < 1000) return `${+ms.toPrecision(3)} ms`;
  return `${+(ms / 1000).toPrecision(3)} s`;
}

/** A wall-clock axis label, 24-hour, with seconds or milliseconds only when ticks need them. */
export function formatAxisTime(ms: number, stepMs: number): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (stepMs >= 60_000) return hm;
  if (stepMs >= 1000) return `${hm}:${pad(d.getSeconds())}`;
  return `${hm}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
