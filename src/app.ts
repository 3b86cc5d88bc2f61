// Builds the collector: one plugin per resource, registered here and nowhere else.

import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ClusterNode } from './cluster/cluster-node.js';
import type { Config } from './config.js';
import { AdmissionControl } from './http/admission/admission-control.js';
import { InflightBodies } from './http/admission/inflight-bodies.js';
import { RefusalGate } from './http/admission/refusal-gate.js';
import { clientErrorHandler } from './http/client-errors.js';
import { registerClusterMetrics } from './http/cluster-metrics.js';
import { CollectorMetrics } from './http/collector-metrics.js';
import { dashboardRoutes } from './http/dashboard.js';
import { dependenciesRoutes } from './http/dependencies.js';
import { docsRoutes } from './http/docs.js';
import { ConnectionDrain } from './http/drain.js';
import { answerErrors } from './http/error-answer.js';
import { withStorageRefusal } from './http/storage-refusal.js';
import { healthRoutes } from './http/health.js';
import { registerJsonBodyParser } from './http/json-body-parser.js';
import { logsRoutes } from './http/logs.js';
import { metricsRoutes } from './http/metrics.js';
import { otlpRoutes } from './http/otlp.js';
import { otlpLogsRoutes } from './http/otlp-logs.js';
import { servicesRoutes } from './http/services.js';
import { spansRoutes } from './http/spans.js';
import { statsRoutes } from './http/stats.js';
import { tracesRoutes } from './http/traces.js';
import { zipkinQueryRoutes } from './http/zipkin-query.js';
import { zipkinSpansRoutes } from './http/zipkin-spans.js';
import { schemaErrorFormatter, validatorCompiler } from './http/validation.js';
import { IngestLogMetrics } from './http/ingest-log-metrics.js';
import { OtlpGrpcServer } from './grpc/otlp-grpc-server.js';
import { decisionLogger, DurableLogStore, DurableWriter } from './ingest-log/durable-writer.js';
import { emptyProgress, replayLog, type ReplayProgress } from './ingest-log/replay.js';
import type { ReplayClock } from './ingest-log/replay-clock.js';
import type { SegmentLog } from './ingest-log/segment-log.js';
import { logEviction } from './logs/eviction.js';
import type { LogStore } from './logs/log-store.js';
import { MinuteLogStore } from './logs/minute-log-store.js';
import { SamplingStore } from './sampling/sampling-store.js';
import { internalQueryRoutes } from './http/internal-query.js';
import type { AppliedSequenceBoard, PublishedSequences } from './cluster/fanout-read-barrier.js';
import { querySources } from './query-sources.js';
import { EvictionTicker, storeEviction, type EvictionParticipant } from './store/eviction-ticker.js';
import type { TraceWriter } from './store/writer.js';
import type { TraceStore } from './store/trace-store.js';
import { systemClock, type Clock } from './time/clock.js';

export interface AppOptions {
  config: Config;
  store: TraceStore;
  /** pino options or false; defaults to the configured level. */
  logger?: FastifyServerOptions['logger'];
  /** How often the eviction timer runs. */
  evictionIntervalMs?: number;
  /** For tests: replaces the V8 heap reading in admission control. */
  heapShare?: () => number;
  /** Where POST /logs keeps logs; defaults to minute buckets on `clock` over the same window. */
  logStore?: LogStore;
  /** The clock of the default log store (give the span store's, so both windows agree). */
  clock?: Clock;
  /**
   * The ingest log (STORAGE=disk): every accepted batch is appended to it and made durable before
   * the store takes it; `replay()` rebuilds the stores from it. Absent: purely in memory.
   */
  ingestLog?: SegmentLog;
  /**
   * The clock the stores were given (and `clock`), when it is a ReplayClock: replay then applies
   * each batch at the time it was logged, so the stores take the decisions they took live.
   */
  replayClock?: ReplayClock;
  /**
   * Other collectors' HTTP APIs (base URLs): when given, the query routes answer for this node's
   * store and theirs together, merged exactly (store/merged-store.ts), each peer asked through
   * its internal query routes within PEER_TIMEOUT_MS. A static list, for tests; not a user
   * setting. Cluster mode finds its peers in the partition leases instead (query-sources.ts).
   */
  peers?: readonly string[];
  /**
   * Read-your-writes across collectors (cluster/fanout-read-barrier.ts), filled in by the log
   * consumer and publisher: what this node's partitions have applied, which internal questions
   * carrying minimums wait for, and what this node has published, which its fanned-out queries
   * carry as minimums.
   */
  readYourWrites?: { applied: AppliedSequenceBoard; published: PublishedSequences };
  /**
   * Cluster mode (NATS_URL): ingest publishes to JetStream through the node's writer instead of
   * the ingest log, queries fan out to the partitions' owners (cluster/cluster-queries.ts), the
   * node's partition stores are evicted with the rest, and GET /health and /metrics show the node. The app does not close the node: its owner does (main.ts, tests).
   */
  cluster?: ClusterNode;
}

