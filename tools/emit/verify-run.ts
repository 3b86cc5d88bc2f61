/**
 * What every check of one verification run shares: the server, the options,
 * when a trace must be present, the traces that were sent, and what has been
 * found so far.
 */
import type { GetResult } from './client.js';
import { verdictOf, type TraceRecord } from './ledger.js';
import { emptyReport, Problems, type VerifyReport } from './verify-report.js';

export interface TraceApi {
  get(pathAndQuery: string, signal?: AbortSignal): Promise<GetResult>;
}

export interface VerifyOptions {
  /** Unix ns now, read before and after every request to time-stamp it. */
  clock: () => bigint;
  windowMinutes: number;
  concurrency: number;
  signal?: AbortSignal;
  /** How far the server's clock may run ahead of ours. */
  clockSkewNs?: bigint;
  /** How late the server may evict a trace that left the window (plus skew the other way). */
  evictionLagNs?: bigint;
  pageSize?: number;
  /** Stop collecting example problems after this many. */
  maxExamples?: number;
}

export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;
export const DEFAULT_EVICTION_LAG_NS = 10n * NS_PER_S;
export const DEFAULT_CLOCK_SKEW_NS = 2n * NS_PER_S;
export const DEFAULT_PAGE_SIZE = 1000;

/**
 * What the server must say about a trace, judged against the interval
 * [ta, tb] during which one request was in flight:
 * - present: inside the window for the whole interval, whatever the
 *   server's clock skew;
 * - absent: out of the window (plus eviction lag) already at ta;
 * - either: it may have aged out meanwhile — no verdict.
 * Judging each request by its own timestamps, rather than one "now" with a
 * fixed safety margin, keeps short-window runs fully checked.
 */
export type Zone = 'present' | 'absent' | 'either';

/** A request's answer with our clock read just before (ta) and just after (tb) it. */
export interface Timed<T> {
  value: T;
  ta: bigint;
  tb: bigint;
}

export interface VerifyRun {
  api: TraceApi;
  opts: VerifyOptions;
  windowNs: bigint;
  skewNs: bigint;
  lagNs: bigint;
  zone: (start: bigint, ta: bigint, tb: bigint) => Zone;
  timed: <T>(fn: () => Promise<T>) => Promise<Timed<T>>;
  report: VerifyReport;
  problems: Problems;
  byId: Map<string, TraceRecord>;
  /** Traces the server must hold: their root was delivered. */
  mustList: TraceRecord[];
  /** Traces the server may hold: their root's fate is unknown. */
  mayList: TraceRecord[];
  edgeSkipped: Set<string>;
  /** Counted per trace, although the listing and the detail may both show it. */
  unexpected: Set<string>;
  missingIds: Set<string>;
}

export function startOf(r: TraceRecord): bigint {
  return r.summary.start_time;
}

export function startRun(api: TraceApi, records: Iterable<TraceRecord>, opts: VerifyOptions): VerifyRun {
  const windowNs = BigInt(Math.round(opts.windowMinutes * 60_000)) * NS_PER_MS;
  const skewNs = opts.clockSkewNs ?? DEFAULT_CLOCK_SKEW_NS;
  const lagNs = opts.evictionLagNs ?? DEFAULT_EVICTION_LAG_NS;
  const problems = new Problems(opts.maxExamples ?? 20);
  const all = [...records];
  return {
    api,
    opts,
    windowNs,
    skewNs,
    lagNs,
    zone: (start, ta, tb) => (start >= tb - windowNs + skewNs ? 'present' : start < ta - windowNs - lagNs ? 'absent' : 'either'),
    timed: async (fn) => {
      const ta = opts.clock();
      const value = await fn();
      return { value, ta, tb: opts.clock() };
    },
    report: emptyReport(problems),
    problems,
    byId: new Map(all.map((r) => [r.trace.trace_id, r])),
    mustList: all.filter((r) => ['complete', 'partial'].includes(verdictOf(r))),
    mayList: all.filter((r) => verdictOf(r) === 'unknown'),
    edgeSkipped: new Set(),
    unexpected: new Set(),
    missingIds: new Set(),
  };
}
