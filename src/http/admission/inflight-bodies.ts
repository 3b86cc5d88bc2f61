// The in-flight body budget (MAX_INFLIGHT_BODY_BYTES): bytes of ingest request bodies the process
// holds between a request's headers and its answer. Without it, connections that each send most
// of a large body and then stall hold all of it: 100 of them held ~600 MB. REQUEST_TIMEOUT_MS
// bounds how long they hold it; this bounds how much.
//
// A body with a Content-Length holds its whole length from its headers on, so it is refused before
// a byte of it is read; a chunked body holds what has arrived so far, as it arrives. Bytes are held
// until the answer, not just until the body is in: a body waits whole in the ingest queue and is
// parsed from memory, and under overload that wait is where most bodies are.

import type { Refusal } from './admission-control.js';

export class InflightBodies {
  private held = 0;
  /** One object, so the gate encodes its body once. */
  readonly refusal: Refusal;

  constructor(readonly budget: number) {
    this.refusal = {
      reason: 'inflight_bytes',
      // Bodies in flight are answered within REQUEST_TIMEOUT_MS at most, most within milliseconds.
      retryAfterSec: 1,
      message: `request bodies in flight would exceed their budget (MAX_INFLIGHT_BODY_BYTES=${budget} bytes); retry shortly`,
    };
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  /** Holds `bytes` and returns true, or returns false (holding nothing) when they do not fit. */
  tryHold(bytes: number): boolean {
    if (this.held + bytes > this.budget) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }
}
