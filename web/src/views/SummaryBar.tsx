// The numbers an on-call engineer reads first: how many traces, how many fail, how slow the slow
// ones are, and whether spans are still coming in.

import type { TraceWindow } from '../api/trace-window.js';
import { formatCount, formatMs, formatPct, formatRate } from '../model/format.js';
import { summarize } from '../model/summary.js';

export interface SummaryBarProps {
  data: TraceWindow | undefined;
  filtersActive: boolean;
  ingestPerSec: number | undefined;
  ingestAvailable: boolean;
}

export function SummaryBar({ data, filtersActive, ingestPerSec, ingestAvailable }: SummaryBarProps) {
  const s = summarize(data?.traces ?? []);
  const browserFiltered = data !== undefined && data.filteredInBrowser && filtersActive;
  const traceCount = data === undefined ? undefined : browserFiltered ? s.count : data.total;
  let traceNote = filtersActive ? 'matching the filters' : 'with a root span';
  if (browserFiltered) traceNote = `matching, of ${formatCount(data.total)} in range`;
  const basis = data !== undefined && data.truncated ? `the newest ${formatCount(s.count)} traces` : `${formatCount(s.count)} traces`;
  return (
    <div className="summary-bar" data-testid="summary-bar">
      <div className="metric" data-testid="summary-traces">
        <span className="label">Traces in range</span>
        <span className="value">{formatCount(traceCount)}</span>
        <span className="sub">{traceNote}</span>
      </div>
      <div className="metric" data-testid="summary-errors">
        <span className="label">Error traces</span>
        <span className={`value${(s.errorRate ?? 0) > 0.05 ? ' err' : ''}`}>{formatPct(s.errorRate)}</span>
        <span className="sub">
          {formatCount(s.errors)} of {basis}
        </span>
      </div>
      <div className="metric" data-testid="summary-p95">
        <span className="label">p95 duration</span>
        <span className="value">{formatMs(s.p95Ms)}</span>
        <span className="sub">root span, over {basis}</span>
      </div>
      <div className="metric" data-testid="summary-ingest">
        <span className="label">Spans ingested now</span>
        <span className="value">{ingestAvailable ? formatRate(ingestPerSec) : '—'}</span>
        <span className="sub">{ingestAvailable ? 'per second, from /metrics' : 'this server has no traced_spans_accepted_total'}</span>
      </div>
    </div>
  );
}
