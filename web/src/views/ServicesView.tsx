// Services: request rate, error rate and latency percentiles per service, and per operation when
// a row is expanded, over the selected time range, sortable by any column.
//
// With the extension endpoints, the list comes from GET /services and the numbers over the range
// from GET /stats?service&operation&after&before (without /stats: the window-wide numbers of
// /services). Against a contract-only server the table is computed in the browser from the root
// spans of the loaded traces, and says so.

import { Fragment, useMemo, useState } from 'react';
import { mapLimited } from '../api/concurrency.js';
import { rangeBounds, rangeParams, type TraceWindow } from '../api/trace-window.js';
import type { LatencyRow, Stats } from '../api/types.js';
import type { ServerAccess } from '../hooks/connection.js';
import { usePollFailure } from '../hooks/poll-failure.js';
import { usePolling } from '../hooks/polling.js';
import { serviceColor } from '../model/colors.js';
import { formatCount, formatMs, formatPct, formatRate } from '../model/format.js';
import { percentile } from '../model/summary.js';
import type { TimeRange } from '../model/view-state.js';
import { assumedLowMs } from '../model/latency-shape.js';
import { LatencyHistogram } from './LatencyHistogram.js';

export interface Row {
  name: string;
  requests: number;
  ratePerSec: number | undefined;
  errorRate: number;
  p50: number;
  p90?: number;
  p95: number;
  p99: number;
  max?: number;
  /** Exact durations when computed in the browser. */
  samples?: number[];
}

type SortKey = 'name' | 'requests' | 'ratePerSec' | 'errorRate' | 'p50' | 'p95' | 'p99';

function fromStats(name: string, s: Stats): Row {
  return {
    name,
    requests: s.request_count,
    ratePerSec: s.request_rate_per_sec,
    errorRate: s.error_rate,
    p50: s.p50_ms,
    p90: s.p90_ms,
    p95: s.p95_ms,
    p99: s.p99_ms,
    max: s.max_ms,
  };
}

function fromWindow(name: string, r: LatencyRow): Row {
  return { name, requests: r.span_count, ratePerSec: undefined, errorRate: r.error_rate, p50: r.p50_ms, p95: r.p95_ms, p99: r.p99_ms };
}

function fromSamples(name: string, durations: number[], errors: number, rangeSec: number): Row {
  return {
    name,
    requests: durations.length,
    ratePerSec: rangeSec > 0 ? durations.length / rangeSec : undefined,
    errorRate: durations.length === 0 ? 0 : errors / durations.length,
    p50: percentile(durations, 50) ?? 0,
    p95: percentile(durations, 95) ?? 0,
    p99: percentile(durations, 99) ?? 0,
    samples: durations,
  };
}

export interface ServicesViewProps extends ServerAccess {
  range: TimeRange;
  data: TraceWindow | undefined;
  openService: (service: string, operation?: string) => void;
}

