// Who owns which partition: one lease per partition in a JetStream key-value bucket, plus one
// presence key per live node. Both expire with the bucket's TTL unless rewritten; a holder renews
// its leases by compare-and-set on the revision it wrote last, so two nodes can never both renew
// one lease, and a lease is only free again once it expired or its holder released it.
//
// Every tick (a quarter of the TTL) a node writes its presence and renews what it holds; in a
// second loop of its own it reads the leases and the live nodes and moves towards its fair share, ceil(P / live nodes): over it, it
// releases the surplus (the newest node takes it, so partitions rebalance on a join); under it, it
// claims free partitions, starting at a place of its own so that nodes claiming at once rarely
// race for the same key (and a lost race just moves on).
//
// No split-brain: a lease's key expires on the server TTL after the write that the server took,
// which is after the holder sent it. The holder counts its lease valid only until it sent its last
// acknowledged renewal + TTL − a safety margin, and drops the partition as soon as that passes
// without a new acknowledgement (ownedPartitions() checks at every call, a watchdog every 100 ms),
// so it has stopped answering for the partition before another node can take it.

import type { KV, KvEntry } from 'nats';

export interface Owner {
  nodeId: string;
  url: string;
}

export type LossReason = 'expired' | 'taken' | 'released' | 'closed';

export interface PartitionLeasesOptions {
  kv: KV;
  nodeId: string;
  url: string;
  partitions: number;
  /** The bucket's TTL: how long a key lives after its last write. */
  ttlMs: number;
  onGained: (partition: number) => void;
  onLost: (partition: number, reason: LossReason) => void;
  onError: (error: unknown) => void;
  /** Monotonic milliseconds (performance.now); injectable for tests. */
  now?: () => number;
}

interface Held {
  revision: number;
  /** When the holder stops counting on the lease unless a renewal is acknowledged first. */
  validUntil: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function leaseKey(partition: number): string {
  return `lease.${partition}`;
}

/** Node ids may hold characters keys may not (host:port): keys carry them in hex. */
export function presenceKey(nodeId: string): string {
  return `node.${Buffer.from(nodeId, 'utf8').toString('hex')}`;
}

function ownerOf(entry: KvEntry | null): Owner | undefined {
  if (entry === null || entry.operation !== 'PUT') return undefined;
  try {
    const value = JSON.parse(decoder.decode(entry.value)) as { node?: unknown; url?: unknown };
    if (typeof value.node === 'string' && typeof value.url === 'string') return { nodeId: value.node, url: value.url };
  } catch {
    // A value this build did not write: nobody we know.
  }
  return undefined;
}

export class PartitionLeases {
  private readonly held = new Map<number, Held>();
  private readonly leaseOwners = new Map<number, Owner>();
  private readonly livePeers = new Map<string, Owner>();
  private readonly value: Uint8Array;
  private readonly now: () => number;
  private readonly marginMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Gains and losses of leases since start, for /metrics. */
  changes = 0;

  constructor(private readonly options: PartitionLeasesOptions) {
    this.value = encoder.encode(JSON.stringify({ node: options.nodeId, url: options.url }));
    this.now = options.now ?? (() => performance.now());
    // Room for the two clocks' rates and the server's expiry timer.
    this.marginMs = Math.max(200, options.ttlMs / 10);
  }

  get tickMs(): number {
    return Math.max(100, Math.floor(this.options.ttlMs / 4));
  }

  start(): void {
    // Two loops, so that renewing never waits behind reading the view: listing the live nodes
    // makes a consumer, which can hang for seconds while a NATS server is lost.
    this.loop(() => this.renewRound());
    this.loop(() => this.balanceRound());
    this.watchdog = setInterval(() => this.expire(), 100);
  }

