// Trace detail: a waterfall of the span tree. Rows are indented by depth and collapsible; bars
// sit on the trace's own time axis in their service's colour; error spans are red and marked;
// the critical path is drawn over the bars and flagged on its rows; spans whose parent never
// arrived are listed after the tree with a plain explanation. Selecting a row shows its tags.

import { useMemo, useState } from 'react';
import { ApiError, isCancelled, type TracedApi } from '../api/client.js';
import type { Span, TraceDetail } from '../api/types.js';
import { usePolling } from '../hooks/polling.js';
import { ERROR_COLOR, registerServices, serviceColor } from '../model/colors.js';
import { criticalPath, type CriticalSection } from '../model/critical-path.js';
import { formatClock, formatMs } from '../model/format.js';
import { nsToMs } from '../model/ns.js';
import { buildSpanTree, visibleRows, type SpanNode } from '../model/span-tree.js';

export interface TraceViewProps {
  api: TracedApi;
  traceId: string;
  spanId: string | undefined;
  onSelectSpan: (spanId: string | undefined) => void;
  onBack: () => void;
  reportOk: () => void;
  reportError: (error: unknown) => void;
}

type Load = { kind: 'loading' } | { kind: 'loaded'; detail: TraceDetail } | { kind: 'missing' } | { kind: 'failed'; message: string };

function pct(offset: bigint, total: bigint): number {
  if (total <= 0n) return 0;
  return Number((offset * 1_000_000n) / total) / 10_000;
}

