import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { configFromObject } from '../src/config/load-config.js';
import type { Config } from '../src/config/schema.js';
import { createDaemon, type Daemon } from '../src/daemon/daemon.js';
import { createServices, type Services } from '../src/daemon/services.js';
import type { LedgerRecord } from '../src/ledger/ledger.js';
import type { OrderState } from '../src/ledger/order-state.js';
import { startBrpSimulator, type BrpSimulator, type FaultConfig } from '../src/simulator/index.js';
import { Redis } from 'ioredis';
import { startPostgres, truncateLedger, type PrivatePostgres } from './private-postgres.js';
import { startRedis, type PrivateRedis } from './private-redis.js';
import { testLogger } from './test-logs.js';

export const XSD_PATH = resolve(import.meta.dirname, '../xsd/createpartnerorder.xsd');
export const TEST_API_KEY = 'test-key-7f3a9c1e5b';
/** retention.erasureKey of every test config (the key is required). */
export const TEST_ERASURE_KEY = 'test-erasure-key-4b1d9e7a0c3f5a8e2d6b';
/**
 * Tenant settings for a test whose orders are meant to die one by one after their retries: BRP
 * failing every call would otherwise open the tenant's circuit breaker, which holds the orders
 * instead (test/integration/brp-outage.test.ts covers that).
 */
export const BREAKER_OFF = { breaker: { failures: 1_000, timeouts: 1_000 } };

export const TEST_CATALOGUE = {
  businessUnits: [{ id: 1, name: 'Odenplan' }, { id: 2, name: 'Göteborg City' }],
  products: [
    { number: '1001', name: 'Årskort gym', type: 'subscription', vatRate: 6 },
    { number: '1002', name: '10-klipp', type: 'Klippkort', vatRate: 6 },
    { number: '2001', name: 'Handduk', type: 'article', vatRate: 25 },
    { number: '3001', name: 'Proteinbar', type: 'article', vatRate: 12 },
  ],
};

export async function startSimulator(faults: FaultConfig = {}, logger?: Logger): Promise<BrpSimulator> {
  return startBrpSimulator({
    xsdPath: XSD_PATH,
    instances: { t1: { apiKey: TEST_API_KEY, catalogue: TEST_CATALOGUE } },
    faults,
    logger,
  });
}

/** Where a test's stores are. A test that never connects may leave `database` out. */
export interface StoreUrls {
  redis: string;
  database?: string;
}

/** A URL nothing listens on: for tests that build a config but never reach the ledger. */
export const UNUSED_DATABASE_URL = 'postgres://postgres@127.0.0.1:9/unused';

/** A config for tests: fast back-off, short timeouts, one tenant `t1` on the simulator. */
export function testConfig(stores: StoreUrls, baseUrl: string, tenant: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Config {
  return configFromObject(
    {
      database: { url: stores.database ?? UNUSED_DATABASE_URL, poolSize: 20, connectTimeoutMs: 2_000 },
      redis: { url: stores.redis, prefix: 'pdtest' },
      xsdPath: XSD_PATH,
      queue: { lockDurationMs: 2_000, maxStalledCount: 10, keepCompletedSeconds: 60, reconcileIntervalMs: 1_000 },
      shutdownGraceMs: 5_000,
      tenants: {
        t1: {
          baseUrl,
          apiKey: TEST_API_KEY,
          rateLimit: { max: 1000, durationMs: 1000 },
          concurrency: 8,
          timeouts: { connectMs: 1_000, responseMs: 1_500 },
          retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200, jitter: 0.2 },
          authProbeIntervalMs: 300,
          ...tenant,
        },
      },
      // Security tests send many wrong credentials from 127.0.0.1 on purpose; the failure limit
      // has tests of its own (test/ingest/http/push-limits.test.ts) with tight limits.
      ingest: { http: { authFailures: { maxFailures: 100_000, windowSeconds: 60, blockSeconds: 1 } } },
      ...extra,
      retention: { erasureKey: TEST_ERASURE_KEY, ...(extra.retention as Record<string, unknown> | undefined) },
    },
    'test-config',
    {},
  );
}

/** A private redis-server and PostgreSQL cluster, the ledger's schema migrated. */
export interface Stores {
  redis: PrivateRedis;
  postgres: PrivatePostgres;
  urls: { redis: string; database: string };
  stop(): Promise<void>;
}

/** Empties both stores between the tests of a file that shares them. */
export async function resetStores(stores: Stores): Promise<void> {
  const r = new Redis(stores.redis.url);
  try {
    await r.flushall();
  } finally {
    r.disconnect();
  }
  await truncateLedger(stores.postgres.url);
}

export async function startStores(): Promise<Stores> {
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  return {
    redis, postgres, urls: { redis: redis.url, database: postgres.url },
    async stop() {
      await Promise.all([redis.stop(), postgres.destroy()]);
    },
  };
}

export interface Pipeline {
  redis: PrivateRedis;
  postgres: PrivatePostgres;
  sim: BrpSimulator;
  services: Services;
  daemon: Daemon;
  lines: Array<Record<string, unknown>>;
  waitForState(key: string, states: OrderState | OrderState[], timeoutMs?: number): Promise<LedgerRecord>;
  close(): Promise<void>;
}

export async function startPipeline(
  options: {
    faults?: FaultConfig;
    tenant?: Record<string, unknown>;
    baseUrl?: string;
    redis?: PrivateRedis;
    postgres?: PrivatePostgres;
    /** Both of the above (a file's shared stores); the pipeline does not stop them. */
    stores?: Stores;
    /** Merged into the config at the top level (e.g. `portals`, `ingest`). */
    extra?: Record<string, unknown>;
    /** Let the daemon start the configured ingest paths itself (push server on a free port). */
    ingest?: boolean;
    /** Append the log lines to the run's log file that the log audit (test/log-audit/) reads (default true). */
    auditLog?: boolean;
  } = {},
): Promise<Pipeline> {
  const ownRedis = !options.redis && !options.stores;
  const ownPostgres = !options.postgres && !options.stores;
  const [redis, postgres] = await Promise.all([
    options.stores?.redis ?? options.redis ?? startRedis(),
    options.stores?.postgres ?? options.postgres ?? startPostgres(),
  ]);
  const { logger, lines } = testLogger('debug', { toFile: options.auditLog ?? true });
  const sim = await startSimulator(options.faults ?? {});
  const config = testConfig({ redis: redis.url, database: postgres.url }, options.baseUrl ?? sim.baseUrl('t1'), options.tenant, options.extra);
  const services = await createServices(config, logger, { schema: 'run' });
  const daemon = createDaemon(services, { ingest: options.ingest ?? false, http: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } });
  await daemon.start();
  return {
    redis, postgres, sim, services, daemon, lines,
    async waitForState(key, states, timeoutMs = 10_000) {
      const want = Array.isArray(states) ? states : [states];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rec = await services.ledger.get(key);
        if (rec && want.includes(rec.state)) return rec;
        if (Date.now() > deadline) throw new Error(`${key} did not reach ${want.join('/')} (is ${rec?.state ?? 'missing'})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await daemon.stop('test');
      await services.close();
      await sim.close();
      if (ownRedis) await redis.stop();
      if (ownPostgres) await postgres.destroy();
    },
  };
}

export function events(lines: Array<Record<string, unknown>>, event: string, ordernr?: string) {
  return lines.filter((l) => l.event === event && (ordernr === undefined || l.ordernr === ordernr));
}
