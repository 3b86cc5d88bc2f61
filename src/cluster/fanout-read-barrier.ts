// Read-your-writes across collectors. A node that answered 202 knows the log sequence each of its
// batches got in its partition; a query it then fans out carries, per partition, the highest
// sequence it published ("min_applied=3:1200,7:55"), and each owner waits briefly until it has
// applied at least that much before it answers. A query sent to the node that took the batch
// therefore sees the batch, whichever node owns its partition.
//
// Both ends are interfaces that the log consumer fills in (cluster mode, issue 17): the publisher
// says what this node published (PublishedSequences), the consumer what it applied
// (AppliedSequenceBoard.applied). An owner still behind when its wait ends answers anyway and
// names the partitions it is behind on, which the merged answer reports as partial.

import type { QuerySource } from '../store/merged-store.js';
import type { DependencyReport, LatencyReport, ListQuery, RangeQuery, StoreStats, TraceDetail, TraceList } from '../store/store-shapes.js';

/** Partition → the least log sequence an owner must have applied before answering. */
export type AppliedMinimums = ReadonlyMap<number, number>;

/** What this node has published, per partition: the minimums of its fanned-out queries. */
export type PublishedSequences = () => AppliedMinimums | undefined;

const MINIMUM = /^(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,15})$/;

/** "p:seq,p:seq", partitions ascending. */
export function encodeMinimums(minimums: AppliedMinimums): string {
  return [...minimums].sort((a, b) => a[0] - b[0]).map(([p, seq]) => `${p}:${seq}`).join(',');
}

/** The minimums of the text, or undefined when it is not "p:seq" pairs (a 400). */
export function decodeMinimums(text: string): Map<number, number> | undefined {
  const out = new Map<number, number>();
  for (const pair of text.split(',')) {
    const m = MINIMUM.exec(pair);
    if (m === null) return undefined;
    const seq = Number(m[2]);
    if (!Number.isSafeInteger(seq)) return undefined;
    out.set(Number(m[1]), Math.max(seq, out.get(Number(m[1])) ?? 0));
  }
  return out;
}

/** The name a partition an owner is behind on takes in X-Traced-Partial. */
export function behindName(partition: number): string {
  return `partition ${partition} behind`;
}

/**
 * The sequences this node's owned partitions have applied, and waiters for minimums. The log
 * consumer calls own() when it takes a partition, applied() after each apply(batch), disown()
 * when it loses the lease; a partition this node does not own is never waited for.
 */
export class AppliedSequenceBoard {
  private readonly sequences = new Map<number, number>();
  private waiters: Array<{ minimums: AppliedMinimums; done: () => void }> = [];

  own(partition: number, appliedSequence: number): void {
    this.sequences.set(partition, appliedSequence);
    this.wake();
  }

  disown(partition: number): void {
    this.sequences.delete(partition);
    this.wake();
  }

  applied(partition: number, sequence: number): void {
    if (!this.sequences.has(partition) || this.sequences.get(partition)! >= sequence) return;
    this.sequences.set(partition, sequence);
    this.wake();
  }

  /** Owned partitions still below their minimum. */
  behind(minimums: AppliedMinimums): number[] {
    const out: number[] = [];
    for (const [partition, minimum] of minimums) {
      const applied = this.sequences.get(partition);
      if (applied !== undefined && applied < minimum) out.push(partition);
    }
    return out.sort((a, b) => a - b);
  }

  /** Queries waiting now (for tests and /health). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with the owned partitions still behind once none is, or at the deadline. */
  async waitFor(minimums: AppliedMinimums, timeoutMs: number): Promise<number[]> {
    if (this.behind(minimums).length === 0 || timeoutMs <= 0) return this.behind(minimums);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w.done !== done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push({ minimums, done });
    });
    return this.behind(minimums);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) if (this.behind(waiter.minimums).length === 0) waiter.done();
  }
}

/**
 * This node's own store as a source of its fanned-out queries, waiting like a peer would for
 * what this node published: the same barrier for the partitions it owns itself.
 */
export class BarrierSource implements QuerySource {
  constructor(
    private readonly inner: QuerySource,
    private readonly board: AppliedSequenceBoard,
    private readonly published: PublishedSequences,
    private readonly waitMs: number,
  ) {}

  private async barrier(): Promise<string[] | undefined> {
    const minimums = this.published();
    if (minimums === undefined || minimums.size === 0) return undefined;
    const behind = await this.board.waitFor(minimums, this.waitMs);
    return behind.length === 0 ? undefined : behind.map(behindName);
  }

  async listTraces(query: ListQuery): Promise<TraceList> {
    const behind = await this.barrier();
    const list = await this.inner.listTraces(query);
    return behind === undefined ? list : { ...list, unavailable: [...(list.unavailable ?? []), ...behind] };
  }

  async getTrace(traceId: string): Promise<TraceDetail | undefined> {
    await this.barrier();
    return this.inner.getTrace(traceId);
  }

  async latency(range: RangeQuery): Promise<LatencyReport> {
    const behind = await this.barrier();
    const report = await this.inner.latency(range);
    return behind === undefined ? report : { ...report, unavailable: [...(report.unavailable ?? []), ...behind] };
  }

  async dependencies(range: RangeQuery): Promise<DependencyReport> {
    const behind = await this.barrier();
    const report = await this.inner.dependencies(range);
    return behind === undefined ? report : { ...report, unavailable: [...(report.unavailable ?? []), ...behind] };
  }

  stats(): StoreStats | Promise<StoreStats> {
    return this.inner.stats();
  }
}
