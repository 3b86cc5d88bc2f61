// The internal query routes' wire forms (schemas/internal.ts), both ways: what a node's stores
// answer, as JSON a peer can merge (encode*, used by src/http/internal-query.ts), and a peer's
// answer back into the store's shapes (decode*, used by peer-client.ts).
//
// A decoder trusts nothing: the schema first (types, patterns, required fields), then what a
// schema cannot say: int64 ranges, a page in listing order and within its limit, sketches whose
// counts add up and whose bins lie where durations can fall. A failure is a PeerAnswerError,
// which makes the merged answer partial instead of wrong.

import { Compile } from 'typebox/compile';
import {
  InternalDependencyReport,
  InternalLatencyReport,
  InternalStoreStats,
  InternalTraceList,
  InternalTraceResponse,
} from '../../schemas/internal.js';
import { LatencySketch, LatencyStats } from '../store/sketch.js';
import type { DependencyReport, LatencyReport, StoreStats, TraceDetail, TraceList } from '../store/store-shapes.js';
import { compareNs, nonNegativeInt64FromText } from '../time/nanos.js';
import { behindName } from './fanout-read-barrier.js';

/** A peer's answer that is not one: wrong status, not JSON, or not the form the route promises. */
export class PeerAnswerError extends Error {}

type WireStats = { spans: number; errors: number; max_ns: number; zeros: number; bins: number[][] };

// ---- encoding (this node's stores → JSON) ----

/** `behind`: partitions this node owns that had not applied a query's minimums (fanout-read-barrier.ts). */
export function encodeTraceList(list: TraceList, behind?: number[]): string {
  const wire: InternalTraceList = { total: list.total, traces: list.traces, more: list.more };
  if (list.incomplete === true) wire.incomplete = true;
  if (behind !== undefined && behind.length > 0) wire.behind = behind;
  return JSON.stringify(wire);
}

export function encodeTrace(detail: TraceDetail | undefined): string {
  return JSON.stringify({ trace: detail ?? null });
}

function statsWire(stats: LatencyStats): WireStats {
  return { spans: stats.spans, errors: stats.errors, max_ns: stats.maxNs, zeros: stats.sketch.zeros, bins: stats.sketch.entries() };
}

export function encodeLatency(report: LatencyReport, behind?: number[]): string {
  const wire: InternalLatencyReport = {
    after: report.after,
    before: report.before,
    elapsed_seconds: report.elapsedSeconds,
    endpoints: report.endpoints.map((e) => ({ service: e.service, operation: e.operation, stats: statsWire(e.stats) })),
  };
  if (behind !== undefined && behind.length > 0) wire.behind = behind;
  return JSON.stringify(wire);
}

export function encodeDependencies(report: DependencyReport, behind?: number[]): string {
  const wire: InternalDependencyReport = {
    after: report.after,
    before: report.before,
    elapsed_seconds: report.elapsedSeconds,
    links: report.links.map((l) => ({ parent: l.parent, child: l.child, stats: statsWire(l.stats) })),
  };
  if (behind !== undefined && behind.length > 0) wire.behind = behind;
  return JSON.stringify(wire);
}

export function encodeStoreStats(stats: StoreStats): string {
  const wire: InternalStoreStats = { spans: stats.spans, traces: stats.traces, buckets: stats.buckets };
  if (stats.bytes !== undefined) wire.bytes = stats.bytes;
  if (stats.endpoints !== undefined) wire.endpoints = stats.endpoints;
  if (stats.overflowedSpans !== undefined) wire.overflowed_spans = stats.overflowedSpans;
  return JSON.stringify(wire);
}

// ---- decoding (a peer's JSON → the store's shapes) ----

const checkList = Compile(InternalTraceList);
const checkTrace = Compile(InternalTraceResponse);
const checkLatency = Compile(InternalLatencyReport);
const checkDependencies = Compile(InternalDependencyReport);
const checkStoreStats = Compile(InternalStoreStats);

function fail(what: string): never {
  throw new PeerAnswerError(`the peer's ${what}`);
}

function exactNs(text: string, what: string): void {
  if (nonNegativeInt64FromText(text) !== text) fail(`${what} ${text} is not a non-negative int64`);
}

