// Entry point: configuration from the environment, the in-memory store, graceful shutdown.

import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { BucketStore } from './store/compact/bucket-store.js';
import { systemClock } from './time/clock.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`traced-collector: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const store = new BucketStore({ clock: systemClock, windowMinutes: config.windowMinutes, maxEndpoints: config.maxEndpoints, scanBudget: config.queryScanBudget });
  const { app } = await buildApp({ config, store });

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    // A second signal, or a stuck connection, must not keep the process alive forever.
    setTimeout(() => process.exit(1), 10_000).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info({ windowMinutes: config.windowMinutes, maxBodyBytes: config.maxBodyBytes }, 'traced-collector ready');
}

void main();