export function TraceView(props: TraceViewProps) {
  const { api, traceId } = props;
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [showCritical, setShowCritical] = useState(true);

  // Late spans keep arriving for a while: refresh, keeping the last answer on screen.
  usePolling(
    async (signal) => {
      try {
        const detail = await api.getTrace(traceId, signal);
        props.reportOk();
        setLoad({ kind: 'loaded', detail });
      } catch (error) {
        if (isCancelled(error)) return;
        if (error instanceof ApiError && error.status === 404) {
          props.reportOk();
          setLoad((previous) => (previous.kind === 'loaded' ? previous : { kind: 'missing' }));
          return;
        }
        if (error instanceof ApiError && error.status === 400) {
          setLoad({ kind: 'failed', message: `"${traceId}" is not a trace id (a UUID like 550e8400-e29b-41d4-a716-446655440000)` });
          return;
        }
        props.reportError(error);
        setLoad((previous) => (previous.kind === 'loaded' ? previous : { kind: 'failed', message: String((error as Error).message) }));
      }
    },
    3000,
    [api, traceId],
  );

  const detail = load.kind === 'loaded' ? load.detail : undefined;
  const tree = useMemo(() => {
    if (detail === undefined) return undefined;
    registerServices(detail.spans.map((s) => s.service));
    return buildSpanTree(detail.spans);
  }, [detail]);
  const path = useMemo(() => {
    if (detail === undefined) return undefined;
    return criticalPath(detail.spans, detail.root_span_id ?? tree?.root?.span.span_id);
  }, [detail, tree]);
  const sectionsBySpan = useMemo(() => {
    const map = new Map<string, CriticalSection[]>();
    for (const s of path?.sections ?? []) {
      const list = map.get(s.spanId) ?? [];
      list.push(s);
      map.set(s.spanId, list);
    }
    return map;
  }, [path]);

  const header = (
    <div className="trace-head">
      <button type="button" className="link-button" onClick={props.onBack}>
        ← Traces
      </button>
      <span className="mono trace-id" title="trace id">
        {traceId}
      </span>
    </div>
  );

  if (load.kind === 'loading') return <section className="panel">{header}<p className="muted pad">Loading trace…</p></section>;
  if (load.kind === 'missing') {
    return (
      <section className="panel">
        {header}
        <p className="notice pad" data-testid="trace-missing">
          Trace {traceId} is not in the collector's window: it may have aged out, or none of its spans have arrived yet.
          This page keeps checking.
        </p>
      </section>
    );
  }
  if (load.kind === 'failed') {
    return (
      <section className="panel">
        {header}
        <p className="error-text pad">{load.message}</p>
      </section>
    );
  }

  const t = tree!;
  const total = t.endNs - t.startNs;
  const rows = visibleRows(t, collapsed);
  const services = new Set(detail!.spans.map((s) => s.service));
  const errors = detail!.spans.filter((s) => s.status === 'error').length;
  const root = t.root;
  const selected = props.spanId !== undefined ? t.byId.get(props.spanId) : undefined;
  const toggle = (id: string): void => {
    const next = new Set(collapsed);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setCollapsed(next);
  };
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const partial = t.orphans.length > 0 || root === undefined || detail!.partial === true;

  return (
    <section className="panel trace-view" data-testid="trace-view">
      {header}
      <div className="trace-summary">
        {root !== undefined ? (
          <h2>
            <span className="swatch" style={{ background: serviceColor(root.span.service) }} />
            {root.span.service} <span className="muted">{root.span.operation}</span>
          </h2>
        ) : (
          <h2 className="warn-text">Root span not received</h2>
        )}
        <dl className="facts">
          <div>
            <dt>Duration</dt>
            <dd>{formatMs(nsToMs(total))}</dd>
          </div>
          <div>
            <dt>Spans</dt>
            <dd data-testid="trace-span-count">{detail!.spans.length}</dd>
          </div>
          <div>
            <dt>Services</dt>
            <dd>{services.size}</dd>
          </div>
          <div>
            <dt>Errors</dt>
            <dd className={errors > 0 ? 'err' : ''}>{errors}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd className="mono">{formatClock(t.startNs.toString())}</dd>
          </div>
          <div>
            <dt>Critical path</dt>
            <dd>{path?.spanIds.size ?? 0} spans</dd>
          </div>
        </dl>
        <div className="trace-tools">
          <label>
            <input type="checkbox" checked={showCritical} onChange={(e) => setShowCritical(e.target.checked)} />
            <span className="crit-swatch" /> Highlight critical path
          </label>
          <button type="button" onClick={() => setCollapsed(new Set())}>
            Expand all
          </button>
          <button
            type="button"
            onClick={() => setCollapsed(new Set([...t.byId.values()].filter((n) => n.depth >= 1 && n.children.length > 0).map((n) => n.span.span_id)))}
          >
            Collapse below root
          </button>
        </div>
        {partial && (
          <p className="notice" data-testid="partial-notice">
            {root === undefined ? 'The root span has not arrived. ' : ''}
            {t.orphans.length > 0 &&
              `${t.orphans.length} span${t.orphans.length === 1 ? '' : 's'} name${t.orphans.length === 1 ? 's' : ''} a parent that never arrived; ${t.orphans.length === 1 ? 'it is' : 'they are'} shown below the tree, marked "orphan".`}
          </p>
        )}
      </div>

      <div className="waterfall-layout">
        <div className="waterfall" data-testid="waterfall">
          <div className="wf-row wf-axis">
            <div className="wf-name muted">Service · operation</div>
            <div className="wf-lane">
              {ticks.map((f) => (
                <span key={f} className="wf-tick" style={{ left: `${f * 100}%` }}>
                  {formatMs(nsToMs(total) * f)}
                </span>
              ))}
            </div>
          </div>
          {rows.map((node) => (
            <SpanRow
              key={node.span.span_id}
              node={node}
              traceStart={t.startNs}
              total={total}
              collapsed={collapsed.has(node.span.span_id)}
              onToggle={toggle}
              selected={props.spanId === node.span.span_id}
              onSelect={(id) => props.onSelectSpan(props.spanId === id ? undefined : id)}
              critical={showCritical && (path?.spanIds.has(node.span.span_id) ?? false)}
              sections={showCritical ? (sectionsBySpan.get(node.span.span_id) ?? []) : []}
            />
          ))}
        </div>
        {selected !== undefined && (
          <SpanDetails
            node={selected}
            traceStart={t.startNs}
            critical={path?.spanIds.has(selected.span.span_id) ?? false}
            selfCriticalNs={(sectionsBySpan.get(selected.span.span_id) ?? []).reduce((sum, s) => sum + (s.endNs - s.startNs), 0n)}
            onClose={() => props.onSelectSpan(undefined)}
          />
        )}
      </div>
    </section>
  );
}

interface SpanRowProps {
  node: SpanNode<Span>;
  traceStart: bigint;
  total: bigint;
  collapsed: boolean;
  onToggle: (spanId: string) => void;
  selected: boolean;
  onSelect: (spanId: string) => void;
  critical: boolean;
  sections: CriticalSection[];
}

