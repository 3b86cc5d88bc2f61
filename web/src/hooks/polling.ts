import { useEffect, useRef, useState } from 'react';

/**
 * Runs `load` now and then `intervalMs` after each run finishes (never two at once), restarting
 * when `deps` change. A change of deps first waits `debounceMs`, so a burst of changes (wheel
 * zoom, typing a filter) costs one request. The previous run is aborted on restart and unmount.
 */
export function usePolling(
  load: (signal: AbortSignal) => Promise<void>,
  intervalMs: number,
  deps: readonly unknown[],
  options: { enabled?: boolean; debounceMs?: number } = {},
): void {
  const loadRef = useRef(load);
  loadRef.current = load;
  const enabled = options.enabled ?? true;
  const debounceMs = options.debounceMs ?? 0;
  const first = useRef(true);
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      try {
        await loadRef.current(controller.signal);
      } catch {
        // load reports its own errors; polling goes on
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void run(), intervalMs);
    };
    const delay = first.current ? 0 : debounceMs;
    first.current = false;
    timer = setTimeout(() => void run(), delay);
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, intervalMs, ...deps]);
}

/** The current time, refreshed every `intervalMs` (for "updated 3 s ago"). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}
