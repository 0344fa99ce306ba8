import type { Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { createAdminServer, listenAdminServer, type AdminServer } from '../admin/http/admin-server.js';
import type { StoreProbe } from '../admin/http/readiness.js';
import { registerOperatorRoutes } from '../admin/http/operator-routes.js';
import { BrpClient } from '../brp/brp-client.js';
import { startIngestServer, type IngestServer } from '../ingest/http/ingest-server.js';
import { createSopIngest, type SopIngest } from '../ingest/file-drop/sop-ingest.js';
import { createPullIngest, type PullIngest } from '../ingest/pull/pull-ingest.js';
import { logEvent } from '../observability/log-event.js';
import { collectProcessMetrics, initialiseOrderCounters, processRegistry, setMetricsRecording } from '../observability/metrics.js';
import { registerStateGauges } from './state-gauges.js';
import type { ExclusiveSchedule } from '../ingest/exclusive-schedule.js';
import { scheduleRetention } from '../privacy/retention.js';
import { createBrpWorker } from '../queue/brp-worker.js';
import { Reconciler, type ReconcileReason } from '../queue/reconciler.js';
import { TenantProber } from '../queue/tenant-prober.js';
import type { OrderJob } from '../queue/tenant-queues.js';
import { createRedis, type Services } from './services.js';
import { closeWithin, CLOSE_STEP_MS } from './bounded-close.js';
import { PartnerdError } from '../errors.js';

/** How often the daemon checks that Redis still holds its data (a marker key it wrote). */
const REDIS_DATA_CHECK_MS = 5_000;

export interface Daemon {
  start(): Promise<void>;
  /** The push-ingest server's URL, when it runs. */
  readonly ingestUrl: string | undefined;
  /** The admin listener's URL (/healthz, /readyz, /metrics), when it runs. */
  readonly adminUrl: string | undefined;
  /** Stops taking jobs, lets in-flight BRP calls finish within the grace period, closes everything. */
  stop(reason?: string): Promise<void>;
}

export interface DaemonOptions {
  /** Start the ingest paths the config enables (default true; tests of the spine turn it off). */
  ingest?: boolean;
  /** Override the push server's address (tests: port 0). */
  http?: { host?: string; port?: number };
  /** Override the admin listener's address (tests: port 0). */
  admin?: { host?: string; port?: number };
  /** More stores /readyz must reach (each `{ name, probe }`, bounded at 1 s); PostgreSQL and Redis are always checked. */
  stores?: readonly StoreProbe[];
}

/**
 * The long-running part of partnerd: one BullMQ worker and one BRP connection pool per tenant,
 * the reconciler, the auth probe for paused tenants, and the ingest paths the config turns on
 * (push server, Wellnet/Epassi polls and their outcome notifier, the S&P inbox and receipts).
 */
export function createDaemon(services: Services, options: DaemonOptions = {}): Daemon {
  const { config, logger, ledger, pause, queues, limiter, documents } = services;
  const workerRedis = createRedis(config.redis, 'worker');
  workerRedis.on('error', () => undefined); // reported by the commands connection; avoid duplicate noise
  const clients = new Map<string, BrpClient>();
  const workers: Worker<OrderJob>[] = [];
  const timers: NodeJS.Timeout[] = [];
  // Adding a job twice is harmless (its id is the key's); the short age only avoids racing intake.
  const reconciler = new Reconciler(ledger, queues, logger, { minAgeMs: 2_000, ordersPerSec: config.queue.reconcileOrdersPerSec });
  const dataMarker = `${config.redis.prefix}:epoch`;
  let stopping: Promise<void> | undefined;
  let ingestServer: IngestServer | undefined;
  let pull: PullIngest | undefined;
  let sop: SopIngest | undefined;
  let admin: AdminServer | undefined;
  let workersStarted = false;

  // What /readyz checks besides the config and the workers: every store the daemon needs.
  const stores: StoreProbe[] = [
    // The system of record: without it nothing can be accepted or recorded.
    { name: 'postgres', probe: () => ledger.ping() },
    {
      name: 'redis',
      // Not connected: no answer is coming (the offline queue would only make the probe wait).
      probe: async () => {
        if (services.redis.status !== 'ready') throw new PartnerdError('PD_REDIS_UNAVAILABLE', `connection ${services.redis.status}`);
        await services.redis.ping();
      },
    },
    ...(options.stores ?? []),
  ];

  async function startAdmin(): Promise<void> {
    const { http } = config.admin;
    if (!http.enabled) {
      setMetricsRecording(false); // nothing could read them
      return;
    }
    collectProcessMetrics();
    initialiseOrderCounters(Object.keys(config.tenants), Object.keys(config.portals));
    const stateRegistry = new Registry();
    registerStateGauges(stateRegistry, services, { onError: (reason) => logEvent(logger, 'admin.metrics_failed', { reason }) });
    const app = createAdminServer({
      logger,
      registries: [processRegistry, stateRegistry],
      stores,
      configSource: config.source,
      workersRunning: () => workersStarted && workers.every((w) => w.isRunning()),
      shuttingDown: () => stopping !== undefined,
    });
    // The admin API and the web console: on this listener only, never on the push port.
    await registerOperatorRoutes(app, services);
    admin = await listenAdminServer(app, logger, options.admin?.host ?? http.host, options.admin?.port ?? http.port);
  }
  let retention: ExclusiveSchedule | undefined;

  for (const tenant of Object.values(config.tenants)) {
    const client = new BrpClient(tenant);
    clients.set(tenant.name, client);
    workers.push(createBrpWorker({ config, tenant, connection: workerRedis, ledger, limiter, client, documents, pause, logger }));
  }

  function reconcile(why: ReconcileReason): void {
    if (stopping) return;
    reconciler.runOnce(why).catch((err) => logEvent(logger, 'reconcile.error', { err, why }));
  }

  /**
   * Redis only holds work, and can lose it (a restart without persistence, a failover that
   * dropped writes, a FLUSHALL). A marker key written at start tells: when it is gone, every
   * live order is queued again from the ledger at once, not at the next periodic pass.
   */
  async function checkRedisData(): Promise<void> {
    if ((await services.redis.set(dataMarker, new Date().toISOString(), 'NX')) === 'OK') {
      logEvent(logger, 'redis.data_lost', {});
      reconcile('redis data lost');
    }
  }

  const prober = new TenantProber(config, pause, clients, logger);

  function every(ms: number, task: () => Promise<unknown>, failure: 'reconcile.error' | 'probe.error'): void {
    let running = false;
    const t = setInterval(() => {
      if (running || stopping) return;
      running = true;
      task().catch((err) => logEvent(logger, failure, { err })).finally(() => { running = false; });
    }, ms);
    t.unref();
    timers.push(t);
  }

  return {
    async start() {
      // First, so /healthz answers and /readyz says why it is not ready while the rest starts.
      await startAdmin();
      // A paused tenant stays paused across restarts: make sure its queue agrees.
      for (const name of Object.keys(config.tenants)) if (await pause.info(name)) await queues.get(name).pause();
      for (const w of workers) void w.run();
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      await services.redis.set(dataMarker, new Date().toISOString(), 'NX');
      await reconciler.runOnce('start').catch((err) => logEvent(logger, 'reconcile.error', { err, why: 'start' }));
      every(config.queue.reconcileIntervalMs, () => reconciler.runOnce('periodic'), 'reconcile.error');
      every(Math.min(REDIS_DATA_CHECK_MS, config.queue.reconcileIntervalMs), checkRedisData, 'reconcile.error');
      // A Redis that comes back may have come back empty: look at once.
      let redisWasDown = false;
      workerRedis.on('close', () => { redisWasDown = true; });
      workerRedis.on('ready', () => {
        if (!redisWasDown) return;
        redisWasDown = false;
        void checkRedisData().catch(() => undefined);
        reconcile('redis reconnected');
      });
      if (Object.keys(config.tenants).length > 0) every(prober.tickMs(), () => prober.runOnce(), 'probe.error');
      // Ingest last: orders are only taken in once the workers that send them are running.
      const portals = options.ingest === false ? {} : config.portals;
      if (portals.wellnet || portals.epassi) {
        pull = createPullIngest(services);
        pull.start();
      }
      if (portals.sop) {
        sop = createSopIngest(services);
        sop.start();
      }
      if (config.ingest.http.enabled && (portals.benify || portals.actiway)) {
        ingestServer = await startIngestServer(services, options.http);
      }
      // Personal data, S&P files and old records: daily, once per tick across replicas.
      retention = scheduleRetention({ database: services.database, config, logger, redis: services.redis, prefix: config.redis.prefix });
      workersStarted = true;
      logEvent(logger, 'daemon.started', { tenants: Object.keys(config.tenants), portals: Object.keys(portals), portalsOff: config.portalsOff ?? [], ingestUrl: ingestServer?.url, adminUrl: admin?.url });
    },

    get ingestUrl() {
      return ingestServer?.url;
    },

    get adminUrl() {
      return admin?.url;
    },

    stop(reason = 'stop') {
      stopping ??= (async () => {
        logEvent(logger, 'daemon.stopping', { reason, graceMs: config.shutdownGraceMs });
        for (const t of timers) clearInterval(t);
        reconciler.stop();
        // Every step is bounded (closeWithin): a store that stops answering must not keep the
        // daemon from stopping. Stop taking orders in first (a request in progress completes,
        // within the grace period), then drain the workers.
        const grace = { ms: config.shutdownGraceMs };
        if (ingestServer) await closeWithin(logger, 'ingest listener', () => ingestServer!.close().catch((err) => logEvent(logger, 'ingest.close_failed', { err })), grace);
        sop?.stop();
        retention?.stop();
        if (pull) await closeWithin(logger, 'pull ingest', () => pull!.stop().catch((err) => logEvent(logger, 'pull.stop_failed', { err })), grace);
        const graceful = Promise.all(workers.map((w) => w.close()));
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<'expired'>((r) => { timer = setTimeout(() => r('expired'), config.shutdownGraceMs); });
        const result = await Promise.race([graceful.then(() => 'drained' as const), expired]);
        clearTimeout(timer);
        if (result === 'expired') {
          // Calls still in flight are abandoned; their attempts stay open and become in-doubt on the next run.
          logEvent(logger, 'daemon.grace_expired', {});
          await closeWithin(logger, 'workers', () => Promise.all(workers.map((w) => w.close(true).catch(() => undefined))));
        }
        // Drained: the pools are idle and close at once. Not drained: what is still in flight is abandoned.
        await closeWithin(logger, 'BRP connections', () => Promise.all([...clients.values()].map((c) => (result === 'drained' ? c.close() : c.destroy()).catch(() => undefined))));
        await closeWithin(logger, 'Redis (workers)', () => workerRedis.quit(), { ms: CLOSE_STEP_MS, onTimeout: () => workerRedis.disconnect() });
        // Last: /readyz answers 503 "shutting down" for the whole drain.
        if (admin) await closeWithin(logger, 'admin listener', () => admin!.close().catch((err) => logEvent(logger, 'admin.close_failed', { err })));
        logEvent(logger, 'daemon.stopped', { reason });
      })();
      return stopping;
    },
  };
}
