/**
 * Assembles a running coordinator from a configuration: logger, store (migrated),
 * outbound caller, engine, metrics and the HTTP app, and takes them down in order.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock, Store } from '@accord/core';
import { Snowflake, systemClock } from '@accord/core';
import type { ServerConfig } from './config/config.js';
import { ConfigError, redactConfig } from './config/config.js';
import { redactUrl, redactUrlsIn } from '@accord/protocol';
import { BrokerBranchCaller } from './brokers/broker-branch-caller.js';
import { BrokerRegistry } from './brokers/broker-registry.js';
import { isBrokerTarget } from './brokers/broker-target.js';
import { CrashPoints } from './engine/crash-points.js';
import { Engine } from './engine/engine.js';
import { buildApp } from './http/app.js';
import { createLogger } from './observability/logger.js';
import { transactionLogFields } from './observability/transaction-log.js';
import { StuckWatch } from './engine/stuck-watch.js';
import { createMetrics, registerParkedGauge, registerStuckGauge } from './observability/metrics.js';
import { withAlertWebhook } from './observability/alert-webhook.js';
import { metricsObserver } from './observability/observer.js';
import { startTracing } from './observability/tracing.js';
import { RoutingBranchCaller } from './engine/routing-caller.js';
import { HttpBranchCaller } from './outbound/branch-caller.js';
import { GrpcBranchCaller } from './outbound/grpc-branch-caller.js';
import { isGrpcTarget } from './outbound/grpc-target.js';
import { startConfiguredGrpc } from './grpc/start-grpc.js';
import { RoundTrips } from './outbound/round-trips.js';
import { Participants } from './participants/participants.js';
import { TargetPolicy } from './outbound/target-policy.js';
import { openStore } from './stores/open-store.js';
import { ActivityRing, withActivity } from './dashboard/activity-ring.js';
import { dashboardRoot } from './dashboard/dashboard-root.js';
import { InstanceHeartbeat } from './dashboard/instance-heartbeat.js';
import { readStats } from './dashboard/stats.js';
import { reconcileParts } from './reconcile/jobs/reconcile-parts.js';
import { engineRepairs } from './http/reconcile-repairs.js';

/** A running coordinator. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly store: Store;
  readonly logger: Logger;
  /** Base URL it listens on, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  /** `host:port` of DTM's gRPC API; null when no gRPC port is configured. */
  readonly grpcAddress: string | null;
  /** Graceful stop: no new requests, in-flight work settles or is released, store closed. */
  close(): Promise<void>;
}

/** Optional overrides, mainly for tests. */
export interface StartOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Told of every route the HTTP app registers (Fastify's `onRoute`), HEAD routes too. */
  readonly onRoute?: (route: { readonly method: string | string[]; readonly url: string }) => void;
  /** Folder of the built web UI, instead of the `@accord/dashboard` package's. */
  readonly uiRoot?: string;
}

