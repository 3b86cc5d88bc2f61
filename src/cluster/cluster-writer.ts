// The writer the ingest routes use in cluster mode, in the place of the durable writer: a batch
// is cut by partition and published to JetStream, and the route answers once every part is
// acknowledged. The routes cannot tell it from the local ingest log: a StorageError (here a
// PublishError) is a 503 + Retry-After either way.
//
// Nothing is applied here: each partition's owner applies the batch when it consumes it
// (partition-consumer.ts), and this node may own none of them. So the answer counts what was
// logged (every span inside the window) as accepted; re-sent spans are found duplicate by the
// owner, not counted here. Only spans inside the window are published, judged once on this
// node's clock, for the reasons durable-writer.ts gives.

import { encodeSpanBatch } from '../ingest-log/record-codec.js';
import { windowPart } from '../ingest-log/window-part.js';
import type { SpanBatch } from '../ingest/span-batch.js';
import type { IngestResult } from '../store/store-shapes.js';
import type { TraceWriter } from '../store/writer.js';
import type { Clock } from '../time/clock.js';
import { splitByPartition } from './partitions.js';
import type { SpanPublisher } from './span-publisher.js';

export class ClusterWriter implements TraceWriter {
  constructor(
    private readonly publisher: SpanPublisher,
    private readonly partitions: number,
    private readonly clock: Clock,
    private readonly windowMinutes: number,
  ) {}

  async apply(batch: SpanBatch): Promise<IngestResult> {
    const nowMs = this.clock.nowMs();
    const { inWindow, stale, ahead } = windowPart(batch, nowMs, this.windowMinutes);
    const accepted = inWindow.length;
    if (accepted > 0) {
      const acks: Array<Promise<number>> = [];
      for (const [partition, part] of splitByPartition(inWindow, this.partitions)) {
        // Encoded inside publish(), so the parts go back to the pool at once.
        acks.push(this.publisher.publish(partition, (out) => encodeSpanBatch(part, nowMs, out)));
        if (part !== inWindow) part.release();
      }
      if (inWindow !== batch) inWindow.release();
      await (acks.length === 1 ? acks[0] : Promise.all(acks));
    }
    return { accepted, duplicates: 0, discardedStale: stale, discardedFuture: ahead };
  }

  recordUnsampled(): void {
    // Sampling sits behind the log, in each partition's store: nothing unsampled reaches here.
  }
}
