// A collector (its checkout's bench/lib/serve.ts, load shedding off) run under valgrind's
// callgrind, for instruction counts: a count of instructions does not move with whatever else
// the machine runs, where CPU time on a shared VM does by ±10%. Shedding is off because the
// collector runs 50–100 times slower under valgrind and would refuse most batches for load.
//
// `dump()` ends a part of the profile: the counts since the previous dump. Each part's counts are
// read for the whole process and for the main thread alone (node::SpinEventLoopInternal, the
// event loop: JavaScript, HTTP, the main thread's GC work), apart from the threads that compile
// and mark concurrently.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COLLECTOR_NODE_FLAGS } from '../../src/node-flags.js';

const PRELOAD = fileURLToPath(new URL('./no-plugin-timeout.cjs', import.meta.url));

export interface InstructionCounts {
  total: number;
  mainThread: number;
}

export class CallgrindServer {
  private dumps = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly outFile: string,
  ) {}

  static hasValgrind(): boolean {
    return spawnSync('valgrind', ['--version']).status === 0 && spawnSync('callgrind_annotate', ['--version']).status !== null;
  }

  /** Starts the checkout's collector on `port` and resolves once it listens. */
  static async start(checkout: string, port: number, outFile: string): Promise<CallgrindServer> {
    const argv = ['--tool=callgrind', '--smc-check=all', `--callgrind-out-file=${outFile}`, process.execPath, ...COLLECTOR_NODE_FLAGS, '--require', PRELOAD, '--import', 'tsx', 'bench/lib/serve.ts', 'bucket', String(port), 'unshed'];
    const child = spawn('valgrind', argv, { cwd: checkout, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the collector under valgrind exited (${code}) before listening:\n${stderr}`)));
    });
    return new CallgrindServer(child, outFile);
  }

  /** Counts since the previous dump (or since start). */
  dump(): InstructionCounts {
    this.dumps++;
    spawnSync('callgrind_control', ['--dump', String(this.child.pid)]);
    const file = `${this.outFile}.${this.dumps}`;
    // callgrind writes the dump before callgrind_control returns; wait a little if it has not.
    for (let tries = 0; !existsSync(file) && tries < 100; tries++) spawnSync('sleep', ['0.1']);
    if (!existsSync(file)) throw new Error(`no callgrind dump ${file} (have ${readdirSync(file.replace(/\/[^/]*$/, '')).join(', ')})`);
    return readCounts(file);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

function readCounts(file: string): InstructionCounts {
  const out = spawnSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).stdout;
  const count = (pattern: RegExp): number => {
    const line = out.split('\n').find((l) => pattern.test(l));
    return line === undefined ? NaN : Number(line.trim().split(' ')[0]!.replace(/,/g, ''));
  };
  return { total: count(/PROGRAM TOTALS/), mainThread: count(/node::SpinEventLoopInternal/) };
}
