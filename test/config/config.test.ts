// Configuration: loadConfig(env) defaults and refusals, and the process around it (src/main.ts):
// a bad variable stops start-up with one line naming it; SIGTERM shuts a running server down
// cleanly.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { projectRoot } from '../../src/http/paths.js';
import { COLLECTOR_NODE_FLAGS } from '../../src/node-flags.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      windowMinutes: 30,
      maxBodyBytes: 16 * 1024 * 1024,
      logLevel: 'info',
      corsOrigin: true,
      storage: 'disk',
      dataDir: './data',
    });
  });

  it('takes STORAGE=memory and DATA_DIR, and refuses another STORAGE naming the variable', () => {
    expect(loadConfig({ STORAGE: 'memory', DATA_DIR: '/var/lib/traced' })).toMatchObject({ storage: 'memory', dataDir: '/var/lib/traced' });
    expect(() => loadConfig({ STORAGE: 'ssd' })).toThrow(/STORAGE must be disk or memory, got "ssd"/);
  });

  it('serves OTLP/gRPC on 4317 by default, on HOST unless OTLP_GRPC_HOST is set; 0 turns it off; a bad port names the variable', () => {
    expect(loadConfig({})).toMatchObject({ otlpGrpcPort: 4317, otlpGrpcHost: '0.0.0.0' });
    expect(loadConfig({ HOST: '127.0.0.1' })).toMatchObject({ otlpGrpcHost: '127.0.0.1' });
    expect(loadConfig({ HOST: '127.0.0.1', OTLP_GRPC_HOST: '::1', OTLP_GRPC_PORT: '0' })).toMatchObject({ otlpGrpcHost: '::1', otlpGrpcPort: 0 });
    expect(() => loadConfig({ OTLP_GRPC_PORT: 'grpc' })).toThrow(/OTLP_GRPC_PORT must be a whole number from 0 to 65535, got "grpc"/);
    expect(() => loadConfig({ OTLP_GRPC_PORT: '70000' })).toThrow(/OTLP_GRPC_PORT must be from 0 to 65535/);
  });

  it('is a single node without NATS_URL, and a cluster node with it, named by its address', () => {
    expect(loadConfig({}).cluster).toBeUndefined();
    expect(loadConfig({ PARTITIONS: '32' }).cluster).toBeUndefined();
    expect(loadConfig({ NATS_URL: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222', HOST: '10.0.0.9', PORT: '9000' }).cluster).toEqual({
      natsUrls: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
      nodeId: '10.0.0.9:9000',
      advertiseUrl: 'http://10.0.0.9:9000',
      partitions: 16,
      replicas: 1,
      leaseTtlMs: 5000,
    });
    // 0.0.0.0 reaches no peer: the defaults use the machine's name.
    expect(loadConfig({ NATS_URL: 'nats://n:4222' }, 2 ** 33, 2 ** 31, 'box7').cluster).toMatchObject({ nodeId: 'box7:8080', advertiseUrl: 'http://box7:8080' });
    expect(loadConfig({ NATS_URL: 'nats://n:4222', NODE_ID: 'a', ADVERTISE_URL: 'https://a.example.com/', PARTITIONS: '64', NATS_REPLICAS: '3', LEASE_TTL_MS: '2000' }).cluster).toMatchObject({
      nodeId: 'a',
      advertiseUrl: 'https://a.example.com',
      partitions: 64,
      replicas: 3,
      leaseTtlMs: 2000,
    });
  });

  it('refuses bad cluster settings naming the variable', () => {
    expect(() => loadConfig({ NATS_URL: 'http://n:4222' })).toThrow(/NATS_URL must be a comma-separated list of nats:\/\/host:port, got "http:\/\/n:4222"/);
    expect(() => loadConfig({ NATS_URL: 'nats://a:1,,nats://b:2' })).toThrow(/NATS_URL/);
    expect(() => loadConfig({ NATS_URL: 'nats://n:4222', PARTITIONS: '0' })).toThrow(/PARTITIONS must be from 1 to 4096, got 0/);
    expect(() => loadConfig({ PARTITIONS: 'many' })).toThrow(/PARTITIONS must be a whole number/);
    expect(() => loadConfig({ NATS_URL: 'nats://n:4222', NATS_REPLICAS: '7' })).toThrow(/NATS_REPLICAS must be from 1 to 5, got 7/);
    expect(() => loadConfig({ NATS_URL: 'nats://n:4222', ADVERTISE_URL: 'node-b:8080' })).toThrow(/ADVERTISE_URL must be an origin/);
    expect(() => loadConfig({ NATS_URL: 'nats://n:4222', NODE_ID: 'a b' })).toThrow(/NODE_ID must be/);
    expect(() => loadConfig({ NATS_URL: 'nats://n:4222', LEASE_TTL_MS: '10' })).toThrow(/LEASE_TTL_MS must be from 1000 to 600000, got 10/);
    expect(() => loadConfig({ NATS_URL: 'nats://n:4222', TAIL_SAMPLING: 'on' })).toThrow(/TAIL_SAMPLING=on is not supported in cluster mode/);
  });

  it('reads only the env it is given', () => {
    const saved = process.env.WINDOW_MINUTES;
    process.env.WINDOW_MINUTES = 'abc';
    try {
      expect(loadConfig({}).windowMinutes).toBe(30);
      expect(() => loadConfig()).toThrow(ConfigError);
    } finally {
      if (saved === undefined) delete process.env.WINDOW_MINUTES;
      else process.env.WINDOW_MINUTES = saved;
    }
  });

  it('accepts valid values, including the bounds', () => {
    expect(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        WINDOW_MINUTES: '1',
        MAX_BODY_BYTES: '1024',
        LOG_LEVEL: 'DEBUG',
        CORS_ORIGIN: 'http://localhost:8081, https://dash.example.com',
      }),
    ).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      windowMinutes: 1,
      maxBodyBytes: 1024,
      logLevel: 'debug',
      corsOrigin: ['http://localhost:8081', 'https://dash.example.com'],
    });
    expect(loadConfig({ PORT: '65535', WINDOW_MINUTES: '10080' })).toMatchObject({ port: 65535, windowMinutes: 10080 });
    expect(loadConfig({ CORS_ORIGIN: '*' }).corsOrigin).toBe(true);
    expect(loadConfig({ WINDOW_MINUTES: ' 45 ' }).windowMinutes).toBe(45);
  });

  it.each([
    ['WINDOW_MINUTES', '0'],
    ['WINDOW_MINUTES', '-1'],
    ['WINDOW_MINUTES', 'abc'],
    ['WINDOW_MINUTES', '1.5'],
    ['WINDOW_MINUTES', '1e3'],
    ['WINDOW_MINUTES', '10081'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', 'http'],
    ['LOG_LEVEL', 'loud'],
    ['CORS_ORIGIN', 'not a url'],
    ['CORS_ORIGIN', 'localhost:8081'],
    ['CORS_ORIGIN', 'http://localhost:8081/app'],
    ['CORS_ORIGIN', 'http://localhost:8081,not a url'],
    ['MAX_BODY_BYTES', 'abc'],
    ['MAX_BODY_BYTES', '0'],
    ['MAX_BODY_BYTES', '1.5'],
    ['MAX_SPANS', '0'],
    ['INGEST_DELAY_TARGET_MS', 'fast'],
    ['INGEST_DELAY_TARGET_MS', '10001'],
    ['INGEST_DELAY_TARGET_MS', '2.5'],
  ])('%s=%j throws a ConfigError naming the variable', (name, value) => {
    let thrown: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as Error).message;
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
    // Only the variable at fault is named.
    for (const other of ['WINDOW_MINUTES', 'PORT', 'LOG_LEVEL', 'CORS_ORIGIN', 'MAX_BODY_BYTES', 'HOST', 'MAX_SPANS', 'INGEST_DELAY_TARGET_MS']) {
      if (other !== name && !name.startsWith(other)) expect(message).not.toContain(other);
    }
  });
});

