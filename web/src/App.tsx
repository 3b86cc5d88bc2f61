// The dashboard shell: connection, URL state, the shared polls (the trace window behind the
// scatter and the summary bar, the ingest counter), and the view switch.

import { useCallback, useMemo, useRef, useState } from 'react';
import { isCancelled } from './api/client.js';
import { loadTraceWindow, type TraceWindow } from './api/trace-window.js';
import { useConnection } from './hooks/connection.js';
import { usePolling } from './hooks/polling.js';
import { useUrlState } from './hooks/url-state.js';
import { readCounter, ratePerSec, type CounterSample } from './model/summary.js';
import { filtersActive, type ViewName } from './model/view-state.js';
import { registerServices } from './model/colors.js';
import { Header, isUuid } from './views/Header.js';
import { LiveView } from './views/LiveView.js';
import { ServiceMap } from './views/ServiceMap.js';
import { ServicesView } from './views/ServicesView.js';
import { SummaryBar } from './views/SummaryBar.js';
import { TraceView } from './views/TraceView.js';

const POLL_MS = 3000;
const POINTS_KEY = 'traced.maxPoints';

function storedPoints(): number {
  const n = Number(window.localStorage.getItem(POINTS_KEY));
  return [1000, 5000, 10_000, 20_000].includes(n) ? n : 5000;
}

export function App() {
  const conn = useConnection();
  const { api, caps, reportOk, reportError } = conn;
  const [state, setState] = useUrlState();
  const [maxPoints, setMaxPointsState] = useState(storedPoints);
  const [windowData, setWindowData] = useState<TraceWindow | undefined>();
  const [loadedAtMs, setLoadedAtMs] = useState(() => Date.now());
  const [ingest, setIngest] = useState<number | undefined>();
  const lastCounter = useRef<CounterSample | undefined>(undefined);
  const [serviceNames, setServiceNames] = useState<string[] | undefined>();
  const [operationNames, setOperationNames] = useState<string[] | undefined>();

  const setMaxPoints = (n: number): void => {
    window.localStorage.setItem(POINTS_KEY, String(n));
    setMaxPointsState(n);
  };

  const filterKey = JSON.stringify(state.filters);
  const rangeKey = JSON.stringify(state.range);

  // The trace window: every 3 s; the last answer stays on screen until the next one arrives.
  usePolling(
    async (signal) => {
      const requestedAt = Date.now();
      try {
        const data = await loadTraceWindow(api, caps, state.range, state.filters, maxPoints, signal);
        if (signal.aborted) return;
        setWindowData(data);
        setLoadedAtMs(requestedAt);
        reportOk();
      } catch (error) {
        if (isCancelled(error)) return;
        reportError(error);
      }
    },
    POLL_MS,
    [api, caps.search, filterKey, rangeKey, maxPoints],
    { debounceMs: 200 },
  );

  // Spans/s ingested now: the rate of traced_spans_accepted_total between two polls.
  usePolling(
    async (signal) => {
      try {
        const text = await api.metricsText(signal);
        const value = readCounter(text, 'traced_spans_accepted_total');
        if (value === undefined) return;
        const sample = { value, atMs: Date.now() };
        const rate = ratePerSec(lastCounter.current, sample);
        lastCounter.current = sample;
        if (rate !== undefined) setIngest(rate);
      } catch {
        // the summary shows "—"; the connection state comes from the trace poll
      }
    },
    POLL_MS,
    [api],
    { enabled: caps.ingestMetrics },
  );

  // Names for the filter drop-downs.
  usePolling(
    async (signal) => {
      if (!caps.services) return;
      try {
        setServiceNames((await api.services(signal)).map((s) => s.service).sort());
        if (state.filters.service !== '') {
          setOperationNames((await api.operations(state.filters.service, signal)).map((o) => o.operation).sort());
        } else setOperationNames(undefined);
      } catch {
        setOperationNames(undefined);
      }
    },
    15_000,
    [api, caps.services, state.filters.service],
  );

  const traces = windowData?.traces;
  const services = useMemo(() => {
    if (caps.services && serviceNames !== undefined) return serviceNames;
    return [...new Set((traces ?? []).map((t) => t.root_service))].sort();
  }, [caps.services, serviceNames, traces]);
  const operations = useMemo(() => {
    if (caps.services && operationNames !== undefined) return operationNames;
    const list = (traces ?? []).filter((t) => state.filters.service === '' || t.root_service === state.filters.service);
    return [...new Set(list.map((t) => t.root_operation))].sort();
  }, [caps.services, operationNames, traces, state.filters.service]);

  // Colours in name order, before anything draws (see colors.ts).
  registerServices(services);
  for (const t of traces ?? []) if (t.services !== undefined) registerServices(t.services);

  const openTrace = useCallback(
    (traceId: string) => setState({ ...state, view: 'trace', traceId: traceId.toLowerCase(), spanId: undefined }),
    [state, setState],
  );
  const openService = useCallback(
    (service: string, operation?: string) =>
      setState({ ...state, view: 'live', traceId: undefined, spanId: undefined, filters: { ...state.filters, service, operation: operation ?? '' } }),
    [state, setState],
  );
  const setView = (view: ViewName): void => setState({ ...state, view, spanId: undefined });

  const findTrace = (text: string): string | undefined => {
    if (isUuid(text)) {
      openTrace(text);
      return undefined;
    }
    if (!/^[0-9a-f-]+$/.test(text)) return 'a trace id is hexadecimal, like 550e8400-e29b-41d4-a716-446655440000';
    const matches = (traces ?? []).filter((t) => t.trace_id.startsWith(text));
    if (matches.length === 1) {
      openTrace(matches[0]!.trace_id);
      return undefined;
    }
    if (matches.length > 1) return `${matches.length} loaded traces start with ${text}: type more of the id`;
    return `no loaded trace id starts with ${text}; paste the full id to look it up on the server`;
  };

  return (
    <div className="app">
      <Header
        view={state.view}
        setView={setView}
        baseUrl={conn.baseUrl}
        connect={conn.connect}
        state={conn.state}
        caps={caps}
        findTrace={findTrace}
      />
      <SummaryBar data={windowData} filtersActive={filtersActive(state.filters)} ingestPerSec={ingest} ingestAvailable={caps.ingestMetrics} />
      <main>
        {state.view === 'trace' && state.traceId !== undefined ? (
          <TraceView
            key={state.traceId}
            api={api}
            traceId={state.traceId}
            spanId={state.spanId}
            onSelectSpan={(spanId) => setState({ ...state, spanId })}
            onBack={() => setState({ ...state, view: 'live', traceId: undefined, spanId: undefined })}
            reportOk={reportOk}
            reportError={reportError}
          />
        ) : state.view === 'services' ? (
          <ServicesView
            api={api}
            caps={caps}
            range={state.range}
            data={windowData}
            reportOk={reportOk}
            reportError={reportError}
            openService={openService}
          />
        ) : state.view === 'map' ? (
          <ServiceMap api={api} caps={caps} range={state.range} data={windowData} reportOk={reportOk} reportError={reportError} openService={openService} />
        ) : (
          <LiveView
            state={state}
            setState={setState}
            data={windowData}
            loadedAtMs={loadedAtMs}
            caps={caps}
            services={services}
            operations={operations}
            maxPoints={maxPoints}
            setMaxPoints={setMaxPoints}
            openTrace={openTrace}
            serverLabel={api.label}
          />
        )}
      </main>
    </div>
  );
}
