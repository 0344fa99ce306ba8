import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { OrderDocumentFactory } from '../brp/order-document.js';
import { XsdValidator } from '../brp/xsd-validator.js';
import type { Config } from '../config/schema.js';
import { Ledger } from '../ledger/ledger.js';
import { PortalIntake } from '../ingest/portal-intake.js';
import { logEvent } from '../observability/log-event.js';
import { OrderIntake } from '../queue/order-intake.js';
import { TenantPause } from '../queue/tenant-pause.js';
import { TenantQueues } from '../queue/tenant-queues.js';

/**
 * The shared object graph every entry point needs (daemon, CLI submit, admin commands):
 * one Redis connection, the ledger, the per-tenant queues, the intake door. Built once.
 */
export interface Services {
  config: Config;
  logger: Logger;
  redis: Redis;
  ledger: Ledger;
  queues: TenantQueues;
  pause: TenantPause;
  documents: OrderDocumentFactory;
  /** Canonical orders (CLI submit). */
  intake: OrderIntake;
  /** Portal orders from every ingest path (push, pull, file). */
  portalIntake: PortalIntake;
  close(): Promise<void>;
}

export function createRedis(url: string, purpose: 'commands' | 'worker'): Redis {
  return new Redis(url, {
    // Workers block on Redis and must wait it out; commands fail fast so a caller can say "not stored".
    maxRetriesPerRequest: purpose === 'worker' ? null : 3,
    // A Redis that hangs instead of refusing must not hang a portal's request: fail, answer 503.
    commandTimeout: purpose === 'worker' ? undefined : 5_000,
    enableOfflineQueue: true,
    connectionName: `partnerd-${purpose}`,
    lazyConnect: false,
  });
}

export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const redis = createRedis(config.redis.url, 'commands');
  redis.on('error', (err) => logEvent(logger, 'redis.error', { err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }));
  await redis.ping();
  const ledger = new Ledger(redis, config.redis.prefix);
  const queues = new TenantQueues(config, redis);
  const pause = new TenantPause(redis, config.redis.prefix, queues, logger);
  const documents = new OrderDocumentFactory(XsdValidator.fromFile(config.xsdPath));
  const intake = new OrderIntake(config, ledger, queues, documents, logger);
  const portalIntake = new PortalIntake(config, ledger, documents, intake, logger);
  return {
    config, logger, redis, ledger, queues, pause, documents, intake, portalIntake,
    async close() {
      await queues.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
