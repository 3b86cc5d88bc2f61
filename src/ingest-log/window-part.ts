// What a log (the local segments, or JetStream in cluster mode) takes of a batch: only the spans
// inside the window when it is logged. durable-writer.ts says why the window is judged once, there.

import { SpanBatch } from '../ingest/span-batch.js';
import { FUTURE, futureLimit, IN_WINDOW, windowEdge, windowPlace } from '../store/window.js';

export interface WindowPart {
  /** `batch` itself when every span is inside the window, else a pooled copy (release it). */
  inWindow: SpanBatch;
  stale: number;
  ahead: number;
}

export function windowPart(batch: SpanBatch, nowMs: number, windowMinutes: number): WindowPart {
  const edge = windowEdge(nowMs, windowMinutes);
  const future = futureLimit(nowMs);
  let stale = 0;
  let ahead = 0;
  for (let i = 0; i < batch.length; i++) {
    const place = windowPlace(batch, i, edge, future);
    if (place === IN_WINDOW) continue;
    if (place === FUTURE) ahead++;
    else stale++;
  }
  if (stale + ahead === 0) return { inWindow: batch, stale, ahead };
  // Rare (clients send spans of now): a copy of the spans inside the window.
  const inWindow = SpanBatch.acquire();
  for (let i = 0; i < batch.length; i++) if (windowPlace(batch, i, edge, future) === IN_WINDOW) inWindow.appendSpanOf(batch, i);
  return { inWindow, stale, ahead };
}
