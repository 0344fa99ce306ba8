import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { OrderDocumentFactory } from '../brp/order-document.js';
import { XsdValidator } from '../brp/xsd-validator.js';
import type { Config } from '../config/schema.js';
import { PartnerdError } from '../errors.js';
import { createDatabase, databaseAddress, type Database } from '../ledger/database.js';
import { Ledger } from '../ledger/ledger.js';
import { createPersonHasher, ERASURE_KEY_SETTING, erasureKeyFingerprint } from '../privacy/person-hash.js';
import { assertSchemaCurrent, migrate } from '../ledger/migrations.js';
import { PortalIntake } from '../ingest/portal-intake.js';
import { immediateEffects } from '../queue/commit-effects.js';
import { OrderIntake } from '../queue/order-intake.js';
import { SlidingWindowLimiter } from '../queue/sliding-window-limiter.js';
import { TenantPause } from '../queue/tenant-pause.js';
import { TenantQueues } from '../queue/tenant-queues.js';

/**
 * The shared object graph every entry point needs (daemon, CLI submit, admin commands): the
 * ledger on its PostgreSQL pool, one Redis connection for the queues and the shared flags, the
 * per-tenant queues, the intake door. Built once.
 */
export interface Services {
  config: Config;
  logger: Logger;
  /** The ledger's PostgreSQL pool (system of record). */
  database: Database;
  /** Commands: queues, pause flags, schedule claims, the rate budget. Fails fast while Redis is down. */
  redis: Redis;
  ledger: Ledger;
  queues: TenantQueues;
  pause: TenantPause;
  limiter: SlidingWindowLimiter;
  documents: OrderDocumentFactory;
  /** Canonical orders (CLI submit). */
  intake: OrderIntake;
  /** Portal orders from every ingest path (push, pull, file). */
  portalIntake: PortalIntake;
  close(): Promise<void>;
}

export interface ServicesOptions {
  /**
   * `run`: apply pending migrations (under the advisory lock, so replicas never race) — the daemon
   * and `partnerd migrate`. `check` (default): refuse to work on an older schema.
   */
  schema?: 'run' | 'check';
  /** How long to wait for Redis to answer at start (default 10 s). */
  redisWaitMs?: number;
}

/** `host:port` of a Redis URL, for messages (never the password). */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '6379'}`;
  } catch {
    return 'the configured Redis';
  }
}

export function createRedis(url: string, purpose: 'commands' | 'worker'): Redis {
  return new Redis(url, {
    // Workers block on Redis and must wait it out; commands fail at once so that a caller can
    // go on without Redis (intake: the order is committed to the ledger, the job follows later).
    maxRetriesPerRequest: purpose === 'worker' ? null : 1,
    enableOfflineQueue: purpose === 'worker',
    // A Redis that hangs instead of refusing must not hang a portal's request.
    commandTimeout: purpose === 'worker' ? undefined : 2_000,
    connectionName: `partnerd-${purpose}`,
    lazyConnect: purpose === 'commands',
  });
}

async function connectRedis(redis: Redis, url: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      if (redis.status === 'wait') await redis.connect();
      else if (redis.status !== 'ready') await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('not ready')), Math.max(50, deadline - Date.now()));
        redis.once('ready', () => { clearTimeout(t); resolve(); });
      });
      await redis.ping();
      return;
    } catch {
      if (Date.now() >= deadline) throw new PartnerdError('PD_REDIS_UNAVAILABLE', `cannot reach Redis at ${redisAddress(url)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * The person hashes in the ledger are only found again with the key they were made with: the
 * first process stores the key's fingerprint, every later one must have the same key.
 */
async function assertErasureKey(ledger: Ledger, key: string): Promise<void> {
  const fingerprint = erasureKeyFingerprint(key);
  if ((await ledger.settleSetting(ERASURE_KEY_SETTING, fingerprint)) !== fingerprint) {
    throw new PartnerdError('PD_CONFIG_INVALID', 'retention.erasureKey is not the key the ledger\'s person hashes were made with: configure the original key (a changed key makes erasure requests find nothing)');
  }
}

export async function createServices(config: Config, logger: Logger, options: ServicesOptions = {}): Promise<Services> {
  const database = createDatabase(config.database, logger);
  const personHash = createPersonHasher(config.retention.erasureKey);
  const ledger = Ledger.fromDatabase(database, config.database.url, undefined, { personHash });
  const redis = createRedis(config.redis.url, 'commands');
  let redisDown = false;
  redis.on('error', (err) => {
    // Once per outage, not once per reconnection attempt.
    if (redisDown) return;
    redisDown = true;
    logger.error({ event: 'redis.error', err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'redis.error');
  });
  redis.on('ready', () => {
    if (redisDown) logger.info({ event: 'redis.ready' }, 'redis.ready');
    redisDown = false;
  });
  try {
    if (options.schema === 'run') await migrate(config.database, logger);
    else await assertSchemaCurrent(database, databaseAddress(config.database.url));
    await assertErasureKey(ledger, config.retention.erasureKey);
    await connectRedis(redis, config.redis.url, options.redisWaitMs ?? 10_000);
  } catch (err) {
    redis.disconnect();
    await database.end().catch(() => undefined);
    throw err;
  }
  const queues = new TenantQueues(config, redis);
  const pause = new TenantPause(redis, config.redis.prefix, queues, logger);
  const limiter = new SlidingWindowLimiter(redis, config.redis.prefix);
  const documents = new OrderDocumentFactory(XsdValidator.fromFile(config.xsdPath));
  const intake = new OrderIntake(config, ledger, immediateEffects(queues), documents, logger);
  const portalIntake = new PortalIntake(config, ledger, documents, intake, logger);
  return {
    config, logger, database, redis, ledger, queues, pause, limiter, documents, intake, portalIntake,
    async close() {
      await queues.close().catch(() => undefined);
      await redis.quit().catch(() => redis.disconnect());
      await database.end().catch(() => undefined);
    },
  };
}
