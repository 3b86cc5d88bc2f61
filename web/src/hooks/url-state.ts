import { useCallback, useEffect, useRef, useState } from 'react';
import { formatViewState, parseViewState, type ViewState } from '../model/view-state.js';

/**
 * The view state, read from and written to the address bar. Changing view or trace pushes a
 * history entry (Back returns to the list); changing filters or the range replaces it.
 */
export function useUrlState(): [ViewState, (next: ViewState) => void] {
  const [state, setState] = useState<ViewState>(() => parseViewState(window.location.search));
  const current = useRef(state);
  useEffect(() => {
    const onPop = (): void => {
      current.current = parseViewState(window.location.search);
      setState(current.current);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const update = useCallback((next: ViewState) => {
    const previous = current.current;
    const query = formatViewState(next);
    const url = `${window.location.pathname}${query === '' ? '' : `?${query}`}${window.location.hash}`;
    if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
      const push = previous.view !== next.view || previous.traceId !== next.traceId;
      if (push) window.history.pushState(null, '', url);
      else window.history.replaceState(null, '', url);
    }
    current.current = next;
    setState(next);
  }, []);
  return [state, update];
}
