// The filter bar of the live view. Text fields apply as you type (the URL and the query follow,
// debounced by the poller); the tag field takes `key:value` and adds a removable chip.

import { useEffect, useState } from 'react';
import type { Capabilities } from '../api/types.js';
import { unsupportedInBrowser } from '../model/trace-filter.js';
import { EMPTY_FILTERS, filtersActive, type Filters as FilterValues, type StatusFilter } from '../model/view-state.js';

export interface FiltersProps {
  filters: FilterValues;
  onChange: (next: FilterValues) => void;
  services: string[];
  operations: string[];
  caps: Capabilities;
}

function NumberField(props: { label: string; value: number | undefined; onChange: (v: number | undefined) => void; testId: string }) {
  const [text, setText] = useState(props.value === undefined ? '' : String(props.value));
  useEffect(() => {
    setText((current) => (Number(current) === props.value && current !== '' ? current : props.value === undefined ? '' : String(props.value)));
  }, [props.value]);
  return (
    <label className="field field-narrow">
      <span>{props.label}</span>
      <input
        type="number"
        min={0}
        inputMode="decimal"
        placeholder="ms"
        value={text}
        data-testid={props.testId}
        onChange={(e) => {
          setText(e.target.value);
          const v = e.target.value.trim() === '' ? undefined : Number(e.target.value);
          if (v === undefined || (Number.isFinite(v) && v >= 0)) props.onChange(v);
        }}
      />
    </label>
  );
}

export function Filters({ filters, onChange, services, operations, caps }: FiltersProps) {
  const [tagText, setTagText] = useState('');
  const [tagError, setTagError] = useState('');
  const set = (patch: Partial<FilterValues>): void => onChange({ ...filters, ...patch });
  const addTag = (): void => {
    const text = tagText.trim();
    if (text === '') return;
    const colon = text.indexOf(':');
    if (colon <= 0) {
      setTagError('write a tag as key:value, e.g. http.status_code:500');
      return;
    }
    setTagError('');
    if (!filters.tags.includes(text)) set({ tags: [...filters.tags, text] });
    setTagText('');
  };
  const unsupported = caps.search ? [] : unsupportedInBrowser(filters);
  const serviceOptions = filters.service !== '' && !services.includes(filters.service) ? [filters.service, ...services] : services;
  const operationOptions =
    filters.operation !== '' && !operations.includes(filters.operation) ? [filters.operation, ...operations] : operations;

  return (
    <div className="filters" data-testid="filters">
      <label className="field">
        <span>Service</span>
        <select value={filters.service} onChange={(e) => set({ service: e.target.value, operation: '' })} data-testid="filter-service">
          <option value="">all services</option>
          {serviceOptions.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Operation</span>
        <select value={filters.operation} onChange={(e) => set({ operation: e.target.value })} data-testid="filter-operation">
          <option value="">all operations</option>
          {operationOptions.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <div className="field">
        <span>Status</span>
        <div className="segmented" role="radiogroup" aria-label="status">
          {(['', 'ok', 'error'] as StatusFilter[]).map((s) => (
            <button
              key={s || 'all'}
              type="button"
              role="radio"
              aria-checked={filters.status === s}
              className={filters.status === s ? 'on' : ''}
              data-testid={`filter-status-${s || 'all'}`}
              onClick={() => set({ status: s })}
            >
              {s === '' ? 'all' : s}
            </button>
          ))}
        </div>
      </div>
      <NumberField label="Min duration" value={filters.minMs} onChange={(v) => set({ minMs: v })} testId="filter-min" />
      <NumberField label="Max duration" value={filters.maxMs} onChange={(v) => set({ maxMs: v })} testId="filter-max" />
      <label className="field field-tag">
        <span>Tag</span>
        <input
          type="text"
          placeholder="key:value, Enter"
          value={tagText}
          data-testid="filter-tag"
          onChange={(e) => setTagText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') addTag();
          }}
          onBlur={addTag}
        />
      </label>
      <label className="inline partial-toggle" title="traces with a span whose parent never arrived">
        <input type="checkbox" checked={filters.partialOnly} onChange={(e) => set({ partialOnly: e.target.checked })} data-testid="filter-partial" />
        partial only
      </label>
      {filters.tags.map((tag) => (
        <span key={tag} className="chip">
          {tag}
          <button type="button" aria-label={`remove ${tag}`} onClick={() => set({ tags: filters.tags.filter((t) => t !== tag) })}>
            ✕
          </button>
        </span>
      ))}
      {filtersActive(filters) && (
        <button type="button" className="link-button" onClick={() => onChange(EMPTY_FILTERS)} data-testid="filter-clear">
          Clear filters
        </button>
      )}
      {tagError !== '' && <span className="error-text">{tagError}</span>}
      {unsupported.length > 0 && (
        <span className="warn-text">
          This server has no search extension: the {unsupported.join(' and ')} filter{unsupported.length > 1 ? 's' : ''} cannot be
          applied.
        </span>
      )}
    </div>
  );
}
