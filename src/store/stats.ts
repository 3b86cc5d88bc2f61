// The statistics role of the storage boundary: span counts, errors and latency per endpoint, and
// calls between services, over whole minutes of the window (statsWindow in window.ts).
//
// Statistics are sketches (sketch.ts) that merge without loss of their error bound, so reports
// from several stores over the same minutes can be merged into one. They count every span that
// was held in a minute, and (latency only) every span a sampler dropped there.

import type { DependencyReport, LatencyReport, RangeQuery } from './store-shapes.js';

export interface TraceStats {
  /** Span counts, errors and latency per (service, operation) over whole minutes of the window. */
  latency(range: RangeQuery): LatencyReport | Promise<LatencyReport>;
  /**
   * Calls between services: a child span is counted on the edge (parent's service → its service)
   * once both it and its parent span have been held in the window together (whichever arrived
   * last), in the minute of the child's start.
   */
  dependencies(range: RangeQuery): DependencyReport | Promise<DependencyReport>;
}
