// The reading half of replay: the segments, oldest first (file reads, framing, CRC-32, torn tails
// cut off), every record decoded and packed into chunks (replay-chunk.ts) for the applying half.
// It runs in the replay worker (replay-worker.ts) for a log big enough to be worth a thread, or
// beside the applying half for a small one (replay-source.ts); either way the messages are these.

import { RecordFormatError } from './byte-buffers.js';
import { decodeRecord, RECORD_LOGS, RECORD_SPANS } from './record-codec.js';
import { ChunkBuilder, CHUNK_SPANS, type ReplayChunk } from './replay-chunk.js';
import { readSegment, type SegmentDamage } from './segment-reader.js';

/** Chunks sent and not yet applied at most: what bounds replay's memory beside the store. */
export const MAX_CHUNKS_IN_FLIGHT = 4;

export type ReplayMessage =
  | { type: 'damage'; segment: number; damage: SegmentDamage }
  | { type: 'undecodable'; segment: number; offset: number; problem: string }
  /** The last chunk of each segment is marked, and sent even when empty. */
  | { type: 'chunk'; segment: number; last: boolean; chunk: ReplayChunk }
  | { type: 'done' }
  /** An error that is not damage (a bug): replay rethrows it. */
  | { type: 'failed'; message: string; stack: string | undefined };

/** Where the messages go; `send` of a chunk waits while MAX_CHUNKS_IN_FLIGHT are unapplied. */
export interface ReplaySink {
  send(message: ReplayMessage): Promise<void>;
}

/** `builder` takes back the chunks the applying side is done with (ChunkBuilder.recycle). */
export async function readForReplay(paths: readonly string[], sink: ReplaySink, builder = new ChunkBuilder()): Promise<void> {
  for (let segment = 0; segment < paths.length; segment++) {
    const damages: SegmentDamage[] = [];
    const records = readSegment(paths[segment]!, { onDamage: (damage) => damages.push(damage) });
    for await (const record of records) {
      for (const damage of damages.splice(0)) await sink.send({ type: 'damage', segment, damage });
      let decoded;
      try {
        decoded = decodeRecord(record.buffer, record.start, record.end);
      } catch (error) {
        if (!(error instanceof RecordFormatError) && !(error instanceof SyntaxError)) throw error;
        await sink.send({ type: 'undecodable', segment, offset: record.offset, problem: error.message });
        continue;
      }
      // Packed now: the batch's tag text is read in place from the reader's buffer.
      if (decoded.kind === RECORD_SPANS) {
        builder.addSpans(decoded.batch, decoded.appendMs, record.offset);
        decoded.batch.release();
      } else if (decoded.kind === RECORD_LOGS) builder.addLogs(decoded.logs, decoded.appendMs, record.offset);
      else builder.addDecisions(decoded.decisions, decoded.appendMs, record.offset);
      if (builder.spanCount >= CHUNK_SPANS || builder.recordCount >= 1024) await sink.send({ type: 'chunk', segment, last: false, chunk: builder.take() });
    }
    for (const damage of damages.splice(0)) await sink.send({ type: 'damage', segment, damage });
    await sink.send({ type: 'chunk', segment, last: true, chunk: builder.take() });
  }
}

/** Counts chunks in flight and makes `send` wait for a credit when MAX_CHUNKS_IN_FLIGHT are out. */
export class ChunkCredits {
  private inFlight = 0;
  private credited: (() => void) | undefined;

  async take(): Promise<void> {
    while (this.inFlight >= MAX_CHUNKS_IN_FLIGHT) await new Promise<void>((resolve) => (this.credited = resolve));
    this.inFlight++;
  }

  give(): void {
    this.inFlight--;
    this.credited?.();
    this.credited = undefined;
  }
}
