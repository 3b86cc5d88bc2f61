// src/main.ts as a child process, for whatever needs a real collector process (kill -9, a restart
// on the same port or data directory): the cluster scripts and benches through node-process.ts,
// the durability and cluster tests through test/ingest-log/collector-process.ts. Here: spawn it,
// keep what it writes for failure messages, know when it is gone, wait on it while it runs, and
// stop it by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/http/paths.js';
import { COLLECTOR_NODE_FLAGS } from '../../src/node-flags.js';
import { waitFor } from './wait-for.js';

export interface CollectorProcess {
  /** Names the process in failure messages. */
  name: string;
  child: ChildProcess;
  /** What the process wrote (stdout and stderr as they came), the last `keepChars` of it. */
  output(): string;
  /** Exit code or signal name, once it has exited and its output is all read. */
  exited: Promise<number | string>;
}

export interface CollectorProcessOptions {
  name: string;
  /** The child's whole environment: each caller decides what it inherits. */
  env: NodeJS.ProcessEnv;
  /** How much of the output to keep; all of it by default. */
  keepChars?: number;
  /** Sees everything the process writes, as it comes. */
  onOutput?: (chunk: string) => void;
}

const running = new Set<ChildProcess>();
// Whatever ends this process, no collector it started outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function spawnCollector(options: CollectorProcessOptions): CollectorProcess {
  const child = spawn(process.execPath, [...COLLECTOR_NODE_FLAGS, '--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const keepChars = options.keepChars ?? Infinity;
  let output = '';
  const collect = (chunk: string) => {
    output += chunk;
    if (output.length > keepChars) output = output.slice(-keepChars);
    options.onOutput?.(chunk);
  };
  child.stdout!.setEncoding('utf8').on('data', collect);
  child.stderr!.setEncoding('utf8').on('data', collect);
  // 'close' rather than 'exit': by then every chunk it wrote has been collected.
  const exited = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return { name: options.name, child, output: () => output, exited };
}

/**
 * waitFor() on a process: fails at once if the process exits before `probe` holds, and either
 * failure carries what the process wrote. A probe that holds on the output the process left
 * behind when it exited still holds.
 */
export async function waitWhileRunning(proc: CollectorProcess, what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<number> {
  let exitedWith: number | string | undefined;
  void proc.exited.then((code) => (exitedWith = code));
  try {
    return await waitFor(
      what,
      async () => {
        // Read before the probe: once it is set, the output is complete and the probe has seen it all.
        const gone = exitedWith;
        if (await probe()) return true;
        if (gone !== undefined) throw new Error(`${proc.name} exited (${gone}) before ${what}`);
        return false;
      },
      timeoutMs,
      stepMs,
    );
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}:\n${proc.output()}`);
  }
}

/** Sends `signal` to the process by its PID and waits (bounded) until it is gone; SIGKILL after `ms`. */
export async function stopCollectorProcess(proc: CollectorProcess, signal: NodeJS.Signals, ms = 15_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
    await proc.exited;
    return;
  }
  proc.child.kill(signal);
  const gone = await Promise.race([proc.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
  if (!gone) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}