describe('retired settings', () => {
  it.each(['MAX_EVENT_LOOP_LAG_MS', 'MAX_EVENT_LOOP_UTILIZATION'])('%s stops start-up and names its replacement', (name) => {
    expect(() => loadConfig({ [name]: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: '90' })).toThrow(/INGEST_DELAY_TARGET_MS/);
    // Empty, as a compose file writes it, it is unset.
    expect(() => loadConfig({ [name]: '' })).not.toThrow();
  });

  it('INGEST_DELAY_TARGET_MS defaults to 10 and 0 turns shedding off', () => {
    expect(loadConfig({}).ingestDelayTargetMs).toBe(10);
    expect(loadConfig({ INGEST_DELAY_TARGET_MS: '0' }).ingestDelayTargetMs).toBe(0);
  });
});

describe('empty values', () => {
  it('mean "use the default" for every variable, as compose files write `VAR=`', () => {
    const empty = Object.fromEntries(
      ['PORT', 'HOST', 'WINDOW_MINUTES', 'MAX_BODY_BYTES', 'LOG_LEVEL', 'CORS_ORIGIN', 'MAX_SPANS', 'INGEST_DELAY_TARGET_MS'].map((n) => [
        n,
        '  ',
      ]),
    );
    expect(loadConfig(empty, 8 * 2 ** 30)).toEqual(loadConfig({}, 8 * 2 ** 30));
  });

  it('derives the default MAX_SPANS from the machine memory', () => {
    expect(loadConfig({}, 8 * 2 ** 30).maxSpans).toBe(Math.floor((8 * 2 ** 30) / 2 / 200));
    expect(loadConfig({ MAX_SPANS: '5000' }, 8 * 2 ** 30).maxSpans).toBe(5000);
  });
});

