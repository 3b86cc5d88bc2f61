// Where replay's applying half gets its messages (replay-reading.ts) from: the replay worker
// (replay-worker.ts), reading and decoding on the second core, for a log of at least
// WORKER_FROM_BYTES; for a smaller one, the same reading run on this thread, interleaved with
// the applying, since starting a thread would cost more than it saves (from the sources, tsx
// compiles the worker's modules again: hundreds of milliseconds).
//
// From dist/ (`npm start`) the worker is the compiled .js beside this file; from the sources
// (`npm run dev`, tests) it is the .ts file, loaded through tsx as everything else there is.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ChunkBuilder, transferList, type ReplayChunk } from './replay-chunk.js';
import { ChunkCredits, readForReplay, type ReplayMessage } from './replay-reading.js';
import type { ReplayWorkerData } from './replay-worker.js';

/** Logs at least this big are read in the worker. */
export const WORKER_FROM_BYTES = 8 * 1024 * 1024;

export interface ReplaySource {
  /** Where the log is read: `worker` or `main thread`. */
  readonly readOn: 'worker' | 'main thread';
  /** In order, ending with `done` or `failed`. */
  messages: AsyncIterable<ReplayMessage>;
  /** Every record of `chunk` applied: another may be sent, and its arrays are filled again. */
  credit(chunk: ReplayChunk): void;
  stop(): Promise<void>;
}

/** Messages pushed by one side, iterated by the other. */
class MessageQueue {
  private readonly queue: ReplayMessage[] = [];
  private wake: (() => void) | undefined;

  push(message: ReplayMessage): void {
    this.queue.push(message);
    this.wake?.();
    this.wake = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ReplayMessage> {
    for (;;) {
      const message = this.queue.shift();
      if (message === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      yield message;
      if (message.type === 'done' || message.type === 'failed') return;
    }
  }
}

/**
 * A worker that registers tsx, then imports the .ts entry: Node 20 does not apply `--import tsx`
 * given in a worker's execArgv to the worker's own entry.
 */
function sourceWorker(entry: URL, workerData: ReplayWorkerData): Worker {
  const require = createRequire(import.meta.url);
  const tsxDir = dirname(require.resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

function workerSource(paths: string[]): ReplaySource {
  const workerData: ReplayWorkerData = { paths };
  const worker = import.meta.url.endsWith('.ts') ? sourceWorker(new URL('./replay-worker.ts', import.meta.url), workerData) : new Worker(new URL('./replay-worker.js', import.meta.url), { workerData });
  const queue = new MessageQueue();
  let failed = false;
  const fail = (message: string, stack: string | undefined): void => {
    if (failed) return;
    failed = true;
    queue.push({ type: 'failed', message, stack });
  };
  worker.on('message', (message: ReplayMessage) => queue.push(message));
  worker.on('error', (error) => fail(error.message, error.stack));
  worker.on('exit', (code) => fail(`the replay worker exited (code ${code}) before it was done`, undefined));
  return {
    readOn: 'worker',
    messages: queue,
    // The arrays only: the worker starts its names, logs and decisions afresh (nothing to clone).
    credit: (chunk) => worker.postMessage({ ...chunk, newNames: [], logs: [], decisions: [] }, transferList(chunk)),
    async stop() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

function inThreadSource(paths: string[]): ReplaySource {
  const queue = new MessageQueue();
  const credits = new ChunkCredits();
  const builder = new ChunkBuilder();
  readForReplay(paths, {
    async send(message) {
      if (message.type === 'chunk') await credits.take();
      queue.push(message);
    },
  }, builder).then(
    () => queue.push({ type: 'done' }),
    (error: unknown) => queue.push({ type: 'failed', message: (error as Error).message, stack: (error as Error).stack }),
  );
  return {
    readOn: 'main thread',
    messages: queue,
    credit: (chunk) => {
      builder.recycle(chunk);
      credits.give();
    },
    stop: async () => undefined,
  };
}

/** Reads `paths` for replay: in the worker when `bytes` is at least `workerFromBytes`. */
export function startReplaySource(paths: string[], bytes: number, workerFromBytes = WORKER_FROM_BYTES): ReplaySource {
  return bytes >= workerFromBytes ? workerSource(paths) : inThreadSource(paths);
}
