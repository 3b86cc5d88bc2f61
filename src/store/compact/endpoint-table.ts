// Interns (service, operation) pairs. Spans repeat a handful of pairs millions of times, so a
// span keeps a 4-byte endpoint id instead of two string pointers.
//
// Services and operation names are also numbered on their own, in order of first sight, for the
// per-trace masks that search reads (span-bucket.ts, root words): the first 32 services and the
// first 32 operation names own one bit each, exactly; later ones share 16 bloom bits and are
// confirmed by reading the trace's spans.

/** Names numbered below this have an exact mask bit. */
export const EXACT_MASK_NAMES = 32;

export function exactBit(id: number): number {
  return id < EXACT_MASK_NAMES ? (1 << id) >>> 0 : 0;
}

export function serviceBloomBit(id: number): number {
  return id < EXACT_MASK_NAMES ? 0 : 1 << (id & 15);
}

export function operationBloomBit(id: number): number {
  return id < EXACT_MASK_NAMES ? 0 : (1 << (16 + (id & 15))) >>> 0;
}

/**
 * A copy of `name` that shares no memory with the text it was sliced from. The OTLP JSON reader
 * slices names out of request bodies (the POST /spans fast path makes fresh strings); kept as
 * they are, each name held here would keep a whole body (up to MAX_BODY_BYTES) alive for good. Concatenation then slice makes V8 flatten a new string.
 */
function ownCopy(name: string): string {
  return (' ' + name).slice(1);
}

export class EndpointTable {
  // Two levels rather than one map keyed by a concatenation: the hot path allocates nothing.
  private readonly ids = new Map<string, Map<string, number>>();
  readonly services: string[] = [];
  readonly operations: string[] = [];
  /** Service id and operation-name id of each endpoint. */
  readonly serviceOf: number[] = [];
  readonly operationOf: number[] = [];
  /** Mask bits of each endpoint, precomputed for ingest. */
  readonly serviceBit: number[] = [];
  readonly operationBit: number[] = [];
  readonly bloomBits: number[] = [];

  readonly serviceIds = new Map<string, number>();
  readonly serviceNames: string[] = [];
  readonly operationIds = new Map<string, number>();
  readonly operationNames: string[] = [];

  /** The id of the pair, creating it on first sight. */
  intern(service: string, operation: string): number {
    let id = this.ids.get(service)?.get(operation);
    if (id !== undefined) return id;
    service = ownCopy(service);
    operation = ownCopy(operation);
    let byOperation = this.ids.get(service);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.ids.set(service, byOperation);
    }
    id = this.services.length;
    byOperation.set(operation, id);
    this.services.push(service);
    this.operations.push(operation);
    const s = this.nameId(this.serviceIds, this.serviceNames, service);
    const o = this.nameId(this.operationIds, this.operationNames, operation);
    this.serviceOf.push(s);
    this.operationOf.push(o);
    this.serviceBit.push(exactBit(s));
    this.operationBit.push(exactBit(o));
    this.bloomBits.push((serviceBloomBit(s) | operationBloomBit(o)) >>> 0);
    return id;
  }

  private nameId(ids: Map<string, number>, names: string[], name: string): number {
    let id = ids.get(name);
    if (id === undefined) {
      id = names.length;
      ids.set(name, id);
      names.push(name);
    }
    return id;
  }

  get size(): number {
    return this.services.length;
  }
}
