// RED statistics (rate, errors, duration) from a store's latency and dependency reports: the
// bodies of GET /services, /services/{service}/operations, /stats and /dependencies, minus
// their int64 fields. Groups merge their minute sketches; counts are exact.

import { compareText } from './compare-text.js';
import { LatencyStats, RELATIVE_ERROR } from './sketch.js';
import type { DependencyReport, LatencyReport } from './trace-store.js';

export interface LatencyRow {
  span_count: number;
  error_count: number;
  error_rate: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

export interface RedStats {
  request_count: number;
  request_rate_per_sec: number;
  error_count: number;
  error_rate: number;
  p50_ms: number;
  p90_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  relative_error: number;
}

export interface DependencyEdgeRow {
  parent: string;
  child: string;
  call_count: number;
  error_count: number;
  p95_ms: number;
}

function errorRate(stats: LatencyStats): number {
  return stats.spans === 0 ? 0 : stats.errors / stats.spans;
}

export function latencyRow(stats: LatencyStats): LatencyRow {
  return {
    span_count: stats.spans,
    error_count: stats.errors,
    error_rate: errorRate(stats),
    p50_ms: stats.sketch.quantileMs(0.5),
    p95_ms: stats.sketch.quantileMs(0.95),
    p99_ms: stats.sketch.quantileMs(0.99),
  };
}

function groupBy(report: LatencyReport, keyOf: (service: string, operation: string) => string | undefined): Map<string, LatencyStats> {
  const groups = new Map<string, LatencyStats>();
  for (const e of report.endpoints) {
    const key = keyOf(e.service, e.operation);
    if (key === undefined) continue;
    let stats = groups.get(key);
    if (stats === undefined) groups.set(key, (stats = new LatencyStats()));
    stats.merge(e.stats);
  }
  return groups;
}

/** GET /services: one row per service, sorted by name. */
export function serviceRows(report: LatencyReport): Array<{ service: string } & LatencyRow> {
  const groups = groupBy(report, (service) => service);
  return [...groups.keys()].sort(compareText).map((service) => ({ service, ...latencyRow(groups.get(service)!) }));
}

/** GET /services/{service}/operations: one row per operation, or undefined for a service without spans. */
export function operationRows(report: LatencyReport, service: string): Array<{ operation: string } & LatencyRow> | undefined {
  const groups = groupBy(report, (s, operation) => (s === service ? operation : undefined));
  if (groups.size === 0) return undefined;
  return [...groups.keys()].sort(compareText).map((operation) => ({ operation, ...latencyRow(groups.get(operation)!) }));
}

/** GET /stats: the spans of a service and/or operation (all spans without either). */
export function redStats(report: LatencyReport, service?: string, operation?: string): RedStats {
  const stats = new LatencyStats();
  for (const e of report.endpoints) {
    if (service !== undefined && e.service !== service) continue;
    if (operation !== undefined && e.operation !== operation) continue;
    stats.merge(e.stats);
  }
  return {
    request_count: stats.spans,
    request_rate_per_sec: report.elapsedSeconds > 0 ? stats.spans / report.elapsedSeconds : 0,
    error_count: stats.errors,
    error_rate: errorRate(stats),
    p50_ms: stats.sketch.quantileMs(0.5),
    p90_ms: stats.sketch.quantileMs(0.9),
    p95_ms: stats.sketch.quantileMs(0.95),
    p99_ms: stats.sketch.quantileMs(0.99),
    max_ms: stats.maxNs / 1e6,
    relative_error: RELATIVE_ERROR,
  };
}

/** GET /dependencies: edges sorted by parent, then child. */
export function dependencyEdges(report: DependencyReport): DependencyEdgeRow[] {
  return report.links
    .map((l) => ({ parent: l.parent, child: l.child, call_count: l.stats.spans, error_count: l.stats.errors, p95_ms: l.stats.sketch.quantileMs(0.95) }))
    .sort((a, b) => compareText(a.parent, b.parent) || compareText(a.child, b.child));
}
