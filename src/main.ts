// Entry point: configuration from the environment, the in-memory store, graceful shutdown.

import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { BucketStore } from './store/buckets/bucket-store.js';
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
  const { app, drain } = await buildApp({ config, store });

  // Orderly either way: in-flight requests are answered, and a client still sending when
  // SHUTDOWN_GRACE_MS is over has its connection closed, which is not a failure of ours.
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) {
      app.log.info({ signal }, 'second signal: closing the connections still open');
      drain.force();
      return;
    }
    closing = true;
    app.log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: answering in-flight requests');
    // Only a close that hangs past its own deadline (a stuck onClose hook) is a failure.
    setTimeout(() => {
      app.log.error({ graceMs: config.shutdownGraceMs }, 'shutdown did not finish after the grace period');
      process.exit(1);
    }, config.shutdownGraceMs + 5000).unref();
    drain.close(app, config.shutdownGraceMs).then(
      ({ forced }) => {
        if (forced) app.log.warn({ graceMs: config.shutdownGraceMs }, 'grace period over: closed the connections of clients still sending');
        app.log.info('shut down');
        process.exit(0);
      },
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
