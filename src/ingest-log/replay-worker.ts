// The replay worker: readForReplay (replay-reading.ts) on the second core, while the main thread
// applies what it has sent. Chunks are transferred, not copied; the main thread posts a credit
// for each chunk it has applied.

import { parentPort, workerData } from 'node:worker_threads';
import { transferList } from './replay-chunk.js';
import { ChunkCredits, readForReplay, type ReplayMessage } from './replay-reading.js';

export interface ReplayWorkerData {
  /** Segment files to read, in replay order. */
  paths: string[];
}

const port = parentPort!;
const credits = new ChunkCredits();
port.on('message', () => credits.give());

readForReplay((workerData as ReplayWorkerData).paths, {
  async send(message) {
    if (message.type !== 'chunk') return port.postMessage(message);
    await credits.take();
    port.postMessage(message, transferList(message.chunk));
  },
}).then(
  () => port.postMessage({ type: 'done' } satisfies ReplayMessage),
  (error: unknown) => port.postMessage({ type: 'failed', message: (error as Error).message, stack: (error as Error).stack } satisfies ReplayMessage),
);
