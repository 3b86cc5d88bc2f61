// Live traces: filters, the time range, the scatter, and a table of the traces behind it.

import { useMemo, useState } from 'react';
import type { TraceWindow } from '../api/trace-window.js';
import type { Capabilities, TraceSummary } from '../api/types.js';
import { serviceColor } from '../model/colors.js';
import { formatClock, formatCount, formatDateTime, formatMs } from '../model/format.js';
import { msToNs, nsToMs } from '../model/ns.js';
import { filtersActive, formatSpan, type ViewState } from '../model/view-state.js';
import { Filters } from './Filters.js';
import { ScatterChart } from './ScatterChart.js';

export const RANGE_PRESETS = [5 * 60_000, 15 * 60_000, 60 * 60_000, 6 * 3_600_000, 24 * 3_600_000];
export const POINT_BUDGETS = [1000, 5000, 10_000, 20_000];

export interface LiveViewProps {
  state: ViewState;
  setState: (next: ViewState) => void;
  data: TraceWindow | undefined;
  /** When the data was requested: the right edge of a live range. */
  loadedAtMs: number;
  caps: Capabilities;
  services: string[];
  operations: string[];
  maxPoints: number;
  setMaxPoints: (n: number) => void;
  openTrace: (traceId: string) => void;
  serverLabel: string;
}

