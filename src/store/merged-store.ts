// The read roles over several stores at once, answering exactly as one store holding all their
// traces would. It rests on one invariant: a trace lives in one source only (the cluster hashes
// trace ids onto partitions, and each partition is one store), so per-trace answers never need
// joining, and every answer by value (reader.ts, stats.ts) merges:
//
// - a listing: every source is asked for `limit` matches after the same cursor; the union of their
//   pages holds the first `limit` matches of all of them, so a k-way merge cut at `limit` is the
//   page one store would give, `total` is the sum, and cursors (positions by value) carry over;
// - a trace: from the one source holding it;
// - statistics: sketches merge without loss (sketch.ts), counts and dependency edges add up, over
//   the same whole minutes, which this store fixes once for every source (statsWindow);
// - store counts add up.
//
// A source that fails (a peer that timed out or answered garbage: the peer client rejects) does not
// fail the answer: the others answer, and the answer names what is missing in `unavailable`
// (store-shapes.ts), which HTTP turns into the X-Traced-Partial header. Sources are asked in
// parallel, so an answer takes as long as its slowest source, bounded by the peers' deadlines.

import type { Clock } from '../time/clock.js';
import { compareNs } from '../time/nanos.js';
import type { TraceReader } from './reader.js';
import { LatencyStats } from './sketch.js';
import type { TraceStats } from './stats.js';
import type {
  DependencyLink,
  DependencyReport,
  EndpointLatency,
  LatencyReport,
  ListQuery,
  RangeQuery,
  StoreStats,
  TraceDetail,
  TraceList,
  TraceSummary,
} from './store-shapes.js';
import { minuteStartNs, statsWindow } from './window.js';

/** What a merged store asks of each source: the read roles and the counts. */
export interface QuerySource extends TraceReader, TraceStats {
  stats(): StoreStats | Promise<StoreStats>;
}

export interface NamedSource {
  /** Names the source in partial answers: a peer's URL, a partition. */
  name: string;
  source: QuerySource;
  /**
   * The source answers in this process, holding the event loop while it does: it is asked after
   * one turn of the loop, once the questions to remote sources are on the wire, so that their
   * work and its own overlap instead of following each other.
   */
  inProcess?: boolean;
}

/** A trace looked up over sources that may not all answer. */
export interface TraceLookup {
  detail: TraceDetail | undefined;
  /** Sources that did not answer; absent when every source asked did. */
  unavailable?: string[];
}

/**
 * An optional capability of a reader (found by `'lookupTrace' in reader`): getTrace() that also
 * says which sources did not answer, so that a 404 can say it may be one of theirs.
 */
export interface PartialTraceLookup {
  lookupTrace(traceId: string): Promise<TraceLookup>;
}

export interface MergedStoreOptions {
  /**
   * The sources, or a function read at every question: in cluster mode who owns what changes
   * with the leases, and each query asks the owners of the moment.
   */
  sources: readonly NamedSource[] | (() => readonly NamedSource[]);
  /** The clock and window of the sources, which fix the minutes statistics cover. */
  clock: Clock;
  windowMinutes: number;
  /**
   * The index of the source holding a trace, when known (the partition of its id); without it,
   * or when it answers undefined, every source is asked.
   */
  traceOwner?: (traceId: string) => number | undefined;
  /** Told of every source that failed, for logs and metrics. */
  onSourceError?: (name: string, error: unknown) => void;
}

/** Listing order: root start_time descending, ties by trace_id ascending. */
function listedBefore(a: TraceSummary, b: TraceSummary): boolean {
  const byStart = compareNs(a.start_time, b.start_time);
  return byStart !== 0 ? byStart > 0 : a.trace_id < b.trace_id;
}

/** The first `limit` summaries of pages that are each in listing order, in listing order. */
function mergePages(pages: readonly TraceSummary[][], limit: number): { traces: TraceSummary[]; leftOver: boolean } {
  const at = new Array<number>(pages.length).fill(0);
  const traces: TraceSummary[] = [];
  // k is a handful of sources and a page at most 1000 summaries: a linear pick per step is
  // cheaper than a heap at these sizes.
  while (traces.length < limit) {
    let best = -1;
    for (let k = 0; k < pages.length; k++) {
      const candidate = pages[k]![at[k]!];
      if (candidate !== undefined && (best < 0 || listedBefore(candidate, pages[best]![at[best]!]!))) best = k;
    }
    if (best < 0) return { traces, leftOver: false };
    traces.push(pages[best]![at[best]!++]!);
  }
  return { traces, leftOver: pages.some((page, k) => at[k]! < page.length) };
}

function mergeInto<K>(groups: Map<string, K>, key: string, make: () => K, stats: LatencyStats, statsOf: (group: K) => LatencyStats): void {
  let group = groups.get(key);
  if (group === undefined) groups.set(key, (group = make()));
  statsOf(group).merge(stats);
}

export class MergedStore implements TraceReader, TraceStats, PartialTraceLookup {
  constructor(private readonly options: MergedStoreOptions) {}

  private get sources(): readonly NamedSource[] {
    const sources = this.options.sources;
    return typeof sources === 'function' ? sources() : sources;
  }

