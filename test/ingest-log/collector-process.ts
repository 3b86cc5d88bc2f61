// src/main.ts as a child process on a temp DATA_DIR, for the durability and cluster tests that
// need a real process (SIGKILL, a second collector on the same directory): start it with the
// settings a test names and none of the developer's, wait for a log line, kill. The process
// itself is tools/cluster/collector-process.ts's.
import { spawnCollector, waitWhileRunning, type CollectorProcess } from '../../tools/cluster/collector-process.js';

export { stopCollectorProcess, type CollectorProcess } from '../../tools/cluster/collector-process.js';
// Ports free a moment ago: the collector binds one with SO_REUSEADDR, so restarts reuse it.
export { freePort } from '../../tools/cluster/nats-servers.js';

const SETTINGS = ['PORT', 'HOST', 'OTLP_GRPC_PORT', 'OTLP_GRPC_HOST', 'WINDOW_MINUTES', 'LOG_LEVEL', 'STORAGE', 'DATA_DIR', 'SAMPLING_RATE', 'TAIL_SAMPLING', 'TAIL_SLOW_MS', 'TAIL_KEEP_RATE', 'TAIL_DECISION_SECONDS', 'TAIL_BUFFER_SPANS', 'TAIL_BUFFER_BYTES'];

export function startCollectorProcess(env: Record<string, string>): CollectorProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SETTINGS) delete childEnv[name];
  // No fixed port in tests: OTLP/gRPC (4317 by default) only where a test asks for it.
  Object.assign(childEnv, { HOST: '127.0.0.1', LOG_LEVEL: 'info', OTLP_GRPC_PORT: '0', ...env });
  return spawnCollector({ name: 'the collector', env: childEnv });
}

/** Waits (bounded) for a JSON log line whose msg is `message`. */
export async function waitForLog(proc: CollectorProcess, message: string, ms: number): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  const logged = () => {
    for (const line of proc.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === message) found = entry;
      } catch {
        // A line still being written.
      }
      if (found !== undefined) return true;
    }
    return false;
  };
  await waitWhileRunning(proc, `logging "${message}"`, logged, ms, 25);
  return found!;
}
