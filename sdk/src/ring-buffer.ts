/**
 * Fixed-capacity FIFO that overwrites its oldest entry when full. The batch processor buffers spans
 * in one while the collector is slow or down: memory stays bounded, the newest spans (the ones that
 * explain what is happening now) survive, and the caller learns how many were lost.
 *
 * A plain array with shift() would be O(n) per take; head/size indices make push and take O(1)
 * per element with no reallocation after construction.
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends `item`; returns true when the oldest item was overwritten to make room. */
  push(item: T): boolean {
    const tail = (this.head + this.count) % this.capacity;
    this.slots[tail] = item;
    if (this.count < this.capacity) {
      this.count++;
      return false;
    }
    this.head = (this.head + 1) % this.capacity;
    return true;
  }

  /**
   * Removes and returns up to `max` items, oldest first. With `weigh`, also stops before the item
   * that would take the weights' sum past `budget` (the first item is always taken, so nothing
   * heavier than the budget blocks the buffer for good).
   */
  take(max: number, weigh?: (item: T) => number, budget = Infinity): T[] {
    let n = Math.min(max, this.count);
    if (weigh !== undefined) {
      let total = 0;
      for (let i = 0; i < n; i++) {
        total += weigh(this.slots[(this.head + i) % this.capacity] as T);
        if (total > budget && i > 0) {
          n = i;
          break;
        }
      }
    }
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      const index = (this.head + i) % this.capacity;
      out[i] = this.slots[index] as T;
      this.slots[index] = undefined; // let the span be collected once exported
    }
    this.head = (this.head + n) % this.capacity;
    this.count -= n;
    return out;
  }

  /** Empties the buffer and returns how many items it held. */
  clear(): number {
    const n = this.count;
    this.take(n);
    return n;
  }
}
