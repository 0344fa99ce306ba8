import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { configFromObject } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { createDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { createServices, type Services } from '../../src/daemon/services.js';
import type { LedgerRecord } from '../../src/ledger/ledger.js';
import type { OrderState } from '../../src/ledger/order-state.js';
import { startBrpSimulator, type BrpSimulator, type FaultConfig } from '../../src/simulator/index.js';
import { startRedis, type PrivateRedis } from './redis-server.js';
import { testLogger } from './test-logs.js';

export const XSD_PATH = resolve(import.meta.dirname, '../../xsd/createpartnerorder.xsd');
export const TEST_API_KEY = 'test-key-7f3a9c1e5b';

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

/** A config for tests: fast back-off, short timeouts, one tenant `t1` on the simulator. */
export function testConfig(redisUrl: string, baseUrl: string, tenant: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Config {
  return configFromObject(
    {
      redis: { url: redisUrl, prefix: 'pdtest' },
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
      ...extra,
    },
    'test-config',
    {},
  );
}

export interface Pipeline {
  redis: PrivateRedis;
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
    /** Merged into the config at the top level (e.g. `portals`, `ingest`). */
    extra?: Record<string, unknown>;
    /** Let the daemon start the configured ingest paths itself (push server on a free port). */
    ingest?: boolean;
  } = {},
): Promise<Pipeline> {
  const redis = options.redis ?? (await startRedis());
  const { logger, lines } = testLogger();
  const sim = await startSimulator(options.faults ?? {});
  const config = testConfig(redis.url, options.baseUrl ?? sim.baseUrl('t1'), options.tenant, options.extra);
  const services = await createServices(config, logger);
  const daemon = createDaemon(services, { ingest: options.ingest ?? false, http: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } });
  await daemon.start();
  return {
    redis, sim, services, daemon, lines,
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
      if (!options.redis) await redis.stop();
    },
  };
}

export function events(lines: Array<Record<string, unknown>>, event: string, ordernr?: string) {
  return lines.filter((l) => l.event === event && (ordernr === undefined || l.ordernr === ordernr));
}
