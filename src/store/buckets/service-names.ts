// Service ids to the sorted name lists a trace summary carries.

import { compareText } from '../compare-text.js';
import type { EndpointTable } from './endpoint-table.js';

export class ServiceNames {
  /** servicesOfMask's sorted service names by exact mask. */
  private readonly byMask = new Map<number, string[]>();

  constructor(private readonly endpoints: EndpointTable) {}

  /**
   * Sorted names of the services in an exact mask, as a fresh array. A listing of 1000 traces
   * repeats a few masks; sorting each anew was most of what it allocated.
   */
  ofMask(mask: number): string[] {
    let names = this.byMask.get(mask);
    if (names === undefined) {
      names = this.of(bitsOf(mask));
      // An id keeps its name while any bucket holds it (the evictor calls forgetMasks() when an
      // exact one is freed); the bound is for pathological data.
      if (this.byMask.size >= 4096) this.byMask.clear();
      this.byMask.set(mask, names);
    }
    return names.slice();
  }

  /** Sorted names of service ids. */
  of(ids: Iterable<number>): string[] {
    const names = this.endpoints.serviceNames;
    return Array.from(ids, (id) => names[id]!).sort(compareText);
  }

  /** Exact ids were freed and will name other services: answers derived from them are wrong. */
  forgetMasks(): void {
    this.byMask.clear();
  }
}

/** The ids whose bits are set, ascending. */
function bitsOf(mask: number): number[] {
  const out: number[] = [];
  for (let m = mask >>> 0, id = 0; m !== 0; m >>>= 1, id++) if ((m & 1) !== 0) out.push(id);
  return out;
}
