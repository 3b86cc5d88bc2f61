// Interns (service, operation) pairs. Spans repeat a handful of pairs millions of times, so a
// span keeps a 4-byte endpoint id instead of two string pointers.
//
// Services and operation names are also numbered on their own, for the per-trace masks that
// search reads (span-bucket.ts, root words): names numbered below 32 own one bit each, exactly;
// later ones share 16 bloom bits and are confirmed by reading the trace's spans.
//
// Names leave with the last minute that uses them. A bucket retains each endpoint it holds a
// span of, and each service its dependency edges name, once; disposing of the bucket releases
// them. An id whose count falls to 0 is forgotten and numbered again later. That is safe because
// nothing outside live buckets reads an id: a root's exact mask bits name only spans in its own
// minute or later ones (a root with earlier spans is recomputed from its spans), and those
// minutes leave the window after it.
//
// At most `maxEndpoints` pairs are held at once. Past that a new pair is stored under its service
// and OVERFLOW_NAME when the service is held, else under OVERFLOW_NAME for both: the span, its
// trace and its timing stay exact, and /services and the statistics stay bounded whatever a
// misbehaving service sends.

/** Names numbered below this have an exact mask bit. */
export const EXACT_MASK_NAMES = 32;

/** What a span is stored under once the endpoint budget is spent. */
export const OVERFLOW_NAME = 'traced.overflow';

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
 * they are, each name held here would keep a whole body (up to MAX_BODY_BYTES) alive for as long
 * as the name lives. Concatenation then slice makes V8 flatten a new string.
 */
function ownCopy(name: string): string {
  return (' ' + name).slice(1);
}

/** Names numbered densely, with reference counts; a released id is reused. */
class NameIds {
  readonly ids = new Map<string, number>();
  /** Name of each id; '' while the id is free. */
  readonly names: string[] = [];
  private readonly refs: number[] = [];
  private readonly free: number[] = [];

  /** The id of `name`, numbering it if new, with one more reference. */
  retain(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.free.length > 0 ? this.free.pop()! : this.names.length;
      this.ids.set(name, id);
      this.names[id] = name;
      this.refs[id] = 0;
    }
    this.refs[id]!++;
    return id;
  }

  retainId(id: number): void {
    this.refs[id]!++;
  }

  /** Drops a reference; true when that was the last and the id is now free. */
  release(id: number): boolean {
    if (--this.refs[id]! > 0) return false;
    this.ids.delete(this.names[id]!);
    this.names[id] = '';
    this.free.push(id);
    return true;
  }

  get held(): number {
    return this.ids.size;
  }
}

export class EndpointTable {
  // Two levels rather than one map keyed by a concatenation: the hot path allocates nothing.
  private readonly ids = new Map<string, Map<string, number>>();
  /** Service and operation of each endpoint id; '' while the id is free. */
  readonly services: string[] = [];
  readonly operations: string[] = [];
  /** Service id and operation-name id of each endpoint. */
  readonly serviceOf: number[] = [];
  readonly operationOf: number[] = [];
  /** Mask bits of each endpoint, precomputed for ingest. */
  readonly serviceBit: number[] = [];
  readonly operationBit: number[] = [];
  readonly bloomBits: number[] = [];
  /** Buckets holding each endpoint; 0 until the first retain after intern. */
  private readonly refs: number[] = [];
  private readonly free: number[] = [];
  private heldCount = 0;

  private readonly serviceNumbers = new NameIds();
  private readonly operationNumbers = new NameIds();
  readonly serviceIds = this.serviceNumbers.ids;
  readonly serviceNames = this.serviceNumbers.names;
  readonly operationIds = this.operationNumbers.ids;
  readonly operationNames = this.operationNumbers.names;
  /** Spans stored under OVERFLOW_NAME because the budget was spent. */
  overflowed = 0;

  constructor(private readonly maxEndpoints = Number.POSITIVE_INFINITY) {}

  /**
   * The id of the pair (or of its overflow pair), creating it on first sight. The caller retains
   * it for the bucket the span goes into before anything else can release it.
   */
  intern(service: string, operation: string): number {
    const id = this.ids.get(service)?.get(operation);
    if (id !== undefined) return id;
    if (this.heldCount < this.maxEndpoints) return this.create(service, operation);
    this.overflowed++;
    const known = this.ids.get(service);
    if (known !== undefined) return known.get(OVERFLOW_NAME) ?? this.create(service, OVERFLOW_NAME);
    return this.ids.get(OVERFLOW_NAME)?.get(OVERFLOW_NAME) ?? this.create(OVERFLOW_NAME, OVERFLOW_NAME);
  }

  private create(service: string, operation: string): number {
    service = ownCopy(service);
    operation = ownCopy(operation);
    let byOperation = this.ids.get(service);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.ids.set(service, byOperation);
    }
    const id = this.free.length > 0 ? this.free.pop()! : this.services.length;
    byOperation.set(operation, id);
    this.heldCount++;
    const s = this.serviceNumbers.retain(service);
    const o = this.operationNumbers.retain(operation);
    this.services[id] = service;
    this.operations[id] = operation;
    this.serviceOf[id] = s;
    this.operationOf[id] = o;
    this.serviceBit[id] = exactBit(s);
    this.operationBit[id] = exactBit(o);
    this.bloomBits[id] = (serviceBloomBit(s) | operationBloomBit(o)) >>> 0;
    this.refs[id] = 0;
    return id;
  }

  /** One more bucket holds a span of the endpoint. */
  retain(endpoint: number): void {
    this.refs[endpoint]!++;
  }

  /** One more bucket holds a dependency edge naming the service. */
  retainService(serviceId: number): void {
    this.serviceNumbers.retainId(serviceId);
  }

  /**
   * A bucket no longer holds the endpoint. True when that freed a service or operation id with
   * an exact mask bit, so that whatever was derived from those bits must be dropped.
   */
  release(endpoint: number): boolean {
    if (--this.refs[endpoint]! > 0) return false;
    const service = this.services[endpoint]!;
    const byOperation = this.ids.get(service)!;
    byOperation.delete(this.operations[endpoint]!);
    if (byOperation.size === 0) this.ids.delete(service);
    this.heldCount--;
    this.services[endpoint] = this.operations[endpoint] = '';
    this.free.push(endpoint);
    const s = this.serviceOf[endpoint]!;
    const o = this.operationOf[endpoint]!;
    const serviceFreed = this.serviceNumbers.release(s) && s < EXACT_MASK_NAMES;
    const operationFreed = this.operationNumbers.release(o) && o < EXACT_MASK_NAMES;
    return serviceFreed || operationFreed;
  }

  /** Like release, for a service that a dependency edge named. */
  releaseService(serviceId: number): boolean {
    return this.serviceNumbers.release(serviceId) && serviceId < EXACT_MASK_NAMES;
  }

  /** Endpoints held now. */
  get held(): number {
    return this.heldCount;
  }

  /** Distinct service names and operation names held now. */
  get heldNames(): { services: number; operations: number } {
    return { services: this.serviceNumbers.held, operations: this.operationNumbers.held };
  }
}
