import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { OrderDocumentFactory } from '../brp/order-document.js';
import { XsdValidator } from '../brp/xsd-validator.js';
import type { Config, RedisConfig } from '../config/schema.js';
import { PartnerdError } from '../errors.js';
import { createDatabase, databaseAddress, type Database } from '../ledger/database.js';
import { Ledger } from '../ledger/ledger.js';
import { createPersonHasher, ERASURE_KEY_SETTING, erasureKeyFingerprint } from '../domain/person-hash.js';
import { assertSchemaCurrent, migrate } from '../ledger/migrations.js';
import { SettledCounts } from '../ledger/settled-counts.js';
import { PortalIntake } from '../ingest/portal-intake.js';
import { logEvent } from '../observability/log-event.js';
import { immediateEffects } from '../queue/commit-effects.js';
import { OrderIntake } from '../queue/order-intake.js';
import { SlidingWindowLimiter } from '../queue/sliding-window-limiter.js';
import { TenantPause } from '../queue/tenant-pause.js';
import { TenantQueues } from '../queue/tenant-queues.js';
import { closeWithin } from './bounded-close.js';
import { urlAddress } from '../observability/mask.js';

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
  /** The confirmed and rerouted orders counted in the background (the console's and metrics' counts). */
  settledCounts: SettledCounts;
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
  return urlAddress(url, '6379', 'the configured Redis');
}

/**
 * A Redis connection from the config: a URL (redis:// or rediss://), or Redis Sentinel (the
 * sentinels and the master's name; the URL then gives credentials, database and TLS).
 */
export function createRedis(config: RedisConfig, purpose: 'commands' | 'worker'): Redis {
  const options: RedisOptions = {
    // Workers block on Redis and must wait it out; commands fail at once so that a caller can
    // go on without Redis (intake: the order is committed to the ledger, the job follows later).
    maxRetriesPerRequest: purpose === 'worker' ? null : 1,
    enableOfflineQueue: purpose === 'worker',
    // A Redis that hangs instead of refusing must not hang a portal's request.
    commandTimeout: purpose === 'worker' ? undefined : 2_000,
    connectionName: `partnerd-${purpose}`,
    lazyConnect: purpose === 'commands',
    // After a failover the old master may answer as a replica: reconnect (Sentinel then names the
    // new master) and send the command again.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.tls ? { tls: { ...(config.tls.ca ? { ca: config.tls.ca } : {}), ...(config.tls.servername ? { servername: config.tls.servername } : {}) } } : {}),
  };
  if (!config.sentinels) return new Redis(config.url, options);
  const url = new URL(config.url);
  const tls = url.protocol === 'rediss:' || config.tls !== undefined;
  return new Redis({
    ...options,
    sentinels: config.sentinels,
    name: config.name!,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password && config.password === undefined ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(config.sentinelPassword !== undefined ? { sentinelPassword: config.sentinelPassword } : {}),
    ...(tls ? { tls: options.tls ?? {}, enableTLSForSentinelMode: true, sentinelTLS: options.tls ?? {} } : {}),
  });
}

/** `host:port` of the Redis partnerd talks to (the sentinels, in Sentinel mode), for messages. */
export function redisAddressOf(config: RedisConfig): string {
  return config.sentinels ? `sentinels ${config.sentinels.map((s) => `${s.host}:${s.port}`).join(', ')} (master ${config.name})` : redisAddress(config.url);
}

/** Waits until Redis answers (ioredis keeps reconnecting on its own), at most `waitMs`. */
async function connectRedis(redis: Redis, where: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  if (redis.status === 'wait') redis.connect().catch(() => undefined);
  for (;;) {
    if (redis.status === 'ready') {
      try {
        await redis.ping();
        return;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() >= deadline) throw new PartnerdError('PD_REDIS_UNAVAILABLE', `cannot reach Redis at ${where}`);
    await new Promise((r) => setTimeout(r, 100));
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
  const redis = createRedis(config.redis, 'commands');
  let redisDown = false;
  redis.on('error', (err) => {
    // Once per outage, not once per reconnection attempt.
    if (redisDown) return;
    redisDown = true;
    logEvent(logger, 'redis.error', { err: { message: err.message, code: (err as NodeJS.ErrnoException).code } });
  });
  redis.on('ready', () => {
    if (redisDown) logEvent(logger, 'redis.ready', {});
    redisDown = false;
  });
  try {
    if (options.schema === 'run') await migrate(config.database, logger);
    else await assertSchemaCurrent(database, databaseAddress(config.database.url));
    await assertErasureKey(ledger, config.retention.erasureKey);
    await connectRedis(redis, redisAddressOf(config.redis), options.redisWaitMs ?? 10_000);
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
    config, logger, database, redis, ledger, settledCounts: new SettledCounts(ledger, config.admin.settledCountsMaxAgeSeconds * 1000), queues, pause, limiter, documents, intake, portalIntake,
    /** Bounded like the daemon's stop (bounded-close.ts): a store that hangs does not keep the process alive. */
    async close() {
      await closeWithin(logger, 'queues', () => queues.close().catch(() => undefined));
      // QUIT fails at once when Redis is already gone; the client would then go on reconnecting
      // (and keep a CLI command's process alive): cut it off, as on a timeout.
      await closeWithin(logger, 'Redis', () => redis.quit().catch((err: unknown) => { redis.disconnect(); throw err; }), { onTimeout: () => redis.disconnect() });
      await closeWithin(logger, 'database pool', () => database.end().catch(() => undefined));
    },
  };
}