export interface Collector {
  app: FastifyInstance;
  metrics: CollectorMetrics;
  eviction: EvictionTicker;
  admission: AdmissionControl;
  gate: RefusalGate;
  /** Graceful shutdown: `drain.close(app, graceMs)` (main.ts on SIGTERM). */
  drain: ConnectionDrain;
  logStore: LogStore;
  /**
   * The OTLP/gRPC server, built but not bound: `grpc.listen(host, port)` (main.ts, with
   * OTLP_GRPC_PORT; tests, on port 0). It stops with the HTTP server (`drain`, `app.close()`).
   */
  grpc: OtlpGrpcServer;
  /** The sampler in front of the store, when SAMPLING_RATE < 1 or TAIL_SAMPLING=on. */
  sampling: SamplingStore | undefined;
  /**
   * Replays the ingest log into the stores, refusing ingest (503, reason `replaying`) and
   * answering GET /health with 503 and the progress until done; nothing without an ingest log.
   */
  replay(): Promise<void>;
}

/**
 * The sampler in front of a store, when SAMPLING_RATE < 1 or TAIL_SAMPLING=on; else undefined.
 * In cluster mode every partition's store gets its own (a trace never spans partitions).
 */
export function withSampling(store: TraceStore, config: Config, clock: Clock): SamplingStore | undefined {
  if (!SamplingStore.enabled(config.sampling.rate, config.sampling.tail)) return undefined;
  return new SamplingStore(store, {
    clock,
    windowMinutes: config.windowMinutes,
    headRate: config.sampling.rate,
    tail: config.sampling.tail
      ? {
          slowMs: config.sampling.tailSlowMs,
          keepRate: config.sampling.tailKeepRate,
          decisionSeconds: config.sampling.tailDecisionSeconds,
          maxBufferedSpans: config.sampling.tailBufferSpans,
          maxBufferedBytes: config.sampling.tailBufferBytes,
        }
      : undefined,
  });
}

