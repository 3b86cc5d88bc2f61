// Runs a bench worker (a TypeScript file) in its own Node process, pinned to one CPU when the
// machine has `taskset`, with an IPC channel for results. The collector and the load generator
// each get a core, so neither measures the other's work.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { COLLECTOR_NODE_FLAGS } from '../../src/node-flags.js';

const hasTaskset = spawnSync('taskset', ['-V']).status === 0;

export interface WorkerProcess {
  child: ChildProcess;
  /** Next message from the worker (rejects if it exits first). */
  next<T = Record<string, unknown>>(): Promise<T>;
  send(message: unknown): void;
  stop(): Promise<void>;
}

/** The CPU time (µs, all threads) a collector worker (bench/lib/serve.ts) has used so far. */
async function cpuMicrosOf(worker: WorkerProcess): Promise<number> {
  worker.send({ cpu: true });
  return (await worker.next<{ cpuMicros: number }>()).cpuMicros;
}

/** What `run` returns, and the CPU time (µs, all threads) the collector worker used while it ran. */
export async function cpuDuring<T>(worker: WorkerProcess, run: () => Promise<T>): Promise<{ result: T; cpuMicros: number }> {
  const before = await cpuMicrosOf(worker);
  const result = await run();
  return { result, cpuMicros: (await cpuMicrosOf(worker)) - before };
}

/**
 * The collector's CPU (all threads) per answered request, and the share of its core it used over
 * `elapsedMs`: near 1, a throughput figure is the collector's capacity; well under, something
 * else held it (the load generator, the disk).
 */
export function cpuPerRequest(cpuMicros: number, answered: number, elapsedMs: number): { cpuMicrosPerRequest: number; busyShare: number } {
  return { cpuMicrosPerRequest: cpuMicros / Math.max(1, answered), busyShare: cpuMicros / 1000 / elapsedMs };
}

/** `cwd`: the checkout the worker runs in (its script and `tsx` are found there); this process's by default. */
export function startWorker(script: string, args: string[], options: { cpu?: number; nodeArgs?: string[]; cwd?: string } = {}): WorkerProcess {
  const nodeArgv = [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...args];
  const command = hasTaskset && options.cpu !== undefined ? 'taskset' : process.execPath;
  const argv = command === 'taskset' ? ['-c', String(options.cpu), process.execPath, ...nodeArgv] : nodeArgv;
  const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: options.cwd });
  const queue: unknown[] = [];
  const waiters: Array<{ resolve: (m: any) => void; reject: (e: Error) => void }> = [];
  child.on('message', (m) => {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(m);
    else queue.push(m);
  });
  child.on('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${script} exited with code ${code}`));
  });
  return {
    child,
    next<T>() {
      if (queue.length > 0) return Promise.resolve(queue.shift() as T);
      return new Promise<T>((resolve, reject) => waiters.push({ resolve, reject }));
    },
    send(message) {
      child.send(message as object);
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}

/**
 * Lets the current process (and so the processes it starts next) run on every CPU again: pinning
 * is inherited, and the issue 14 reproductions start collectors of their own.
 */
export function unpinSelf(): void {
  if (hasTaskset) spawnSync('taskset', ['-cp', `0-${cpus().length - 1}`, String(process.pid)]);
}

/** Pins the current process to a CPU (the load generator's), when possible. */
export function pinSelf(cpu: number): void {
  if (hasTaskset) spawnSync('taskset', ['-cp', String(cpu), String(process.pid)]);
}

/** A collector (bench/lib/serve.ts) in a worker process, with the Node flags `npm start` gives it. */
export function startCollectorWorker(args: string[], options: { cpu?: number; nodeArgs?: string[]; cwd?: string } = {}): WorkerProcess {
  return startWorker('bench/lib/serve.ts', args, { ...options, nodeArgs: [...COLLECTOR_NODE_FLAGS, ...(options.nodeArgs ?? [])] });
}
