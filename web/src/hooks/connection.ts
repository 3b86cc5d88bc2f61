import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, TracedApi, isCancelled, normalizeBaseUrl } from '../api/client.js';
import { NO_CAPABILITIES, type Capabilities } from '../api/types.js';

const STORAGE_KEY = 'traced.serverUrl';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected'; lastOkAt: number }
  | { kind: 'failed'; message: string; since: number };

export interface Connection {
  api: TracedApi;
  baseUrl: string;
  state: ConnectionState;
  caps: Capabilities;
  /** Switches server (remembered in localStorage); "" is the page's own origin. */
  connect: (baseUrl: string) => void;
  /** Every poll reports its outcome here, so the header shows the latest truth. */
  reportOk: () => void;
  reportError: (error: unknown) => void;
}

/** What a view that polls the server for itself takes from the connection. */
export type ServerAccess = Pick<Connection, 'api' | 'caps' | 'reportOk' | 'reportError'>;

function readStored(): string {
  try {
    return normalizeBaseUrl(window.localStorage.getItem(STORAGE_KEY) ?? '') ?? '';
  } catch {
    return '';
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The server the dashboard talks to: checks /health, asks which extensions exist, and re-asks
 * every minute and after a failure clears (a collector upgraded underneath lights up new views).
 */
export function useConnection(): Connection {
  const [baseUrl, setBaseUrl] = useState(readStored);
  const [state, setState] = useState<ConnectionState>({ kind: 'connecting' });
  const [caps, setCaps] = useState<Capabilities>(NO_CAPABILITIES);
  const api = useMemo(() => new TracedApi(baseUrl), [baseUrl]);
  const failed = useRef(false);
  const [probeTick, setProbeTick] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    let cancelled = false;
    void (async () => {
      try {
        await api.health(controller.signal);
        const found = await api.probe(controller.signal);
        if (cancelled) return;
        setCaps(found);
        failed.current = false;
        setState({ kind: 'connected', lastOkAt: Date.now() });
      } catch (error) {
        if (cancelled || isCancelled(error)) return;
        failed.current = true;
        setState({ kind: 'failed', message: messageOf(error), since: Date.now() });
      }
    })();
    const timer = setTimeout(() => setProbeTick((t) => t + 1), failed.current ? 5000 : 60_000);
    return () => {
      cancelled = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, probeTick]);

  const connect = useCallback((next: string) => {
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // private mode: the choice lasts for this page only
    }
    setState({ kind: 'connecting' });
    setCaps(NO_CAPABILITIES);
    setBaseUrl(next);
    setProbeTick((t) => t + 1);
  }, []);

  const reportOk = useCallback(() => {
    if (failed.current) {
      failed.current = false;
      setProbeTick((t) => t + 1);
    }
    setState((s) => (s.kind === 'connected' ? { kind: 'connected', lastOkAt: Date.now() } : s));
  }, []);

  const reportError = useCallback((error: unknown) => {
    if (isCancelled(error)) return;
    failed.current = true;
    setState((s) => ({ kind: 'failed', message: messageOf(error), since: s.kind === 'failed' ? s.since : Date.now() }));
  }, []);

  return { api, baseUrl, state, caps, connect, reportOk, reportError };
}