  /** Each source's answer, or its failure reported and its name collected. */
  private async ask<T>(sources: readonly NamedSource[], question: (source: QuerySource) => T | Promise<T>): Promise<{ answers: T[]; unavailable: string[] }> {
    const remoteFirst = sources.some((s) => s.inProcess !== true);
    const settled = await Promise.allSettled(
      sources.map(async ({ source, inProcess }) => {
        if (inProcess === true && remoteFirst) await new Promise<void>((resolve) => setImmediate(resolve));
        return question(source);
      }),
    );
    const answers: T[] = [];
    const unavailable: string[] = [];
    settled.forEach((outcome, k) => {
      if (outcome.status === 'fulfilled') answers.push(outcome.value);
      else {
        unavailable.push(sources[k]!.name);
        this.options.onSourceError?.(sources[k]!.name, outcome.reason);
      }
    });
    return { answers, unavailable };
  }

  async listTraces(query: ListQuery): Promise<TraceList> {
    const { answers, unavailable } = await this.ask(this.sources, (s) => s.listTraces(query));
    const { traces, leftOver } = mergePages(
      answers.map((a) => a.traces),
      query.limit,
    );
    const list: TraceList = {
      total: answers.reduce((sum, a) => sum + a.total, 0),
      traces,
      // A source with more has more than `limit` after the cursor, so the union does too.
      more: query.limit > 0 && (leftOver || answers.some((a) => a.more)),
    };
    // Missing sources make the answer incomplete in the sense the contract gives the word:
    // `total` counts the matches found, and matches may be missing from `traces`.
    // A source may itself be partial (a peer whose own partitions lagged): its gaps are ours.
    for (const a of answers) if (a.unavailable !== undefined) unavailable.push(...a.unavailable);
    if (answers.some((a) => a.incomplete === true) || unavailable.length > 0) list.incomplete = true;
    if (unavailable.length > 0) list.unavailable = unavailable;
    return list;
  }

  async getTrace(traceId: string): Promise<TraceDetail | undefined> {
    return (await this.lookupTrace(traceId)).detail;
  }

  async lookupTrace(traceId: string): Promise<TraceLookup> {
    const sources = this.sources;
    const owner = this.options.traceOwner?.(traceId);
    const asked = owner === undefined || sources[owner] === undefined ? sources : [sources[owner]!];
    const { answers, unavailable } = await this.ask(asked, (s) => s.getTrace(traceId));
    const detail = answers.find((d) => d !== undefined);
    // Found: the trace is whole in its one source, whatever the others did.
    if (detail !== undefined || unavailable.length === 0) return { detail };
    return { detail: undefined, unavailable };
  }

  /** The range every source is asked for: the whole minutes one store would cover now. */
  private alignedRange(range: RangeQuery): { range: RangeQuery; after: string; before: string; elapsedSeconds: number } {
    const w = statsWindow(this.options.clock.nowMs(), this.options.windowMinutes, range.after, range.before);
    const after = minuteStartNs(w.fromMinute);
    const before = minuteStartNs(w.toMinute);
    return { range: { after, before }, after, before, elapsedSeconds: w.elapsedSeconds };
  }

  async latency(range: RangeQuery): Promise<LatencyReport> {
    const aligned = this.alignedRange(range);
    const { answers, unavailable } = await this.ask(this.sources, (s) => s.latency(aligned.range));
    const groups = new Map<string, EndpointLatency>();
    for (const report of answers) {
      for (const e of report.endpoints) {
        mergeInto(groups, JSON.stringify([e.service, e.operation]), () => ({ service: e.service, operation: e.operation, stats: new LatencyStats() }), e.stats, (g) => g.stats);
      }
    }
    for (const a of answers) if (a.unavailable !== undefined) unavailable.push(...a.unavailable);
    const report: LatencyReport = { after: aligned.after, before: aligned.before, elapsedSeconds: aligned.elapsedSeconds, endpoints: [...groups.values()] };
    if (unavailable.length > 0) report.unavailable = unavailable;
    return report;
  }

  async dependencies(range: RangeQuery): Promise<DependencyReport> {
    const aligned = this.alignedRange(range);
    const { answers, unavailable } = await this.ask(this.sources, (s) => s.dependencies(aligned.range));
    const groups = new Map<string, DependencyLink>();
    for (const report of answers) {
      for (const l of report.links) {
        mergeInto(groups, JSON.stringify([l.parent, l.child]), () => ({ parent: l.parent, child: l.child, stats: new LatencyStats() }), l.stats, (g) => g.stats);
      }
    }
    for (const a of answers) if (a.unavailable !== undefined) unavailable.push(...a.unavailable);
    const report: DependencyReport = { after: aligned.after, before: aligned.before, elapsedSeconds: aligned.elapsedSeconds, links: [...groups.values()] };
    if (unavailable.length > 0) report.unavailable = unavailable;
    return report;
  }

  /**
   * The sources' counts added up. `endpoints` adds up too, so a pair held by two sources counts
   * twice: it is what the sources hold against their budgets, not the distinct pairs.
   */
  async stats(): Promise<StoreStats & { unavailable?: string[] }> {
    const { answers, unavailable } = await this.ask(this.sources, (s) => s.stats());
    const total: StoreStats & { unavailable?: string[] } = { spans: 0, traces: 0, buckets: 0 };
    for (const s of answers) {
      total.spans += s.spans;
      total.traces += s.traces;
      total.buckets += s.buckets;
      for (const key of ['bytes', 'endpoints', 'overflowedSpans'] as const) {
        if (s[key] !== undefined) total[key] = (total[key] ?? 0) + s[key];
      }
    }
    if (unavailable.length > 0) total.unavailable = unavailable;
    return total;
  }
}