  /** Runs `round` now and then `tickMs` after each run ends, until stop(). */
  private loop(round: () => Promise<void>): void {
    const run = (): void => {
      const done: Promise<void> = round()
        .catch((error: unknown) => this.options.onError(error))
        .finally(() => {
          this.running.delete(done);
          if (this.stopped) return;
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            run();
          }, this.tickMs);
          this.timers.add(timer);
        });
      this.running.add(done);
    };
    run();
  }

  /** Partitions held now (valid leases only), ascending. */
  owned(): number[] {
    this.expire();
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  isOwned(partition: number): boolean {
    const lease = this.held.get(partition);
    if (lease === undefined) return false;
    if (lease.validUntil > this.now()) return true;
    this.expire();
    return false;
  }

  /** The owner of every partition as last read (this node's own leases as they are now). */
  owners(): Map<number, Owner | undefined> {
    this.expire();
    const owners = new Map<number, Owner | undefined>();
    for (let p = 0; p < this.options.partitions; p++) {
      const read = this.leaseOwners.get(p);
      // A lease this node read as its own but no longer holds is nobody's as far as it knows.
      owners.set(p, this.held.has(p) ? { nodeId: this.options.nodeId, url: this.options.url } : read?.nodeId === this.options.nodeId ? undefined : read);
    }
    return owners;
  }

  /** The live nodes as last read, this one included. */
  peers(): Owner[] {
    return [...this.livePeers.values()];
  }

  /** Stops renewing; with `release`, gives every lease back so others take them at once. */
  async stop(release: boolean): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    await Promise.all(this.running);
    const held = [...this.held.entries()];
    this.held.clear();
    for (const [partition] of held) this.options.onLost(partition, 'closed');
    if (!release) return;
    await Promise.allSettled([
      ...held.map(([partition, lease]) => this.options.kv.delete(leaseKey(partition), { previousSeq: lease.revision })),
      this.options.kv.delete(presenceKey(this.options.nodeId)),
    ]);
  }

  private expire(): void {
    const now = this.now();
    for (const [partition, lease] of this.held) {
      if (lease.validUntil <= now) this.lose(partition, 'expired');
    }
  }

  private lose(partition: number, reason: LossReason): void {
    if (!this.held.delete(partition)) return;
    this.changes++;
    this.options.onLost(partition, reason);
  }

  private gain(partition: number, revision: number, sentAt: number): void {
    this.held.set(partition, { revision, validUntil: sentAt + this.options.ttlMs - this.marginMs });
    this.changes++;
    this.options.onGained(partition);
  }

  /** Presence and renewals. */
  private async renewRound(): Promise<void> {
    await Promise.all([this.options.kv.put(presenceKey(this.options.nodeId), this.value), this.renew()]);
  }

  /** Reads the leases and the live nodes, then releases a surplus or claims towards the share. */
  private async balanceRound(): Promise<void> {
    await this.readView();
    if (this.stopped) return;
    const share = Math.ceil(this.options.partitions / Math.max(1, this.livePeers.size));
    if (this.held.size > share) await this.release(this.held.size - share);
    else if (this.held.size < share) await this.claim(share - this.held.size);
  }

  private async readView(): Promise<void> {
    const { kv, partitions } = this.options;
    const leases = await Promise.all(Array.from({ length: partitions }, (_, p) => kv.get(leaseKey(p))));
    this.leaseOwners.clear();
    leases.forEach((entry, p) => {
      const owner = ownerOf(entry);
      if (owner !== undefined) this.leaseOwners.set(p, owner);
    });
    let presences: Array<KvEntry | null>;
    try {
      const keys: string[] = [];
      for await (const key of await kv.keys('node.>')) keys.push(key);
      presences = await Promise.all(keys.map((key) => kv.get(key)));
    } catch (error) {
      // The live nodes as last read will do for this round (the leases above are fresh).
      this.options.onError(error);
      return;
    }
    this.livePeers.clear();
    for (const entry of presences) {
      const owner = ownerOf(entry);
      if (owner !== undefined) this.livePeers.set(owner.nodeId, owner);
    }
    this.livePeers.set(this.options.nodeId, { nodeId: this.options.nodeId, url: this.options.url });
  }

  private async renew(): Promise<void> {
    const { kv, nodeId } = this.options;
    await Promise.all(
      [...this.held.entries()].map(async ([partition, lease]) => {
        const sentAt = this.now();
        try {
          const revision = await kv.update(leaseKey(partition), this.value, lease.revision);
          const current = this.held.get(partition);
          if (current !== undefined) {
            current.revision = revision;
            current.validUntil = sentAt + this.options.ttlMs - this.marginMs;
          }
        } catch (error) {
          if (!/wrong last sequence/i.test(String(error))) return; // a timeout: retried next round, until validUntil
          // A renewal that timed out may have been written after all: the lease is still ours
          // when the key holds our value, at a revision we did not see.
          const entry = await kv.get(leaseKey(partition)).catch(() => null);
          const current = this.held.get(partition);
          if (current !== undefined && entry !== null && ownerOf(entry)?.nodeId === nodeId) current.revision = entry.revision;
          else this.lose(partition, 'taken');
        }
      }),
    );
  }

  private async release(surplus: number): Promise<void> {
    // The highest partitions go, so the nodes of a cluster agree on what moves.
    const giving = [...this.held.keys()].sort((a, b) => b - a).slice(0, surplus);
    for (const partition of giving) {
      const lease = this.held.get(partition)!;
      // Given up before it is deleted: this node stops answering for it first.
      this.lose(partition, 'released');
      await this.options.kv.delete(leaseKey(partition), { previousSeq: lease.revision }).catch(() => undefined);
    }
  }

  private async claim(wanted: number): Promise<void> {
    const { kv, partitions, nodeId } = this.options;
    const start = Number.parseInt(presenceKey(nodeId).slice(-8), 16) % partitions || 0;
    for (let k = 0; k < partitions && wanted > 0; k++) {
      const partition = (start + k) % partitions;
      if (this.held.has(partition) || this.leaseOwners.has(partition)) continue;
      const sentAt = this.now();
      try {
        const revision = await kv.create(leaseKey(partition), this.value);
        if (this.stopped) return;
        this.gain(partition, revision, sentAt);
        wanted--;
      } catch {
        // Taken a moment ago by another node: the next free one.
      }
    }
  }
}
