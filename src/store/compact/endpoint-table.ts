// Interns (service, operation) pairs. Spans repeat a handful of pairs millions of times, so a
// span keeps a 4-byte endpoint id instead of two string pointers.

export class EndpointTable {
  // Two levels rather than one map keyed by a concatenation: the hot path allocates nothing.
  private readonly ids = new Map<string, Map<string, number>>();
  readonly services: string[] = [];
  readonly operations: string[] = [];

  /** The id of the pair, creating it on first sight. */
  intern(service: string, operation: string): number {
    let byOperation = this.ids.get(service);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.ids.set(service, byOperation);
    }
    let id = byOperation.get(operation);
    if (id === undefined) {
      id = this.services.length;
      byOperation.set(operation, id);
      this.services.push(service);
      this.operations.push(operation);
    }
    return id;
  }

  get size(): number {
    return this.services.length;
  }
}
