// The replay worker: readForReplay (replay-reading.ts) on the second core, while the main thread
// applies what it has sent. Chunks are transferred, not copied; the main thread transfers each
// chunk back once it has applied it, which is the credit for the next, and its arrays are filled again.

import { parentPort, workerData } from 'node:worker_threads';
import { ChunkBuilder, transferList, type ReplayChunk } from './replay-chunk.js';
import { ChunkCredits, readForReplay, type ReplayMessage } from './replay-reading.js';

export interface ReplayWorkerData {
  /** Segment files to read, in replay order. */
  paths: string[];
}

const port = parentPort!;
const credits = new ChunkCredits();
const builder = new ChunkBuilder();
port.on('message', (chunk: ReplayChunk) => {
  builder.recycle(chunk);
  credits.give();
});

readForReplay((workerData as ReplayWorkerData).paths, {
  async send(message) {
    if (message.type !== 'chunk') return port.postMessage(message);
    await credits.take();
    port.postMessage(message, transferList(message.chunk));
  },
}, builder).then(
  () => port.postMessage({ type: 'done' } satisfies ReplayMessage),
  (error: unknown) => port.postMessage({ type: 'failed', message: (error as Error).message, stack: (error as Error).stack } satisfies ReplayMessage),
);
