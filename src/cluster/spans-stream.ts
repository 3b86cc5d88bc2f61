// The JetStream stream of spans: one subject per partition, time-based retention. Created by the
// first node; every later node checks that it was made for the same number of partitions, since
// a node hashing traces onto another count would put them where no owner looks.

import { DiscardPolicy, StorageType, type JetStreamManager, type StreamInfo } from 'nats';
import { FUTURE_SKEW_MS, MS_PER_MINUTE } from '../store/window.js';
import { SPANS_STREAM, SPANS_SUBJECTS } from './partitions.js';

/** How long past window + skew a message is kept: the oldest consumer start is now − window − skew. */
export const RETENTION_MARGIN_MS = 2 * MS_PER_MINUTE;

const DESCRIPTION_PREFIX = 'traced spans, partitions=';

export class ClusterSetupError extends Error {}

export interface SpansStreamOptions {
  partitions: number;
  replicas: number;
  windowMinutes: number;
}

/** MaxAge: a span logged at t may start up to the skew after t and stays in the window W after that. */
export function spansRetentionMs(windowMinutes: number): number {
  return windowMinutes * MS_PER_MINUTE + FUTURE_SKEW_MS + RETENTION_MARGIN_MS;
}

export function partitionsOfStream(info: StreamInfo): number | undefined {
  const description = info.config.description ?? '';
  if (!description.startsWith(DESCRIPTION_PREFIX)) return undefined;
  const count = Number(description.slice(DESCRIPTION_PREFIX.length));
  return Number.isInteger(count) ? count : undefined;
}

/** Creates the stream, or checks the one there; throws ClusterSetupError on a mismatch. */
export async function ensureSpansStream(jsm: JetStreamManager, options: SpansStreamOptions): Promise<StreamInfo> {
  const maxAgeNs = spansRetentionMs(options.windowMinutes) * 1_000_000;
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(SPANS_STREAM);
  } catch (error) {
    if (!/stream not found/i.test(String(error))) throw error;
  }
  if (info === undefined) {
    try {
      return await jsm.streams.add({
        name: SPANS_STREAM,
        subjects: [SPANS_SUBJECTS],
        description: `${DESCRIPTION_PREFIX}${options.partitions}`,
        max_age: maxAgeNs,
        num_replicas: options.replicas,
        // Whole messages leave by age only; nothing is dropped to make room.
        discard: DiscardPolicy.Old,
        storage: StorageType.File,
      });
    } catch (error) {
      // Another node created it a moment earlier: check that one.
      if (!/already in use|already exists/i.test(String(error))) throw error;
      info = await jsm.streams.info(SPANS_STREAM);
    }
  }
  const partitions = partitionsOfStream(info);
  if (partitions !== options.partitions) {
    throw new ClusterSetupError(
      `the JetStream stream ${SPANS_STREAM} was made for ${partitions === undefined ? 'an unknown number of' : partitions} partitions and PARTITIONS is ${options.partitions}; set PARTITIONS=${partitions ?? '…'} (a stream's partition count is fixed for its life)`,
    );
  }
  // A node with a longer window needs the stream to keep messages longer; a shorter one changes nothing.
  if (info.config.max_age < maxAgeNs) info = await jsm.streams.update(SPANS_STREAM, { ...info.config, max_age: maxAgeNs });
  return info;
}
