import type { Worker } from 'bullmq';
import { BrpClient } from '../brp/brp-client.js';
import { startIngestServer, type IngestServer } from '../ingest/http/ingest-server.js';
import { createSopIngest, type SopIngest } from '../ingest/file-drop/sop-ingest.js';
import { createPullIngest, type PullIngest } from '../ingest/pull/pull-ingest.js';
import type { ExclusiveSchedule } from '../ingest/exclusive-schedule.js';
import { scheduleRetention } from '../privacy/retention.js';
import { createBrpWorker } from '../queue/brp-worker.js';
import { Reconciler } from '../queue/reconciler.js';
import type { OrderJob } from '../queue/tenant-queues.js';
import { createRedis, type Services } from './services.js';

/** How often the daemon checks that Redis still holds its data (a marker key it wrote). */
const REDIS_DATA_CHECK_MS = 5_000;

export interface Daemon {
  start(): Promise<void>;
  /** The push-ingest server's URL, when it runs. */
  readonly ingestUrl: string | undefined;
  /** Stops taking jobs, lets in-flight BRP calls finish within the grace period, closes everything. */
  stop(reason?: string): Promise<void>;
}

export interface DaemonOptions {
  /** Start the ingest paths the config enables (default true; tests of the spine turn it off). */
  ingest?: boolean;
  /** Override the push server's address (tests: port 0). */
  http?: { host?: string; port?: number };
}

/**
 * The long-running part of partnerd: one BullMQ worker and one BRP connection pool per tenant,
 * the reconciler, the auth probe for paused tenants, and the ingest paths the config turns on
 * (push server, Wellnet/Epassi polls and their outcome notifier, the S&P inbox and receipts).
 */
export function createDaemon(services: Services, options: DaemonOptions = {}): Daemon {
  const { config, logger, ledger, pause, queues, limiter, documents } = services;
  const workerRedis = createRedis(config.redis.url, 'worker');
  workerRedis.on('error', () => undefined); // reported by the commands connection; avoid duplicate noise
  const clients = new Map<string, BrpClient>();
  const workers: Worker<OrderJob>[] = [];
  const timers: NodeJS.Timeout[] = [];
  // Adding a job twice is harmless (its id is the key's); the short age only avoids racing intake.
  const reconciler = new Reconciler(ledger, queues, logger, 2_000);
  const dataMarker = `${config.redis.prefix}:epoch`;
  let stopping: Promise<void> | undefined;
  let ingestServer: IngestServer | undefined;
  let pull: PullIngest | undefined;
  let sop: SopIngest | undefined;
  let retention: ExclusiveSchedule | undefined;

  for (const tenant of Object.values(config.tenants)) {
    const client = new BrpClient(tenant);
    clients.set(tenant.name, client);
    workers.push(createBrpWorker({ config, tenant, connection: workerRedis, ledger, limiter, client, documents, pause, logger }));
  }

  function reconcile(why: string): void {
    if (stopping) return;
    reconciler.runOnce().catch((err) => logger.error({ event: 'reconcile.error', why, err }, 'reconcile.error'));
  }

  /**
   * Redis only holds work, and can lose it (a restart without persistence, a failover that
   * dropped writes, a FLUSHALL). A marker key written at start tells: when it is gone, every
   * live order is queued again from the ledger at once, not at the next periodic pass.
   */
  async function checkRedisData(): Promise<void> {
    if ((await services.redis.set(dataMarker, new Date().toISOString(), 'NX')) === 'OK') {
      logger.warn({ event: 'redis.data_lost' }, 'redis.data_lost: Redis no longer holds partnerd\'s queues; re-queueing live orders from the ledger');
      reconcile('redis data lost');
    }
  }

  async function probePausedTenants(): Promise<void> {
    for (const tenant of Object.values(config.tenants)) {
      if (!(await pause.info(tenant.name))) continue;
      const verdict = await clients.get(tenant.name)!.probeAuth();
      logger.info({ event: 'tenant.probe', tenant: tenant.name, verdict }, 'tenant.probe');
      if (verdict === 'accepted') await pause.resume(tenant.name, 'probe');
    }
  }

  function every(ms: number, task: () => Promise<unknown>, name: string): void {
    let running = false;
    const t = setInterval(() => {
      if (running || stopping) return;
      running = true;
      task().catch((err) => logger.error({ event: `${name}.error`, err }, `${name}.error`)).finally(() => { running = false; });
    }, ms);
    t.unref();
    timers.push(t);
  }

  return {
    async start() {
      // A paused tenant stays paused across restarts: make sure its queue agrees.
      for (const name of Object.keys(config.tenants)) if (await pause.info(name)) await queues.get(name).pause();
      for (const w of workers) void w.run();
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      await services.redis.set(dataMarker, new Date().toISOString(), 'NX');
      await reconciler.runOnce().catch((err) => logger.error({ event: 'reconcile.error', err }, 'reconcile.error'));
      every(config.queue.reconcileIntervalMs, () => reconciler.runOnce(), 'reconcile');
      every(Math.min(REDIS_DATA_CHECK_MS, config.queue.reconcileIntervalMs), checkRedisData, 'redis_check');
      // A Redis that comes back may have come back empty: look at once.
      let redisWasDown = false;
      workerRedis.on('close', () => { redisWasDown = true; });
      workerRedis.on('ready', () => {
        if (!redisWasDown) return;
        redisWasDown = false;
        void checkRedisData().catch(() => undefined);
        reconcile('redis reconnected');
      });
      const probeMs = Math.min(...Object.values(config.tenants).map((t) => t.authProbeIntervalMs));
      if (Number.isFinite(probeMs)) every(probeMs, probePausedTenants, 'probe');
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
      logger.info({ event: 'daemon.started', tenants: Object.keys(config.tenants), portals: Object.keys(portals), ingestUrl: ingestServer?.url }, 'daemon.started');
    },

    get ingestUrl() {
      return ingestServer?.url;
    },

    stop(reason = 'stop') {
      stopping ??= (async () => {
        logger.info({ event: 'daemon.stopping', reason, graceMs: config.shutdownGraceMs }, 'daemon.stopping');
        for (const t of timers) clearInterval(t);
        // Stop taking orders in first (a request in progress completes), then drain the workers.
        await ingestServer?.close().catch((err) => logger.error({ event: 'ingest.close_failed', err }, 'ingest.close_failed'));
        sop?.stop();
        retention?.stop();
        await pull?.stop().catch((err) => logger.error({ event: 'pull.stop_failed', err }, 'pull.stop_failed'));
        const graceful = Promise.all(workers.map((w) => w.close()));
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<'expired'>((r) => { timer = setTimeout(() => r('expired'), config.shutdownGraceMs); });
        const result = await Promise.race([graceful.then(() => 'drained' as const), expired]);
        clearTimeout(timer);
        if (result === 'expired') {
          // Calls still in flight are abandoned; their attempts stay open and become in-doubt on the next run.
          logger.warn({ event: 'daemon.grace_expired' }, 'daemon.grace_expired');
          await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
        }
        await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
        await workerRedis.quit().catch(() => workerRedis.disconnect());
        logger.info({ event: 'daemon.stopped', reason }, 'daemon.stopped');
      })();
      return stopping;
    },
  };
}
