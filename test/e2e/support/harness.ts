// End-to-end harness: the dashboard built once, a real collector in-process (BucketStore, system
// clock, an ephemeral port), and Debian's Chromium driven by playwright-core.
//
// Chromium is never downloaded: the tests use /usr/bin/chromium (CHROMIUM_PATH overrides). When it
// is missing they skip with a loud message, unless CI is set, where a missing browser fails.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildApp, type Collector } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { projectRoot } from '../../../src/http/paths.js';
import { BucketStore } from '../../../src/store/buckets/bucket-store.js';
import { systemClock } from '../../../src/time/clock.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const webDir = join(projectRoot, 'web');
export const webDist = join(webDir, 'dist');

/** Whether the browser tests can run here; prints why not, loudly, when they cannot. */
export function browserAvailable(): boolean {
  if (existsSync(chromiumPath)) return true;
  const message = `no Chromium at ${chromiumPath}: the dashboard end-to-end tests cannot run (apt-get install chromium)`;
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
    throw new Error(`${message}; CI is set, so this is a failure, not a skip`);
  }
  process.stderr.write(`\n${'!'.repeat(100)}\n!!! SKIPPING the dashboard end-to-end tests: ${message}\n${'!'.repeat(100)}\n\n`);
  return false;
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function builtIsFresh(): boolean {
  const index = join(webDist, 'index.html');
  if (!existsSync(index)) return false;
  const sources = ['src', 'index.html', 'vite.config.ts', 'tsconfig.json'].map((p) => join(webDir, p));
  return Math.max(...sources.map(newestMtime)) <= statSync(index).mtimeMs;
}

/**
 * Builds web/dist unless it is newer than every source. Test files run in parallel workers, so
 * the build is guarded by a lock directory; whoever waits re-checks freshness afterwards.
 */
export async function ensureDashboardBuilt(): Promise<void> {
  if (builtIsFresh()) return;
  const lock = join(webDir, '.build-lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than three minutes belongs to a build that died.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another dashboard build');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (builtIsFresh()) return;
    // Built beside web/dist and swapped in by rename: a collector starting in another test file
    // meanwhile sees the old build or none, never a half-written one.
    const fresh = join(webDir, `.dist-${process.pid}`);
    const old = join(webDir, `.dist-old-${process.pid}`);
    execFileSync(
      process.execPath,
      [join(projectRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(webDir, 'vite.config.ts'), '--outDir', fresh, '--emptyOutDir'],
      { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'], timeout: 170_000 },
    );
    if (existsSync(webDist)) renameSync(webDist, old);
    renameSync(fresh, webDist);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface RunningCollector {
  collector: Collector;
  baseUrl: string;
  close: () => Promise<void>;
}

/** The real collector on 127.0.0.1 and an ephemeral port, with the wall clock. */
export async function startCollector(windowMinutes = 30): Promise<RunningCollector> {
  const config = loadConfig({ LOG_LEVEL: 'silent', WINDOW_MINUTES: String(windowMinutes), INGEST_DELAY_TARGET_MS: '0' });
  const store = new BucketStore({ clock: systemClock, windowMinutes: config.windowMinutes });
  const collector = await buildApp({ config, store, logger: false });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  const address = collector.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    collector,
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: async () => {
      // Stop listening, then drop every connection: a browser's keep-alive sockets (or a slow
      // exit on a loaded machine) must not hold the suite's teardown past its timeout.
      const closed = collector.app.close();
      collector.app.server.closeAllConnections();
      await closed;
    },
  };
}

export interface RunningBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the dashboard's scripts. */
  pageErrors: string[];
  close: () => Promise<void>;
}

/** Chromium headless with a fresh, throw-away profile directory. */
export async function launchBrowser(viewport = { width: 1440, height: 900 }): Promise<RunningBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'traced-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    deviceScaleFactor: 1,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  context.on('weberror', (error) => pageErrors.push(error.error().message));
  return {
    context,
    page,
    pageErrors,
    close: async () => {
      // On a loaded machine Chromium can take minutes to exit gracefully; after 15 s the browser
      // this harness started (found by its unique profile directory) is killed instead.
      const closed = context.close().then(
        () => true,
        () => true,
      );
      const inTime = await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000).unref())]);
      if (!inTime) spawnSync('pkill', ['-KILL', '-f', `--user-data-dir=${userDataDir}`]);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * A static file server on another port (another origin), for pages that must talk to the
 * collector cross-origin. `routes` answer exact paths; everything else comes from `dir`.
 */
export async function startStaticServer(
  dir: string | undefined,
  routes: Record<string, { type: string; body: string }> = {},
): Promise<{ url: string; close: () => Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      const route = routes[path];
      if (route !== undefined) {
        res.writeHead(200, { 'content-type': route.type });
        res.end(route.body);
        return;
      }
      if (dir !== undefined && !path.includes('..')) {
        const file = join(dir, path === '/' ? 'index.html' : path);
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
          res.end(body);
          return;
        } catch {
          // fall through
        }
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Waits until `read` returns something `accept` likes, or fails with the last value seen. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
