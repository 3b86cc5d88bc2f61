// Numbers for the summary bar and the Prometheus counter behind "spans/s ingested now".

import type { TraceSummary } from '../api/types.js';

/** Nearest-rank percentile of `values` (need not be sorted); undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface TraceSummaryStats {
  count: number;
  errors: number;
  /** 0..1; undefined with no traces. */
  errorRate: number | undefined;
  p95Ms: number | undefined;
}

export function summarize(traces: readonly TraceSummary[]): TraceSummaryStats {
  let errors = 0;
  for (const t of traces) if (t.status === 'error') errors++;
  return {
    count: traces.length,
    errors,
    errorRate: traces.length === 0 ? undefined : errors / traces.length,
    p95Ms: percentile(
      traces.map((t) => t.duration_ms),
      95,
    ),
  };
}

/**
 * The value of a counter in Prometheus text exposition, summed over its label sets; undefined
 * when the metric is absent.
 */
export function readCounter(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue; // a longer name sharing the prefix
    const valueText = rest[0] === '{' ? rest.slice(rest.lastIndexOf('}') + 1) : rest;
    const value = Number(valueText.trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

export interface CounterSample {
  value: number;
  atMs: number;
}

/** Per-second rate between two samples; undefined across a counter reset or without time. */
export function ratePerSec(previous: CounterSample | undefined, current: CounterSample): number | undefined {
  if (previous === undefined) return undefined;
  const dt = (current.atMs - previous.atMs) / 1000;
  if (dt <= 0 || current.value < previous.value) return undefined;
  return (current.value - previous.value) / dt;
}
