// Entry point: configuration from the environment, DATA_DIR and its ingest log (STORAGE=disk),
// the in-memory store, the HTTP and OTLP/gRPC listeners, replay, graceful shutdown; in cluster
// mode (NATS_URL) the cluster node instead of DATA_DIR.

import pino from 'pino';
import { buildApp, withSampling } from './app.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { ClusterSetupError } from './cluster/spans-stream.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirError, lockDataDir, type DataDirLock } from './ingest-log/data-dir.js';
import { ReplayClock } from './ingest-log/replay-clock.js';
import { SegmentLog } from './ingest-log/segment-log.js';
import { missingNodeFlags } from './node-flags.js';
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
  // DATA_DIR is checked and locked before anything listens: a second collector on the same
  // directory, or one it cannot write, stops here with one line.
  let lock: DataDirLock | undefined;
  let ingestLog: SegmentLog | undefined;
  // In cluster mode JetStream is the log: no DATA_DIR.
  if (config.storage === 'disk' && config.cluster === undefined) {
    try {
      lock = lockDataDir(config.dataDir);
    } catch (error) {
      if (error instanceof DataDirError) {
        process.stderr.write(`traced-collector: ${error.message}\n`);
        process.exit(2);
      }
      throw error;
    }
    ingestLog = new SegmentLog({ dir: config.dataDir, clock: systemClock, windowMinutes: config.windowMinutes, onProblem: (message, error) => app.log.error({ err: error }, message) });
  }
  // The stores' clock: the wall clock, except while replay applies each batch at its logged time.
  const clock = new ReplayClock(systemClock);
  const store = new BucketStore({ clock, windowMinutes: config.windowMinutes, maxEndpoints: config.maxEndpoints, scanBudget: config.queryScanBudget });
  let cluster: ClusterNode | undefined;
  if (config.cluster !== undefined) {
    const settings = config.cluster;
    const log = pino({ level: config.logLevel });
    try {
      cluster = await ClusterNode.start({
        ...settings,
        windowMinutes: config.windowMinutes,
        clock: systemClock,
        // Each partition's store as the single node's, sampler included.
        newStore: () => {
          const partitionStore = new BucketStore({ clock: systemClock, windowMinutes: config.windowMinutes, maxEndpoints: config.maxEndpoints, scanBudget: config.queryScanBudget });
          return withSampling(partitionStore, config, systemClock) ?? partitionStore;
        },
        log: (level, fields, message) => log[level](fields, message),
      });
    } catch (error) {
      process.stderr.write(`traced-collector: cluster mode: ${error instanceof ClusterSetupError ? error.message : `could not join through NATS_URL ${settings.natsUrls.join(',')}: ${String(error)}`}\n`);
      process.exit(2);
    }
  }
  const { app, drain, grpc, replay } = await buildApp({ config, store, ingestLog, clock, replayClock: clock, cluster });
  app.addHook('onClose', async () => {
    // Leases given back, so the other nodes take the partitions over at once.
    await cluster?.close(true);
    // Every answered batch is already synced; this only closes the file and the lock.
    await ingestLog?.close();
    lock?.release();
  });

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

  // Listening during replay: GET /health answers 503 with its progress, and ingest 503 + Retry-After.
  await app.listen({ port: config.port, host: config.host });
  if (config.otlpGrpcPort !== 0) {
    try {
      const grpcPort = await grpc.listen(config.otlpGrpcHost, config.otlpGrpcPort);
      app.log.info(`OTLP/gRPC listening at ${config.otlpGrpcHost}:${grpcPort}`);
    } catch (error) {
      process.stderr.write(`traced-collector: OTLP/gRPC cannot listen on ${config.otlpGrpcHost}:${config.otlpGrpcPort} (OTLP_GRPC_PORT, OTLP_GRPC_HOST; 0 turns it off): ${(error as Error).message}\n`);
      process.exit(2);
    }
  }
  if (ingestLog !== undefined) {
    try {
      await replay();
    } catch (error) {
      app.log.fatal({ err: error, dataDir: config.dataDir }, 'the ingest log could not be replayed');
      process.exit(1);
    }
  }
  app.log.info(
    {
      otlpGrpcPort: config.otlpGrpcPort === 0 ? undefined : config.otlpGrpcPort,
      windowMinutes: config.windowMinutes,
      maxBodyBytes: config.maxBodyBytes,
      storage: config.cluster !== undefined ? 'jetstream' : config.storage,
      dataDir: config.storage === 'disk' && config.cluster === undefined ? config.dataDir : undefined,
      nodeId: config.cluster?.nodeId,
    },
    'traced-collector ready',
  );
  const missing = missingNodeFlags();
  if (missing.length > 0) {
    app.log.warn({ missing }, 'started without the Node flags npm start and the Docker image pass (src/node-flags.ts says why): garbage collection takes more of the core under many clients');
  }
}

void main();