/** Starts a coordinator and resolves once it listens. */
export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel, config.logFormat);
  const clock = options.clock ?? systemClock;
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (error) {
    throw new ConfigError(
      `ACCORD_DATA_DIR (${config.dataDir}) cannot be created: ${(error as Error).message}`,
    );
  }
  const store = await openConfiguredStore(config);
  if (!store.capabilities.durableCommits) {
    logger.warn(
      { store: store.kind, url: redactUrl(config.store) },
      `the ${store.kind} store does not make commits durable: a crash can lose changes already acknowledged`,
    );
  }
  const owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const policy = new TargetPolicy({ allowed: config.allowedTargets, denied: config.deniedTargets });
  const roundTrips = new RoundTrips();
  const http = new HttpBranchCaller({
    policy,
    clock,
    signingSecret: config.signingSecret,
    roundTrips,
  });
  const brokers = config.brokers.length > 0 ? new BrokerRegistry(config.brokers, { clock }) : null;
  let grpcAddress: string | null = null;
  const grpcCaller = new GrpcBranchCaller({
    policy,
    clock,
    signingSecret: config.signingSecret,
    dtmAddress: () => grpcAddress ?? '',
  });
  const tracing = await startTracing(config.otel ?? {}, logger);
  const routing = new RoutingBranchCaller(http, [
    { takes: isGrpcTarget, caller: grpcCaller, unconfigured: '' },
    {
      takes: isBrokerTarget,
      caller:
        brokers &&
        new BrokerBranchCaller({ registry: brokers, clock, signingSecret: config.signingSecret }),
      unconfigured:
        'the target names a broker, but this instance has none configured (ACCORD_BROKERS)',
    },
  ]);
  const caller = tracing?.traceCalls(routing) ?? routing;
  const metrics = createMetrics(store, () => engine.inFlight);
  const activity = new ActivityRing(() => clock.now());
  const measured = withActivity(metricsObserver(metrics, logger), activity);
  const observer = tracing?.traceEngine(measured) ?? measured;
  registerParkedGauge(metrics, store);
  const participants = new Participants({
    config: config.participants,
    kv: store.kv,
    clock,
    registry: metrics.registry,
    onError: (error) => logger.warn({ err: error }, 'could not read the paused participants'),
    onAction: (action) => logger.info(action, `participant ${action.action}d`),
  });
  try {
    await participants.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  const alerting =
    config.alertUrl === null
      ? observer
      : withAlertWebhook(observer, {
          url: config.alertUrl,
          clock,
          logger,
          signingSecret: config.signingSecret,
        });
  const engine: Engine = new Engine({
    store,
    caller,
    gate: participants.gate,
    clock,
    owner,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
    maxInFlight: config.maxInFlight,
    crash: new CrashPoints(config.crashPoints),
    retentionMs: config.retentionMs,
    stuckAfter: config.stuckAfter,
    observer: alerting,
    onError: (error, context, tx) =>
      logger.warn(
        { ...(tx === undefined ? {} : transactionLogFields(tx)), err: error, context },
        'engine error',
      ),
  });
  const heartbeat = new InstanceHeartbeat({
    kv: store.kv,
    nodeId: owner,
    leases: () => engine.inFlight,
    now: () => clock.now(),
    onError: (error) => logger.warn({ err: error }, 'instance heartbeat failed'),
  });
  const stuckWatch = new StuckWatch({
    store,
    clock,
    thresholds: config.stuckAfter,
    intervalMs: config.stuckCheckMs,
    onStuck: (tx, thresholdMs) =>
      alerting.alert(
        {
          kind: 'stuck',
          gid: tx.gid,
          branchId: '-',
          op: null,
          reason: `${tx.mode} transaction still ${tx.status} more than ${thresholdMs} ms after it was created`,
        },
        tx,
      ),
    onError: (error, context) => logger.warn({ err: error, context }, 'engine error'),
  });
  registerStuckGauge(metrics, () => stuckWatch.counts);
  const ids = new Snowflake(config.nodeId, clock);
  const create = {
    config,
    policy,
    brokers,
    newGid: () => ids.next().toString(),
    now: () => clock.now(),
  };
  const reconcile = reconcileParts({
    config,
    store,
    repairs: engineRepairs(engine, create),
    clock,
    owner,
    logger,
  });
  const app = await buildApp({
    reconcile,
    engine,
    store,
    registry: metrics.registry,
    ids,
    create,
    tokens: { token: config.token, adminToken: config.adminToken, named: config.tokens },
    participants,
    bodyLimit: config.bodyLimit,
    maxSteps: config.maxSteps,
    waitResultCapMs: config.waitResultCapMs,
    tccRest: { safetyMarginMs: config.tccRestMarginMs, roundTrips, now: () => clock.now() },
    logger,
    onRoute: options.onRoute,
    onAnswered(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      metrics.apiRequests.inc(labels);
      metrics.apiDuration.observe(labels, seconds);
    },
    stats: () =>
      readStats({
        store,
        activity,
        heartbeat,
        stuck: () => stuckWatch.counts,
        now: () => clock.now(),
      }),
    uiRoot: config.ui ? (options.uiRoot ?? dashboardRoot()) : null,
  });
  engine.start();
  heartbeat.start();
  stuckWatch.start();
  reconcile.scheduler.start();
  const address = await app.listen({ host: config.host, port: config.port });
  const grpc = await startConfiguredGrpc(config, { engine, create, logger }).catch(
    async (error: unknown) => {
      await app.close();
      await reconcile.stop();
      await heartbeat.stop();
      await stuckWatch.stop();
      await engine.stop(0);
      await participants.stop();
      await caller.close();
      await store.close();
      await tracing?.shutdown();
      throw error;
    },
  );
  grpcAddress = grpc?.address ?? null;
  logger.info(
    { config: redactConfig(config), address, grpcAddress, owner, store: store.kind },
    'accord coordinator listening',
  );
  return {
    app,
    engine,
    store,
    logger,
    url: address.replace('[::1]', 'localhost'),
    grpcAddress,
    async close() {
      await grpc?.close();
      await app.close();
      await reconcile.stop();
      await heartbeat.stop();
      await stuckWatch.stop();
      await engine.stop(config.shutdownGraceMs);
      await participants.stop();
      await caller.close();
      await store.close();
      await tracing?.shutdown();
      logger.info('accord coordinator stopped');
    },
  };
}

/**
 * Opens and migrates the configured store, first taking it for this process alone when
 * it cannot be shared. A store that cannot be reached, opened or taken is a
 * {@link ConfigError} naming `ACCORD_STORE` (password hidden), not a stack trace.
 */
async function openConfiguredStore(config: ServerConfig): Promise<Store> {
  let store: Store | undefined;
  try {
    store = await openStore(config.store, { dataDir: config.dataDir });
    if (!store.capabilities.sharedByInstances) await store.lockExclusive?.();
    await store.migrate();
    return store;
  } catch (error) {
    await store?.close().catch(() => undefined);
    const why = error instanceof Error ? error.message || error.name : String(error);
    throw new ConfigError(
      `ACCORD_STORE (${redactUrl(config.store)}) cannot be opened: ${redactUrlsIn(why)}`,
    );
  }
}
