/**
 * What verification found: the counts `emit` prints and exits on, and the
 * example problems behind them.
 */
import type { JsonValue } from './json.js';

export interface VerifyReport {
  /**
   * Traces `total` must count: root stored and surely inside the window while
   * `total` was read (only those starting at or after totalFilteredAfter, if set).
   */
  expected: number;
  /** `total` as reported by the server. */
  found: number | undefined;
  /** Number of distinct traces obtained by paging GET /traces. */
  listed: number;
  missing: number;
  spanMismatches: number;
  summaryMismatches: number;
  /** Span fields other than the id (times, parent, status, tags) or order differ. */
  detailMismatches: number;
  /** Listed traces we never sent, whose root was refused, or that should have been evicted. */
  unexpected: number;
  /** The listing broke the contract: ordering, duplicates, paging, total vs listed. */
  listErrors: number;
  /** Traces we could not check (transport errors, deadline). */
  unchecked: number;
  /** Traces whose root delivery is unknown (5xx / broken connection): tolerated either way. */
  uncertain: number;
  /** Traces that were neither surely inside nor surely outside the window when checked. */
  edgeSkipped: number;
  /** `total` was read with after=… because some traces sat at the window edge. */
  totalFilteredAfter: bigint | undefined;
  totalOk: boolean;
  examples: string[];
  passed: boolean;
}

/** A report with nothing found yet, whose examples are collected by `problems`. */
export function emptyReport(problems: Problems): VerifyReport {
  return {
    expected: 0,
    found: undefined,
    listed: 0,
    missing: 0,
    spanMismatches: 0,
    summaryMismatches: 0,
    detailMismatches: 0,
    unexpected: 0,
    listErrors: 0,
    unchecked: 0,
    uncertain: 0,
    edgeSkipped: 0,
    totalFilteredAfter: undefined,
    totalOk: false,
    examples: problems.examples,
    passed: false,
  };
}

/** Whether every check that must hold did; uncertain and edge-skipped traces never fail a run. */
export function reportPasses(r: VerifyReport): boolean {
  return (
    r.totalOk &&
    r.missing === 0 &&
    r.spanMismatches === 0 &&
    r.summaryMismatches === 0 &&
    r.detailMismatches === 0 &&
    r.unexpected === 0 &&
    r.listErrors === 0 &&
    r.unchecked === 0
  );
}

export function formatReport(r: VerifyReport): string {
  return [
    `expected=${r.expected}`,
    `found=${r.found ?? 'n/a'}`,
    `missing=${r.missing}`,
    `span_mismatches=${r.spanMismatches}`,
    `summary_mismatches=${r.summaryMismatches}`,
    `detail_mismatches=${r.detailMismatches}`,
    `unexpected=${r.unexpected}`,
    `listed=${r.listed}`,
    `list_errors=${r.listErrors}`,
    `unchecked=${r.unchecked}`,
    `uncertain=${r.uncertain}`,
    `edge_skipped=${r.edgeSkipped}`,
  ].join(' ');
}

/** Example problems, capped: a broken server would otherwise produce one per trace. */
export class Problems {
  readonly examples: string[] = [];
  constructor(private readonly max: number) {}
  add(message: string): void {
    if (this.examples.length < this.max) this.examples.push(message);
  }
}

export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A value the server sent, as a problem message quotes it. */
export function show(v: JsonValue | undefined): string {
  if (v === undefined) return 'absent';
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v, bigintReplacer);
}