function SpanRow({ node, traceStart, total, collapsed, onToggle, selected, onSelect, critical, sections }: SpanRowProps) {
  const s = node.span;
  const left = pct(node.startNs - traceStart, total);
  const width = Math.max(0.15, pct(node.endNs - node.startNs, total));
  const isError = s.status === 'error';
  const color = serviceColor(s.service);
  const durationMs = nsToMs(node.endNs - node.startNs);
  const hasChildren = node.children.length > 0;
  return (
    <div
      className={`wf-row${selected ? ' selected' : ''}${critical ? ' critical' : ''}${isError ? ' error' : ''}`}
      data-testid="span-row"
      data-span-id={s.span_id}
      data-critical={critical ? 'true' : 'false'}
      data-orphan={node.orphan ? 'true' : 'false'}
      data-depth={node.depth}
      onClick={() => onSelect(s.span_id)}
    >
      <div className="wf-name" style={{ paddingLeft: 6 + node.depth * 14 }}>
        {hasChildren ? (
          <button
            type="button"
            className="toggle"
            aria-label={collapsed ? 'expand' : 'collapse'}
            data-testid="span-toggle"
            onClick={(e) => {
              e.stopPropagation();
              onToggle(s.span_id);
            }}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="toggle-spacer" />
        )}
        <span className="swatch" style={{ background: color }} />
        <span className="svc">{s.service}</span>
        <span className="op">{s.operation}</span>
        {collapsed && <span className="badge">+{node.descendants}</span>}
        {isError && <span className="badge badge-error">error</span>}
        {node.orphan && (
          <span className="badge badge-orphan" title={`parent ${s.parent_span_id ?? ''} never arrived`}>
            orphan
          </span>
        )}
      </div>
      <div className="wf-lane">
        <div
          className="wf-bar"
          style={{
            left: `${left}%`,
            width: `${width}%`,
            background: isError ? ERROR_COLOR : color,
          }}
        />
        {sections.map((c, i) => (
          <div
            key={i}
            className="wf-critical"
            data-testid="critical-section"
            style={{ left: `${pct(c.startNs - traceStart, total)}%`, width: `${Math.max(0.1, pct(c.endNs - c.startNs, total))}%` }}
          />
        ))}
        <span className="wf-duration" style={{ left: `calc(${left + width}% + 4px)` }}>
          {formatMs(durationMs)}
        </span>
      </div>
    </div>
  );
}

interface SpanDetailsProps {
  node: SpanNode<Span>;
  traceStart: bigint;
  critical: boolean;
  selfCriticalNs: bigint;
  onClose: () => void;
}

function SpanDetails({ node, traceStart, critical, selfCriticalNs, onClose }: SpanDetailsProps) {
  const s = node.span;
  const tags = Object.entries(s.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return (
    <aside className="span-details" data-testid="span-details">
      <div className="span-details-head">
        <h3>
          <span className="swatch" style={{ background: serviceColor(s.service) }} />
          {s.service} <span className="muted">{s.operation}</span>
        </h3>
        <button type="button" className="link-button" onClick={onClose} aria-label="close">
          ✕
        </button>
      </div>
      <dl className="kv">
        <dt>Duration</dt>
        <dd>{formatMs(nsToMs(node.endNs - node.startNs))}</dd>
        <dt>Starts at</dt>
        <dd>+{formatMs(nsToMs(node.startNs - traceStart))}</dd>
        <dt>Status</dt>
        <dd className={s.status === 'error' ? 'err' : ''}>{s.status}</dd>
        <dt>Critical path</dt>
        <dd>{critical ? `yes (${formatMs(nsToMs(selfCriticalNs))} of its own time)` : 'no'}</dd>
        <dt>Span id</dt>
        <dd className="mono">{s.span_id}</dd>
        <dt>Parent</dt>
        <dd className="mono">
          {s.parent_span_id ?? '— (root)'}
          {node.orphan && <div className="warn-text">never arrived</div>}
        </dd>
        <dt>Start (ns)</dt>
        <dd className="mono">{s.start_time}</dd>
        <dt>End (ns)</dt>
        <dd className="mono">{s.end_time}</dd>
      </dl>
      <h4>Tags</h4>
      {tags.length === 0 ? (
        <p className="muted">No tags.</p>
      ) : (
        <table className="tags" data-testid="span-tags">
          <tbody>
            {tags.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </aside>
  );
}
