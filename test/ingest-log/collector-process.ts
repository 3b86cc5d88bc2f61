// src/main.ts as a child process on a temp DATA_DIR, for the durability tests that need a real
// process (SIGKILL, a second collector on the same directory): start, wait for a log line, kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/http/paths.js';

export interface CollectorProcess {
  child: ChildProcess;
  output: () => string;
  /** Exit code or signal name, once it has exited. */
  exited: Promise<number | string>;
}

const SETTINGS = ['PORT', 'HOST', 'OTLP_GRPC_PORT', 'OTLP_GRPC_HOST', 'WINDOW_MINUTES', 'LOG_LEVEL', 'STORAGE', 'DATA_DIR', 'SAMPLING_RATE', 'TAIL_SAMPLING', 'TAIL_SLOW_MS', 'TAIL_KEEP_RATE', 'TAIL_DECISION_SECONDS', 'TAIL_BUFFER_SPANS', 'TAIL_BUFFER_BYTES'];

export function startCollectorProcess(env: Record<string, string>): CollectorProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SETTINGS) delete childEnv[name];
  // No fixed port in tests: OTLP/gRPC (4317 by default) only where a test asks for it.
  Object.assign(childEnv, { HOST: '127.0.0.1', LOG_LEVEL: 'info', OTLP_GRPC_PORT: '0', ...env });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, output: () => output, exited };
}

/** Waits (bounded) for a JSON log line whose msg is `message`. */
export async function waitForLog(proc: CollectorProcess, message: string, ms: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  let exitedWith: number | string | undefined;
  void proc.exited.then((code) => (exitedWith = code));
  for (;;) {
    for (const line of proc.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === message) return entry;
      } catch {
        // A line still being written.
      }
    }
    if (exitedWith !== undefined) throw new Error(`the collector exited (${exitedWith}) before logging "${message}":\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${message}" within ${ms} ms:\n${proc.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// Ports free a moment ago: the collector binds one with SO_REUSEADDR, so restarts reuse it.
export { freePort } from '../../tools/cluster/nats-servers.js';