export function ServicesView(props: ServicesViewProps) {
  const { api, caps, range } = props;
  const [serverRows, setServerRows] = useState<Row[] | undefined>();
  const [opRows, setOpRows] = useState<Map<string, Row[]>>(new Map());
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'requests', desc: true });
  const failure = usePollFailure(props.reportError);
  const useServer = caps.services;

  usePolling(
    async (signal) => {
      if (!useServer) return;
      await failure.watch(async () => {
        const services = await api.services(signal);
        const rows = caps.stats
          ? await mapLimited(services, 4, async (s) =>
              fromStats(s.service, await api.stats([['service', s.service], ...rangeParams(range, Date.now())], signal)),
            )
          : services.map((s) => fromWindow(s.service, s));
        const ops = new Map<string, Row[]>();
        for (const service of expanded) {
          if (!services.some((s) => s.service === service)) continue;
          const list = await api.operations(service, signal);
          ops.set(
            service,
            caps.stats
              ? await mapLimited(list, 4, async (o) =>
                  fromStats(o.operation, await api.stats([['service', service], ['operation', o.operation], ...rangeParams(range, Date.now())], signal)),
                )
              : list.map((o) => fromWindow(o.operation, o)),
          );
        }
        props.reportOk();
        setServerRows(rows);
        setOpRows(ops);
      });
    },
    5000,
    [api, useServer, caps.stats, range, [...expanded].join('\n')],
    { debounceMs: 150 },
  );

  // Contract-only fallback: root spans of the loaded traces.
  const browserRows = useMemo(() => {
    if (useServer || props.data === undefined) return undefined;
    const { after, before } = rangeBounds(range, Date.now());
    const endMs = before === undefined ? Date.now() : Number(BigInt(before) / 1_000_000n);
    const rangeSec = (endMs - Number(BigInt(after) / 1_000_000n)) / 1000;
    type Acc = { d: number[]; e: number };
    const byService = new Map<string, Acc & { ops: Map<string, Acc> }>();
    for (const t of props.data.traces) {
      const s = byService.get(t.root_service) ?? { d: [], e: 0, ops: new Map<string, Acc>() };
      s.d.push(t.duration_ms);
      if (t.status === 'error') s.e++;
      const o: Acc = s.ops.get(t.root_operation) ?? { d: [], e: 0 };
      o.d.push(t.duration_ms);
      if (t.status === 'error') o.e++;
      s.ops.set(t.root_operation, o);
      byService.set(t.root_service, s);
    }
    const rows = [...byService.entries()].map(([name, s]) => fromSamples(name, s.d, s.e, rangeSec));
    const ops = new Map<string, Row[]>();
    for (const [name, s] of byService) ops.set(name, [...s.ops.entries()].map(([op, o]) => fromSamples(op, o.d, o.e, rangeSec)));
    return { rows, ops };
  }, [useServer, props.data, range]);

  const rows = useServer ? serverRows : browserRows?.rows;
  const ops = useServer ? opRows : (browserRows?.ops ?? new Map<string, Row[]>());
  const sorted = useMemo(() => sortRows(rows ?? [], sort.key, sort.desc), [rows, sort]);
  // One log axis for every histogram in the table, so rows compare at a glance.
  const domain = useMemo((): [number, number] | undefined => {
    const all = [...(rows ?? []), ...[...ops.values()].flat()];
    let lo = Infinity;
    let hi = 0;
    for (const r of all) {
      if (r.samples !== undefined && r.samples.length > 0) {
        lo = Math.min(lo, ...r.samples.map((v) => Math.max(0.01, v)));
        hi = Math.max(hi, ...r.samples);
      } else if (r.p99 > 0) {
        lo = Math.min(lo, assumedLowMs({ p50_ms: r.p50, p95_ms: r.p95, p99_ms: r.p99 }));
        hi = Math.max(hi, r.max ?? r.p99, r.p99);
      }
    }
    return Number.isFinite(lo) && hi > lo ? [lo, hi] : undefined;
  }, [rows, ops]);

  const header = (key: SortKey, label: string, numeric = true) => (
    <th
      className={`${numeric ? 'num ' : ''}sortable${sort.key === key ? ' sorted' : ''}`}
      onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : key !== 'name' })}
      data-testid={`sort-${key}`}
      aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
    >
      {label}
      {sort.key === key ? (sort.desc ? ' ↓' : ' ↑') : ''}
    </th>
  );

  return (
    <section className="panel" data-testid="services-view">
      <div className="view-head">
        <h2>Services</h2>
        <span className="muted">
          {useServer
            ? caps.stats
              ? 'per service and operation over the selected time range'
              : 'window-wide numbers from GET /services (this server has no /stats for a time range)'
            : 'computed in the browser from the root spans of the loaded traces: this server has no /services endpoint'}
        </span>
      </div>
      {failure.message !== '' && <p className="error-text">{failure.message}</p>}
      {rows === undefined ? (
        <p className="muted pad">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted pad">No services have reported spans in this range yet.</p>
      ) : (
        <table className="data-table services-table" data-testid="services-table">
          <thead>
            <tr>
              {header('name', 'Service / operation', false)}
              {header('requests', 'Requests')}
              {header('ratePerSec', 'Rate')}
              {header('errorRate', 'Errors')}
              {header('p50', 'p50')}
              {header('p95', 'p95')}
              {header('p99', 'p99')}
              <th>Latency distribution</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((row) => {
              const open = expanded.has(row.name);
              const children = open ? sortRows(ops.get(row.name) ?? [], sort.key, sort.desc) : [];
              return (
                <Fragment key={row.name}>
                  <tr className="service-row" data-testid="service-row" data-service={row.name}>
                    <td>
                      <button
                        type="button"
                        className="toggle"
                        aria-label={open ? 'hide operations' : 'show operations'}
                        onClick={() => {
                          const next = new Set(expanded);
                          if (open) next.delete(row.name);
                          else next.add(row.name);
                          setExpanded(next);
                        }}
                      >
                        {open ? '▾' : '▸'}
                      </button>
                      <span className="swatch" style={{ background: serviceColor(row.name) }} />
                      <button type="button" className="link-button strong" onClick={() => props.openService(row.name)} title="show this service's traces">
                        {row.name}
                      </button>
                    </td>
                    <Cells row={row} domain={domain} />
                  </tr>
                  {open && children.length === 0 && (
                    <tr className="op-row">
                      <td colSpan={8} className="muted indent">
                        Loading operations…
                      </td>
                    </tr>
                  )}
                  {children.map((op) => (
                    <tr key={op.name} className="op-row" data-testid="operation-row" data-operation={op.name}>
                      <td className="indent">
                        <button type="button" className="link-button" onClick={() => props.openService(row.name, op.name)}>
                          {op.name}
                        </button>
                      </td>
                      <Cells row={op} domain={domain} />
                    </tr>
                  ))}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Cells({ row, domain }: { row: Row; domain: [number, number] | undefined }) {
  return (
    <>
      <td className="num">{formatCount(row.requests)}</td>
      <td className="num">{formatRate(row.ratePerSec)}</td>
      <td className={`num${row.errorRate > 0.05 ? ' err' : row.errorRate > 0 ? ' warn-text' : ''}`}>{formatPct(row.errorRate)}</td>
      <td className="num">{formatMs(row.p50)}</td>
      <td className="num">{formatMs(row.p95)}</td>
      <td className="num">{formatMs(row.p99)}</td>
      <td>
        <LatencyHistogram
          domain={domain}
          samples={row.samples}
          points={row.samples === undefined ? { p50_ms: row.p50, p90_ms: row.p90, p95_ms: row.p95, p99_ms: row.p99, max_ms: row.max } : undefined}
        />
      </td>
    </>
  );
}

export function sortRows(rows: readonly Row[], key: SortKey, desc: boolean): Row[] {
  const sign = desc ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (key === 'name') return sign * (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const x = a[key] ?? -1;
    const y = b[key] ?? -1;
    return sign * (x - y) || (a.name < b.name ? -1 : 1);
  });
}
