// Interns (service, operation) pairs. Spans repeat a handful of pairs millions of times, so a
// span keeps a 4-byte endpoint id instead of two string pointers.

export class EndpointTable {
  private readonly ids = new Map<string, number>();
  readonly services: string[] = [];
  readonly operations: string[] = [];

  /** The id of the pair, creating it on first sight. */
  intern(service: string, operation: string): number {
    // Length-prefixed so that no two different pairs share a key.
    const key = service.length + ':' + service + operation;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.services.length;
      this.ids.set(key, id);
      this.services.push(service);
      this.operations.push(operation);
    }
    return id;
  }

  get size(): number {
    return this.services.length;
  }
}
