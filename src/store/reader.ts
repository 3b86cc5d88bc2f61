// The read role of the storage boundary: the listing and search of GET /traces and the trace of
// GET /traces/{id}.
//
// Answers reflect every apply() that has returned (or whose promise has settled), with the window
// edge applied at the time of the call: a span older than the edge is gone from every answer
// even before eviction has released it. Returned objects are fresh copies. The answers are
// defined by value (ordering, totals, cursors are positions in the listing order, never store
// offsets), so that answers from several stores can be merged into one.

import type { ListQuery, TraceDetail, TraceList } from './store-shapes.js';

export interface TraceReader {
  listTraces(query: ListQuery): TraceList | Promise<TraceList>;
  getTrace(traceId: string): TraceDetail | undefined | Promise<TraceDetail | undefined>;
}