export function decodeTraceList(value: unknown, limit: number): TraceList {
  if (!checkList.Check(value)) fail('trace list does not match InternalTraceList');
  const list = value as InternalTraceList;
  if (list.traces.length > limit) fail(`trace list holds ${list.traces.length} traces for a limit of ${limit}`);
  if (list.total < list.traces.length) fail('trace list total is smaller than its page');
  for (let i = 0; i < list.traces.length; i++) {
    const t = list.traces[i]!;
    exactNs(t.start_time, 'trace start_time');
    const prev = list.traces[i - 1];
    // The merge relies on each page being in listing order.
    if (prev !== undefined) {
      const byStart = compareNs(prev.start_time, t.start_time);
      if (byStart < 0 || (byStart === 0 && prev.trace_id >= t.trace_id)) fail('trace list is not in listing order');
    }
  }
  const out: TraceList = { total: list.total, traces: list.traces, more: list.more };
  if (list.incomplete === true) out.incomplete = true;
  if (list.behind !== undefined && list.behind.length > 0) out.unavailable = list.behind.map(behindName);
  return out;
}

export function decodeTrace(value: unknown, traceId: string): TraceDetail | undefined {
  if (!checkTrace.Check(value)) fail('trace does not match InternalTraceResponse');
  const detail = (value as InternalTraceResponse).trace;
  if (detail === null) return undefined;
  if (detail.trace_id !== traceId || detail.spans.some((s) => s.trace_id !== traceId)) fail(`trace is not trace ${traceId}`);
  for (const s of detail.spans) exactNs(s.start_time, 'span start_time');
  return detail as TraceDetail;
}

function decodeStats(wire: WireStats): LatencyStats {
  let binned = 0;
  let last = -1;
  for (const [bin, n] of wire.bins as Array<[number, number]>) {
    if (bin <= last) fail('sketch bins are not ascending');
    if (n < 1) fail('sketch holds an empty bin');
    last = bin;
    binned += n;
  }
  if (wire.zeros + binned !== wire.spans || wire.errors > wire.spans) fail('sketch counts do not add up');
  const stats = new LatencyStats();
  stats.spans = wire.spans;
  stats.errors = wire.errors;
  stats.maxNs = wire.max_ns;
  try {
    stats.sketch.merge(LatencySketch.fromEntries(wire.zeros, wire.bins as Array<[number, number]>));
  } catch (error) {
    fail(`sketch: ${(error as Error).message}`);
  }
  return stats;
}

function decodeRange(wire: { after: string; before: string; elapsed_seconds: number }): { after: string; before: string; elapsedSeconds: number } {
  exactNs(wire.after, 'range after');
  exactNs(wire.before, 'range before');
  return { after: wire.after, before: wire.before, elapsedSeconds: wire.elapsed_seconds };
}

export function decodeLatency(value: unknown): LatencyReport {
  if (!checkLatency.Check(value)) fail('latency report does not match InternalLatencyReport');
  const wire = value as InternalLatencyReport;
  const report: LatencyReport = { ...decodeRange(wire), endpoints: wire.endpoints.map((e) => ({ service: e.service, operation: e.operation, stats: decodeStats(e.stats) })) };
  if (wire.behind !== undefined && wire.behind.length > 0) report.unavailable = wire.behind.map(behindName);
  return report;
}

export function decodeDependencies(value: unknown): DependencyReport {
  if (!checkDependencies.Check(value)) fail('dependency report does not match InternalDependencyReport');
  const wire = value as InternalDependencyReport;
  const report: DependencyReport = { ...decodeRange(wire), links: wire.links.map((l) => ({ parent: l.parent, child: l.child, stats: decodeStats(l.stats) })) };
  if (wire.behind !== undefined && wire.behind.length > 0) report.unavailable = wire.behind.map(behindName);
  return report;
}

export function decodeStoreStats(value: unknown): StoreStats {
  if (!checkStoreStats.Check(value)) fail('store counts do not match InternalStoreStats');
  const wire = value as InternalStoreStats;
  const stats: StoreStats = { spans: wire.spans, traces: wire.traces, buckets: wire.buckets };
  if (wire.bytes !== undefined) stats.bytes = wire.bytes;
  if (wire.endpoints !== undefined) stats.endpoints = wire.endpoints;
  if (wire.overflowed_spans !== undefined) stats.overflowedSpans = wire.overflowed_spans;
  return stats;
}