export function LiveView(props: LiveViewProps) {
  const { state, setState, data } = props;
  const [tableOrder, setTableOrder] = useState<'newest' | 'slowest'>('newest');
  const range = state.range;
  const [xMin, xMax] =
    range.kind === 'fixed' ? [nsToMs(range.after), nsToMs(range.before)] : [props.loadedAtMs - range.lastMs, props.loadedAtMs];
  const traces = data?.traces ?? [];

  const tableRows = useMemo(() => {
    const rows = [...traces];
    if (tableOrder === 'slowest') rows.sort((a, b) => b.duration_ms - a.duration_ms);
    return rows.slice(0, 50);
  }, [traces, tableOrder]);

  const legend = useMemo(() => {
    if (state.colorBy !== 'service') return [];
    const counts = new Map<string, number>();
    for (const t of traces) counts.set(t.root_service, (counts.get(t.root_service) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1]);
  }, [traces, state.colorBy]);

  const pinRange = (minMs: number, maxMs: number): void => {
    const after = msToNs(Math.max(0, minMs));
    const before = msToNs(Math.max(minMs + 1, maxMs));
    if (BigInt(after) >= BigInt(before)) return;
    setState({ ...state, range: { kind: 'fixed', after, before } });
  };
  const goLive = (lastMs?: number): void => {
    setState({ ...state, range: { kind: 'live', lastMs: lastMs ?? (range.kind === 'live' ? range.lastMs : 15 * 60_000) } });
  };

  let emptyMessage = '';
  if (data !== undefined && traces.length === 0) {
    if (filtersActive(state.filters)) emptyMessage = 'No traces match these filters in this time range.';
    else if (range.kind === 'live') emptyMessage = `No traces in the last ${formatSpan(range.lastMs)}. Send spans to POST ${props.serverLabel}/spans and they appear here within 3 seconds.`;
    else emptyMessage = 'No traces in this time range. Double-click the chart or press "Back to live".';
  }

  return (
    <section className="panel live-view" data-testid="live-view">
      <Filters
        filters={state.filters}
        onChange={(filters) => setState({ ...state, filters })}
        services={props.services}
        operations={props.operations}
        caps={props.caps}
      />
      <div className="chart-toolbar">
        <div className="segmented" aria-label="time range">
          {RANGE_PRESETS.map((ms) => (
            <button
              key={ms}
              type="button"
              className={range.kind === 'live' && range.lastMs === ms ? 'on' : ''}
              onClick={() => goLive(ms)}
              data-testid={`range-${formatSpan(ms)}`}
            >
              {formatSpan(ms)}
            </button>
          ))}
        </div>
        {range.kind === 'live' ? (
          <span className="live-badge" data-testid="range-live">
            <span className="pulse" /> live · last {formatSpan(range.lastMs)}
          </span>
        ) : (
          <span className="pinned" data-testid="range-pinned">
            {formatDateTime(xMin)} → {formatDateTime(xMax).slice(11)}
            <button type="button" onClick={() => goLive()} data-testid="back-to-live">
              Back to live
            </button>
          </span>
        )}
        <span className="spacer" />
        <label className="inline">
          Colour
          <select value={state.colorBy} onChange={(e) => setState({ ...state, colorBy: e.target.value === 'service' ? 'service' : 'status' })} data-testid="color-by">
            <option value="status">by status</option>
            <option value="service">by service</option>
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={state.logY} onChange={(e) => setState({ ...state, logY: e.target.checked })} /> log scale
        </label>
        <label className="inline">
          Points
          <select value={props.maxPoints} onChange={(e) => props.setMaxPoints(Number(e.target.value))}>
            {POINT_BUDGETS.map((n) => (
              <option key={n} value={n}>
                {formatCount(n)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="chart-area">
        <ScatterChart
          traces={traces}
          colorBy={state.colorBy}
          logY={state.logY}
          xMinMs={xMin}
          xMaxMs={xMax}
          onRange={pinRange}
          onResetLive={() => goLive()}
          onSelect={props.openTrace}
        />
        {emptyMessage !== '' && <div className="chart-empty">{emptyMessage}</div>}
      </div>
      <div className="chart-foot">
        <span className="muted">
          Drag to zoom into a time range · shift+drag to pan · wheel to zoom · double-click for live · dot size = span count
        </span>
        <span className="spacer" />
        {data !== undefined && (
          <span className="muted" data-testid="loaded-note">
            showing {formatCount(traces.length)}
            {data.truncated ? ` of the newest ${formatCount(Math.min(props.maxPoints, data.total))}` : ''} of {formatCount(data.total)} traces in range
            {data.filteredInBrowser && filtersActive(state.filters) ? ' (filtered in the browser: root span only)' : ''}
          </span>
        )}
      </div>
      {legend.length > 0 && (
        <div className="legend">
          {legend.slice(0, 16).map(([service, count]) => (
            <button
              key={service}
              type="button"
              className="legend-item"
              title="show only this service"
              onClick={() => setState({ ...state, filters: { ...state.filters, service } })}
            >
              <span className="swatch" style={{ background: serviceColor(service) }} />
              {service} <span className="muted">{count}</span>
            </button>
          ))}
          <span className="legend-item">
            <span className="swatch ring" /> error
          </span>
        </div>
      )}
      <TraceTable rows={tableRows} order={tableOrder} setOrder={setTableOrder} openTrace={props.openTrace} />
    </section>
  );
}

function TraceTable(props: {
  rows: TraceSummary[];
  order: 'newest' | 'slowest';
  setOrder: (o: 'newest' | 'slowest') => void;
  openTrace: (id: string) => void;
}) {
  if (props.rows.length === 0) return null;
  return (
    <div className="trace-table-wrap">
      <div className="table-title">
        <h3>Traces</h3>
        <div className="segmented">
          <button type="button" className={props.order === 'newest' ? 'on' : ''} onClick={() => props.setOrder('newest')}>
            newest
          </button>
          <button type="button" className={props.order === 'slowest' ? 'on' : ''} onClick={() => props.setOrder('slowest')}>
            slowest
          </button>
        </div>
      </div>
      <table className="data-table" data-testid="trace-table">
        <thead>
          <tr>
            <th>Started</th>
            <th>Root service</th>
            <th>Operation</th>
            <th className="num">Duration</th>
            <th className="num">Spans</th>
            <th>Status</th>
            <th>Trace</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((t) => (
            <tr key={t.trace_id} className="clickable" onClick={() => props.openTrace(t.trace_id)} data-trace-id={t.trace_id}>
              <td className="mono">{formatClock(t.start_time)}</td>
              <td>
                <span className="swatch" style={{ background: serviceColor(t.root_service) }} />
                {t.root_service}
              </td>
              <td>{t.root_operation}</td>
              <td className="num">{formatMs(t.duration_ms)}</td>
              <td className="num">{t.span_count}</td>
              <td>{t.status === 'error' ? <span className="badge badge-error">error</span> : <span className="muted">ok</span>}</td>
              <td className="mono muted">{t.trace_id.slice(0, 8)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
