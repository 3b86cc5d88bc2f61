// Search filters compiled for the row scan: names resolved to ids and mask bits once per search,
// so that testing a root costs a few masked compares. Tag filters are resolved by search itself
// (trace-search.ts), from the buckets' tag indexes, into the set of records holding every pair.

import type { TraceFilter } from '../trace-store.js';
import { exactBit, operationBloomBit, serviceBloomBit, type EndpointTable } from './endpoint-table.js';
import { SUMMARY_NAMES } from './word-layout.js';

/** A TraceFilter with names resolved to ids and mask bits, for the row scan. */
export interface CompiledFilter {
  /** Names no span ever had: nothing matches. */
  impossible: boolean;
  serviceId: number;
  serviceBit: number;
  serviceBloom: number;
  operationId: number;
  operationBit: number;
  operationBloom: number;
  rootServiceId: number;
  /** 0: any, 1: ok, 2: error. */
  status: number;
  /** 0: any, 1: false, 2: true. */
  partial: number;
  hasDuration: boolean;
  minMs: number;
  maxMs: number;
  /** Duration bounds in ns for the short-duration column: [minNs, maxNsExclusive). */
  minNs: number;
  maxNsExclusive: number;
  /** Trace records holding every tag pair, when tags are asked for. */
  tagRecords: Set<number> | undefined;
  /** Bits the summary's first word must hold: service and operation ids below SUMMARY_NAMES. */
  summaryNames: number;
  /** The summary cannot decide: a service or operation id of SUMMARY_NAMES or more. */
  needsRootWords: boolean;
}

/**
 * The names of a filter as ids and bits, with `tagRecords` left unset. `impossible` when a name
 * was never held: nothing matches.
 */
export function compileFilter(filter: TraceFilter, e: EndpointTable): CompiledFilter {
  const f: CompiledFilter = {
    impossible: false,
    serviceId: -1,
    serviceBit: 0,
    serviceBloom: 0,
    operationId: -1,
    operationBit: 0,
    operationBloom: 0,
    rootServiceId: -1,
    status: filter.status === undefined ? 0 : filter.status === 'ok' ? 1 : 2,
    partial: filter.partial === undefined ? 0 : filter.partial ? 2 : 1,
    hasDuration: filter.minDurationMs !== undefined || filter.maxDurationMs !== undefined,
    minMs: filter.minDurationMs ?? 0,
    maxMs: filter.maxDurationMs ?? Infinity,
    minNs: 0,
    maxNsExclusive: Infinity,
    tagRecords: undefined,
    summaryNames: 0,
    needsRootWords: false,
  };
  f.minNs = f.minMs * 1_000_000;
  f.maxNsExclusive = (f.maxMs + 1) * 1_000_000;
  if (filter.service !== undefined) {
    const id = e.serviceIds.get(filter.service);
    if (id === undefined) f.impossible = true;
    else {
      f.serviceId = id;
      f.serviceBit = exactBit(id);
      f.serviceBloom = serviceBloomBit(id);
    }
  }
  if (filter.rootService !== undefined) {
    const id = e.serviceIds.get(filter.rootService);
    if (id === undefined) f.impossible = true;
    else f.rootServiceId = id;
  }
  if (filter.operation !== undefined) {
    const id = e.operationIds.get(filter.operation);
    if (id === undefined) f.impossible = true;
    else {
      f.operationId = id;
      f.operationBit = exactBit(id);
      f.operationBloom = operationBloomBit(id);
    }
  }
  if (f.impossible) return f;
  if (f.serviceId >= 0 && f.serviceId < SUMMARY_NAMES) f.summaryNames |= 1 << f.serviceId;
  if (f.operationId >= 0 && f.operationId < SUMMARY_NAMES) f.summaryNames |= 1 << (16 + f.operationId);
  f.summaryNames |= 0;
  f.needsRootWords = f.serviceId >= SUMMARY_NAMES || f.operationId >= SUMMARY_NAMES;
  return f;
}

export function hasConditions(f: TraceFilter): boolean {
  return (
    f.service !== undefined ||
    f.rootService !== undefined ||
    f.operation !== undefined ||
    f.status !== undefined ||
    f.minDurationMs !== undefined ||
    f.maxDurationMs !== undefined ||
    (f.tags !== undefined && f.tags.length > 0) ||
    f.partial !== undefined
  );
}