// ---------------------------------------------------------------------------------------------
// The process

const CONFIG_VARS = ['PORT', 'HOST', 'OTLP_GRPC_PORT', 'OTLP_GRPC_HOST', 'WINDOW_MINUTES', 'MAX_BODY_BYTES', 'LOG_LEVEL', 'CORS_ORIGIN', 'STORAGE', 'DATA_DIR'];

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Exit code (or signal name), rejecting after `ms`. */
  exited: (ms: number) => Promise<number | string>;
}

const started: ChildProcess[] = [];

function startMain(env: Record<string, string>): Spawned {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARS) delete childEnv[name];
  // No fixed port in tests: OTLP/gRPC (4317 by default) is off unless a test sets it.
  Object.assign(childEnv, { OTLP_GRPC_PORT: '0' }, env);
  const child = spawn(process.execPath, [...COLLECTOR_NODE_FLAGS, '--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exit = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: (ms) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`process did not exit within ${ms} ms\nstdout: ${out}\nstderr: ${err}`)), ms).unref(),
        ),
      ]),
  };
}

/** Waits (bounded) for a JSON log line on stdout that satisfies `match`. */
async function logLine(proc: Spawned, match: (entry: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const line of proc.stdout().split('\n')) {
      if (line.trim() === '') continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (match(entry)) return entry;
    }
    if (proc.child.exitCode !== null) throw new Error(`process exited (${proc.child.exitCode}) early\nstdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no matching log line within ${ms} ms\nstdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('src/main.ts as a process', () => {
  afterEach(() => {
    // Only the children this file started, by their own handles.
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('WINDOW_MINUTES=abc exits non-zero with one line naming the variable', async () => {
    const proc = startMain({ WINDOW_MINUTES: 'abc' });
    const code = await proc.exited(30_000);
    expect(code).not.toBe(0);
    expect(typeof code).toBe('number');
    const lines = (proc.stdout() + proc.stderr()).split('\n').filter((l) => l.trim() !== '');
    expect(lines, `stdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`).toHaveLength(1);
    expect(lines[0]).toContain('WINDOW_MINUTES');
    expect(lines[0]).toContain('abc');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('PORT=0 listens, logs its address as JSON, and exits 0 on %s', async (signal) => {
    // The defaults, durable: the ingest log goes to a directory of this test's own.
    const dataDir = mkdtempSync(join(tmpdir(), 'config-main-'));
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
    const proc = startMain({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir });
    const listening = await logLine(proc, (e) => typeof e.msg === 'string' && /listening at http:\/\//i.test(e.msg), 30_000);
    const address = /(http:\/\/[^\s]+)/.exec(String(listening.msg))![1]!;
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(address).port)).toBeGreaterThan(0);

    const health = await request(`${address}/health`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ status: 'ok' });

    await logLine(proc, (e) => e.msg === 'traced-collector ready', 10_000);
    expect(proc.child.kill(signal)).toBe(true);
    expect(await proc.exited(15_000)).toBe(0);
    await logLine(proc, (e) => e.signal === signal, 1000);
  });
});
