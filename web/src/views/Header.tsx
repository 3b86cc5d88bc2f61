// The top bar: the views, a trace-id search, and the server the dashboard talks to with its
// connection state in plain words.

import { useEffect, useState } from 'react';
import { normalizeBaseUrl } from '../api/client.js';
import type { Capabilities } from '../api/types.js';
import type { ConnectionState } from '../hooks/connection.js';
import { useNow } from '../hooks/polling.js';
import type { ViewName } from '../model/view-state.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HeaderProps {
  view: ViewName;
  setView: (view: ViewName) => void;
  baseUrl: string;
  connect: (baseUrl: string) => void;
  state: ConnectionState;
  caps: Capabilities;
  /** Opens a trace by full id, or the one loaded trace whose id starts with the text. */
  findTrace: (text: string) => string | undefined;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 2 ? 'just now' : s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function Header(props: HeaderProps) {
  const [url, setUrl] = useState(props.baseUrl);
  const [urlError, setUrlError] = useState('');
  const [search, setSearch] = useState('');
  const [searchError, setSearchError] = useState('');
  const now = useNow(1000);
  useEffect(() => setUrl(props.baseUrl), [props.baseUrl]);

  const submitUrl = (): void => {
    const normalized = normalizeBaseUrl(url);
    if (normalized === undefined) {
      setUrlError('enter an address like http://localhost:8080, or leave it empty for this page’s server');
      return;
    }
    setUrlError('');
    setUrl(normalized);
    props.connect(normalized);
  };

  const submitSearch = (): void => {
    const text = search.trim().toLowerCase();
    if (text === '') return;
    const problem = props.findTrace(text);
    setSearchError(problem ?? '');
    if (problem === undefined) setSearch('');
  };

  const s = props.state;
  let statusClass = 'status-connecting';
  let statusText = 'Connecting…';
  if (s.kind === 'connected') {
    statusClass = 'status-ok';
    statusText = `Connected · updated ${ago(now - s.lastOkAt)}`;
  } else if (s.kind === 'failed') {
    statusClass = 'status-failed';
    statusText = `Not connected (${ago(now - s.since)}): ${s.message}`;
  }
  const extensions = [
    ['search', props.caps.search],
    ['services', props.caps.services],
    ['stats', props.caps.stats],
    ['map', props.caps.dependencies],
    ['ingest rate', props.caps.ingestMetrics],
  ] as const;

  const tabs: Array<[ViewName, string]> = [
    ['live', 'Live traces'],
    ['services', 'Services'],
    ['map', 'Service map'],
  ];

  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo">◉</span> traced
      </div>
      <nav className="tabs">
        {tabs.map(([view, label]) => (
          <button
            key={view}
            type="button"
            className={props.view === view || (view === 'live' && props.view === 'trace') ? 'on' : ''}
            onClick={() => props.setView(view)}
            data-testid={`tab-${view}`}
          >
            {label}
          </button>
        ))}
      </nav>
      <form
        className="search"
        onSubmit={(e) => {
          e.preventDefault();
          submitSearch();
        }}
      >
        <input
          type="search"
          placeholder="Find trace by id"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-label="trace id"
          data-testid="trace-search"
          className={searchError !== '' ? 'invalid' : ''}
          title={searchError}
        />
        {searchError !== '' && <span className="search-error" data-testid="trace-search-error">{searchError}</span>}
      </form>
      <form
        className="server"
        onSubmit={(e) => {
          e.preventDefault();
          submitUrl();
        }}
      >
        <input
          type="text"
          value={url}
          placeholder="this page's server"
          title="The Traced API to read from, e.g. http://localhost:8080. Empty: the server that served this page." 
          onChange={(e) => setUrl(e.target.value)}
          aria-label="server address"
          data-testid="server-url"
        />
        <button type="submit" data-testid="connect">
          Connect
        </button>
      </form>
      <div className={`conn ${statusClass}`} data-testid="connection-status" data-state={s.kind} title={statusText}>
        <span className="dot" />
        <span className="conn-text">{statusText}</span>
      </div>
      {s.kind === 'connected' && (
        <div className="caps" title="extension endpoints this server answers">
          {extensions.map(([name, on]) => (
            <span key={name} className={`cap ${on ? 'cap-on' : 'cap-off'}`} data-testid={`cap-${name.replace(' ', '-')}`} data-on={on ? 'true' : 'false'}>
              {on ? '✓' : '–'} {name}
            </span>
          ))}
        </div>
      )}
      {urlError !== '' && <div className="url-error error-text">{urlError}</div>}
    </header>
  );
}

export function isUuid(text: string): boolean {
  return UUID.test(text);
}