export async function buildApp(options: AppOptions): Promise<Collector> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  // Sampling sits in front of the store, so every ingest path is sampled and queries pass through.
  const sampling = withSampling(options.store, config, clock);
  const store: TraceStore = sampling ?? options.store;
  const ingestLog = options.ingestLog;
  // With an ingest log, ingest writes through it, in front of the sampler: replay then feeds the
  // sampler the same batches, and head sampling keeps the same traces.
  // In cluster mode JetStream takes the ingest log's place: the routes write to it alike.
  const writer: TraceWriter =
    options.cluster !== undefined ? options.cluster.writer : ingestLog === undefined ? store : new DurableWriter(ingestLog, store, clock, config.windowMinutes);
  const admission = new AdmissionControl({
    // In cluster mode the spans this process holds are in its partition stores.
    store: options.cluster !== undefined ? { stats: () => options.cluster!.storeStats() } : store,
    maxSpans: config.maxSpans,
    maxSpanBytes: config.maxSpanBytes,
    targetDelayMs: config.ingestDelayTargetMs,
    windowMinutes: config.windowMinutes,
    heapShare: options.heapShare,
  });
  const bodyLimits = { spans: config.maxBodyBytes, otlp: config.maxBodyBytes, logs: config.maxLogBodyBytes };
  const gate = new RefusalGate(admission, config.corsOrigin, bodyLimits, new InflightBodies(config.maxInflightBodyBytes));
  const drain = new ConnectionDrain();
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    // Per-request lines at info would dominate the hot path's cost; they are logged at debug.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    schemaErrorFormatter,
    return503OnClosing: true,
    requestTimeout: config.requestTimeoutMs,
    clientErrorHandler: clientErrorHandler(config.requestTimeoutMs),
    forceCloseConnections: 'idle',
    // The server Fastify would make, with the refusal gate in front: refused ingest never reaches
    // Fastify (refusal-gate.ts says why).
    // Fastify passes its options with their defaults filled in.
    serverFactory: (handler, fastifyOptions) => {
      const serverOptions = fastifyOptions as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number };
      const server = createServer(
        {
          ServerResponse: drain.Response,
          keepAliveTimeout: serverOptions.keepAliveTimeout,
          // The whole request, headers included, within REQUEST_TIMEOUT_MS (Node's default for
          // headers is 60 s, beyond it); the preParsing hook reads ingest bodies under the same
          // clock, since Node times the request until its last byte has arrived.
          requestTimeout: serverOptions.requestTimeout,
          headersTimeout: serverOptions.requestTimeout,
          // Node looks for expired requests on this timer (30 s by default, which would double
          // the timeout): a tenth of it, so a request ends at most 10% late.
          connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(serverOptions.requestTimeout / 10))),
        },
        (req, res) => {
          if (!gate.tryRefuse(req, res)) handler(req, res);
        },
      );
      server.setTimeout(serverOptions.connectionTimeout);
      return server;
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler());
  registerJsonBodyParser(app);
  const logStore = options.logStore ?? new MinuteLogStore({ clock, windowMinutes: config.windowMinutes });
  const durableLogStore = ingestLog === undefined ? logStore : new DurableLogStore(ingestLog, logStore, clock, config.windowMinutes);
  const metrics = new CollectorMetrics(
    options.cluster !== undefined ? { stats: () => options.cluster!.storeStats() } : store,
    {
      maxSpans: config.maxSpans,
      eventLoopLagMs: () => admission.eventLoopLagMs,
      shedShare: () => admission.shedShare,
      queueDelayMs: () => admission.queueDelayMs,
      queueLength: () => admission.queue.length,
      refusals: gate,
      inflightBodyBytes: () => gate.inflight.bytes,
      maxInflightBodyBytes: config.maxInflightBodyBytes,
    },
    { stats: () => logStore.stats(), maxLogs: config.maxLogs },
  );

  if (sampling !== undefined) {
    sampling.observe(metrics.samplingObserver());
    metrics.samplingState = () => sampling.state();
    // Tail decisions go into the log beside the spans, so that replay takes them as they were
    // taken instead of deciding again (sampling-store.ts says why). A head-only sampler takes none.
    if (ingestLog !== undefined && options.cluster === undefined) {
      sampling.logDecisions(decisionLogger(ingestLog, clock, (error) => app.log.warn({ err: error }, 'a tail-sampling decision could not be logged; replay would keep its trace')));
    }
  }

  // A callback hook, not an async one: it runs for every request, and a promise per request is
  // garbage and a microtask for nothing.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requestDuration.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    // A 503 is a refusal the collector chose (a budget, overload), counted by reason: logging each
    // one at error would flood the log exactly when the collector is busiest.
    if (reply.statusCode >= 500 && reply.statusCode !== 503) request.log.error({ route, statusCode: reply.statusCode }, 'request failed');
    else if (request.log.level === 'debug' || request.log.level === 'trace') {
      request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request');
    }
    done();
  });

  // A batch the ingest log could not make durable is a refusal (503, reason storage) on every ingest route.
  app.setErrorHandler(withStorageRefusal(gate, answerErrors(config.maxBodyBytes)));

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  );

  await app.register(cors, {
    origin: config.corsOrigin === true ? '*' : config.corsOrigin,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'content-encoding', 'traceparent', 'tracestate'],
    // X-Traced-Partial: a dashboard in a browser may show that an answer misses a peer.
    exposedHeaders: ['retry-after', 'x-traced-partial'],
    maxAge: 600,
  });
  await app.register(docsRoutes);
  let replaying: ReplayProgress | undefined;
  await app.register(healthRoutes, { replaying: () => replaying, cluster: options.cluster });
  await app.register(spansRoutes, { store: writer, metrics, admission, gate });
  const sources = querySources({ config, clock, store, metrics, log: app.log, peers: options.peers, readYourWrites: options.readYourWrites, cluster: options.cluster });
  app.addHook('onClose', async () => sources.close());
  const queries = sources.queries;
  await app.register(tracesRoutes, { store: queries });
  await app.register(servicesRoutes, { store: queries });
  await app.register(statsRoutes, { store: queries });
  await app.register(dependenciesRoutes, { store: queries });
  await app.register(internalQueryRoutes, { store: sources.own, applied: sources.applied, readWaitMs: sources.readWaitMs, replaying: sources.replaying, scoped: sources.scoped });
  await app.register(metricsRoutes, { metrics });
  await app.register(otlpRoutes, { store: writer, metrics, admission, gate, windowMinutes: config.windowMinutes, maxBodyBytes: config.maxBodyBytes, maxSpansPerRequest: config.maxOtlpSpansPerRequest });
  await app.register(logsRoutes, { logStore: durableLogStore, store: queries, metrics, gate, maxLogs: config.maxLogs, maxLogBytes: config.maxLogBytes, maxLogBodyBytes: config.maxLogBodyBytes });
  await app.register(otlpLogsRoutes, {
    logStore: durableLogStore,
    metrics,
    gate,
    windowMinutes: config.windowMinutes,
    maxLogs: config.maxLogs,
    maxLogBytes: config.maxLogBytes,
    maxLogBodyBytes: config.maxLogBodyBytes,
    maxRecordsPerRequest: config.maxOtlpSpansPerRequest,
  });
  await app.register(zipkinSpansRoutes, { store: writer, metrics, admission, gate, maxSpansPerRequest: config.maxOtlpSpansPerRequest, maxBodyBytes: config.maxBodyBytes });
  await app.register(zipkinQueryRoutes, { store: queries, clock });
  await app.register(dashboardRoutes);

  const grpc = new OtlpGrpcServer({
    store: writer,
    logStore: durableLogStore,
    admission,
    gate,
    metrics,
    windowMinutes: config.windowMinutes,
    maxBodyBytes: config.maxBodyBytes,
    maxLogBodyBytes: config.maxLogBodyBytes,
    maxLogs: config.maxLogs,
    maxLogBytes: config.maxLogBytes,
    maxItemsPerRequest: config.maxOtlpSpansPerRequest,
    logError: (error, message) => app.log.error({ err: error }, message),
  });
  drain.attach(grpc);

  const ingestLogMetrics = ingestLog === undefined ? undefined : new IngestLogMetrics(metrics.registry, ingestLog);
  const participants: EvictionParticipant[] = [logEviction(logStore, (logs) => metrics.logsEvicted.inc(logs)), storeEviction(store, (spans) => metrics.spansEvicted.inc(spans))];
  if (options.cluster !== undefined) {
    registerClusterMetrics(metrics.registry, options.cluster);
    participants.push(options.cluster.eviction((spans) => metrics.spansEvicted.inc(spans)));
  }
  // Segments go whole once the window has passed everything in them: one unlink a minute.
  if (ingestLog !== undefined) {
    participants.push({ evict: async () => ({ evicted: await ingestLog.evict(clock.nowMs()), pending: false }), onEvicted: () => undefined });
  }
  const eviction = new EvictionTicker({
    // Logs leave the window on the same tick as spans, first: whole minutes, cheap.
    participants,
    intervalMs: options.evictionIntervalMs ?? 1000,
    onError: (error) => app.log.error({ err: error }, 'eviction failed'),
  });
  // Tail decisions are taken once a second (tests call sampling.sweep() after moving the clock);
  // a head-only sampler's sweep returns at once.
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    eviction.start();
    admission.start();
    if (sampling !== undefined) {
      sweeper = setInterval(() => void sampling.sweep().catch((error: unknown) => app.log.error({ err: error }, 'tail sampling failed')), 1000);
      sweeper.unref();
    }
  });
  app.addHook('onClose', async () => {
    // After a drain this is already done; a plain app.close() (tests) stops gRPC here.
    await grpc.close();
    eviction.stop();
    admission.stop();
    if (sweeper !== undefined) clearInterval(sweeper);
  });
  const replay = async (): Promise<void> => {
    if (ingestLog === undefined) return;
    const progress = emptyProgress();
    replaying = progress;
    gate.setUnavailable({ reason: 'replaying', retryAfterSec: 2, message: 'the collector is replaying its ingest log after a start; retry in a moment' });
    // The tail sampler takes the logged decisions and none of its own until replay is over
    // (a head-only sampler has none to take).
    sampling?.beginReplay();
    await replayLog({
      dir: ingestLog.dir,
      clock,
      windowMinutes: config.windowMinutes,
      // Behind the ingest log: replayed batches are not written again.
      writer: store,
      logStore,
      progress,
      log: (level, fields, message) => app.log[level](fields, message),
      // Taken on before replay, so the passed ones are deleted now, by the log's own eviction.
      onSegmentsFound: async (segments) => {
        ingestLog.adopt(segments);
        await ingestLog.evict(clock.nowMs());
      },
      replayClock: options.replayClock,
      applyDecisions: sampling === undefined ? undefined : (decisions) => sampling.applyLogged(decisions),
      // The ticker's own round (logs, spans, then segments), as live eviction ran it.
      evict: () => eviction.tick(),
    });
    // Traces still waiting had no logged decision (taken too late, or lost in the crash): kept.
    await sampling?.endReplay();
    ingestLogMetrics?.replayed(progress);
    replaying = undefined;
    gate.setUnavailable(undefined);
  };
  return { app, metrics, eviction, admission, gate, drain, grpc, logStore, sampling, replay };
}
