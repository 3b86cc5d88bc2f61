// ClusterQueries over a node's view of the cluster at one moment, with real bucket stores as the
// owned partitions: partitions with no live owner are named `partition N unowned` at once (never
// waited for), one still replaying is answered and named `partition N behind`, a trace is looked up
// in its partition's store only, and the node's own answer covers exactly its owned partitions.
import { describe, expect, it } from 'vitest';
import type { OwnedPartition } from '../../src/cluster/cluster-node.js';
import { ClusterQueries, partitionOfTraceId, type ClusterQueryView } from '../../src/cluster/cluster-queries.js';
import { AppliedSequenceBoard } from '../../src/cluster/fanout-read-barrier.js';
import type { Owner } from '../../src/cluster/partition-leases.js';
import { SpanBatch } from '../../src/ingest/span-batch.js';
import { BucketStore } from '../../src/store/buckets/bucket-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { nsAt, span, uuid } from '../support/spans.js';

const PARTITIONS = 4;
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

function view(owned: Map<number, OwnedPartition>, owners: Map<number, Owner | undefined>): ClusterQueryView {
  return {
    nodeId: 'me',
    advertiseUrl: 'http://127.0.0.1:1',
    partitions: PARTITIONS,
    applied: new AppliedSequenceBoard(),
    ownedPartitions: () => owned,
    owners: () => owners,
    publishedMinimums: () => new Map(),
  };
}

async function setUp() {
  const clock = new ManualClock(NOW);
  const stores = new Map<number, BucketStore>();
  for (let p = 0; p < 2; p++) stores.set(p, new BucketStore({ clock, windowMinutes: 30 }));
  // Traces until each of the four partitions has some, the owned ones' in their stores.
  const byPartition = new Map<number, string[]>();
  for (let n = 0; [...byPartition.values()].filter((ids) => ids.length >= 3).length < PARTITIONS; n++) {
    const traceId = uuid(n, 0x71e);
    const partition = partitionOfTraceId(traceId, PARTITIONS)!;
    byPartition.set(partition, [...(byPartition.get(partition) ?? []), traceId]);
    const store = stores.get(partition);
    if (store !== undefined) await store.apply(SpanBatch.fromSpans([span({ traceId, spanId: uuid(n, 0x5a), startTime: nsAt(NOW - 1000 - n) })]));
  }
  const owned = new Map<number, OwnedPartition>([
    [0, { store: stores.get(0)!, appliedSeq: 5, lag: 0, caughtUp: true }],
    [1, { store: stores.get(1)!, appliedSeq: 2, lag: 3, caughtUp: false }],
  ]);
  const me = { nodeId: 'me', url: 'http://127.0.0.1:1' };
  const owners = new Map<number, Owner | undefined>([[0, me], [1, me], [2, undefined], [3, undefined]]);
  const errors: string[] = [];
  const queries = new ClusterQueries(view(owned, owners), { clock, windowMinutes: 30, peerTimeoutMs: 1000, readWaitMs: 0, onSourceError: (name) => errors.push(name) });
  return { queries, byPartition, stores, errors, owned };
}

describe('a cluster node\'s queries over its view of the owners', () => {
  it('answers for its owned partitions and names the unowned and the replaying ones', async () => {
    const { queries, byPartition, errors } = await setUp();
    const held = byPartition.get(0)!.length + byPartition.get(1)!.length;
    const list = await queries.all.listTraces({ limit: 1000 });
    expect(list.total).toBe(held);
    expect(list.incomplete).toBe(true);
    expect([...list.unavailable!].sort()).toEqual(['partition 1 behind', 'partition 2 unowned', 'partition 3 unowned']);
    expect(new Set(list.traces.map((t) => t.trace_id))).toEqual(new Set([...byPartition.get(0)!, ...byPartition.get(1)!]));
    // Unowned partitions are no peer's failure: not counted as fan-out errors.
    expect(errors).toEqual([]);
    expect((await queries.all.dependencies({})).unavailable?.sort()).toEqual(['partition 1 behind', 'partition 2 unowned', 'partition 3 unowned']);
  });

  it('looks a trace up in its partition only', async () => {
    const { queries, byPartition } = await setUp();
    for (const traceId of byPartition.get(0)!) expect(await queries.all.lookupTrace(traceId)).toMatchObject({ detail: { trace_id: traceId } });
    for (const traceId of byPartition.get(2)!) expect(await queries.all.lookupTrace(traceId)).toEqual({ detail: undefined, unavailable: ['partition 2 unowned'] });
    // Found in partition 0 or 1 without asking the unowned ones: nothing flagged.
    expect((await queries.all.lookupTrace(byPartition.get(1)![0]!)).unavailable).toBeUndefined();
  });

  it('its own answer is its owned partitions, and a scope answers part of them', async () => {
    const { queries, byPartition } = await setUp();
    expect((await queries.own.listTraces({ limit: 0 })).total).toBe(byPartition.get(0)!.length + byPartition.get(1)!.length);
    const scoped = queries.scoped([0, 3]);
    expect(scoped.notOwned).toEqual([3]);
    expect((await scoped.store.listTraces({ limit: 0 })).total).toBe(byPartition.get(0)!.length);
    expect(queries.replaying()).toEqual([1]);
  });
});
