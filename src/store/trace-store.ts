// The storage boundary. HTTP handlers and tests see only these interfaces; the minute-bucket
// store, the reference store and later durable or shared stores are interchangeable behind them.
// The boundary is split by role, one small interface per file (writer.ts, reader.ts, stats.ts,
// lifecycle.ts); this file holds TraceStore, their composition, and names the shapes they exchange
// (store-shapes.ts) for the callers.
// Every method may answer with a promise so that a store backed by I/O fits the same shape.
// Returned objects are fresh copies: callers may keep or change them without touching the store.

import type { IngestSpan } from '../ingest/ingest-span.js';
import type { StoreLifecycle } from './lifecycle.js';
import type { TraceReader } from './reader.js';
import type { TraceStats } from './stats.js';
import type { TraceWriter } from './writer.js';

// The store's input is defined by ingest (below the store); stores and tests name it from here.
export type { IngestSpan };
export type {
  IngestResult,
  TraceSummary,
  StoredSpan,
  TreeSpan,
  TraceDetail,
  TraceFilter,
  ListPosition,
  ListQuery,
  TraceList,
  RangeQuery,
  StatsRange,
  EndpointLatency,
  LatencyReport,
  DependencyLink,
  DependencyReport,
  StoreStats,
  EvictionResult,
} from './store-shapes.js';

/**
 * A whole store: the four roles (writer.ts, reader.ts, stats.ts, lifecycle.ts) together. Code that
 * needs one role takes that interface; wrappers (sampling) implement all four and pass through
 * what they do not change.
 */
export interface TraceStore extends TraceWriter, TraceReader, TraceStats, StoreLifecycle {}
