// What every span ingest route does with the store's answer, whatever its protocol: the
// admission controller learns how many spans were taken, and the span counters move.

import type { IngestResult } from '../store/trace-store.js';
import type { AdmissionControl } from './admission/admission-control.js';
import type { CollectorMetrics } from './collector-metrics.js';

export function countStoredSpans(result: IngestResult, admission: AdmissionControl, metrics: CollectorMetrics): void {
  admission.noteStored(result.accepted - result.duplicates);
  metrics.spansAccepted.inc(result.accepted);
  if (result.duplicates > 0) metrics.spansDuplicate.inc(result.duplicates);
  if (result.discardedStale > 0) metrics.spansDiscarded.inc({ reason: 'stale' }, result.discardedStale);
  if (result.discardedFuture > 0) metrics.spansDiscarded.inc({ reason: 'future' }, result.discardedFuture);
}
