import { z } from 'zod';
import { ERASURE_KEY_MIN_LENGTH } from '../domain/person-hash.js';

/**
 * An optional value where an empty string means "not given": `${NAME:-}` in the config leaves a
 * key empty when its variable is unset, so a secret can come from `NAME` or from `NAME_FILE`.
 */
function emptyIsUnset(v: string | undefined): string | undefined {
  return v ? v : undefined;
}

/** An optional secret or secret-file path (empty: not given). */
const optionalSecret = z.string().optional().transform(emptyIsUnset);

/**
 * A secret given inline (`key`, from `${ENV}`) or as a file holding only it (`fileKey`, e.g. a
 * Docker secret under /run/secrets): at most one of them, and with `required` exactly one.
 * The loader reads the file; the rest of the code sees only `key`.
 */
function secretPair<K extends string, F extends string>(key: K, fileKey: F, required: boolean) {
  return (section: Partial<Record<K | F, string | undefined>>, ctx: z.RefinementCtx) => {
    const given = [section[key], section[fileKey]].filter((v) => v !== undefined).length;
    if (given > 1) ctx.addIssue({ code: 'custom', path: [key], message: `give ${key} or ${fileKey}, not both` });
    if (required && given === 0) ctx.addIssue({ code: 'custom', path: [key], message: `required: set ${key} or ${fileKey}` });
  };
}

/**
 * A portal's `enabled`: a boolean, or its text from the environment (`${BENIFY_ENABLED:-false}`:
 * true/false, 1/0, yes/no, on/off). A section without it is on.
 */
export const PortalEnabledSchema = z.union([z.boolean(), z.stringbool()]);

/**
 * What `rateLimit.marginMs` adds to the window unless configured. 30, not 20: at 20 a
 * 100,000-call drain still put 201 calls in one second on BRP's clock (docs/performance.md,
 * "Fourth pass"); 10 ms more costs 1 % of the rate at the limit.
 */
export const DEFAULT_RATE_MARGIN_MS = 30;

/** What one BRP instance (a gym chain's own BRP, one base URL and one partner API key) needs. */
export const TenantSchema = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/ }),
    /** Partner API key. Give it as `${ENV}` or put it in a file and use apiKeyFile (empty: not given). */
    apiKey: z.string().optional().transform(emptyIsUnset),
    apiKeyFile: z.string().optional().transform(emptyIsUnset),
    personnummerForm: z.enum(['short', 'long']).default('short'),
    /** At most `max` calls in any window of `durationMs` (a sliding window, shared by replicas). */
    rateLimit: z
      .object({
        max: z.number().int().positive().default(10),
        durationMs: z.number().int().positive().default(1000),
        /** Added to the window so that arrival jitter cannot make BRP see `max + 1` in one window. */
        marginMs: z.number().int().min(0).default(DEFAULT_RATE_MARGIN_MS),
      })
      .strict()
      .prefault({}),
    concurrency: z.number().int().min(1).max(256).default(4),
    connections: z.number().int().min(1).max(256).default(8),
    timeouts: z
      .object({
        connectMs: z.number().int().positive().default(5_000),
        responseMs: z.number().int().positive().default(30_000),
      })
      .prefault({}),
    retry: z
      .object({
        attempts: z.number().int().min(1).max(100).default(10),
        baseDelayMs: z.number().int().positive().default(2_000),
        maxDelayMs: z.number().int().positive().default(15 * 60_000),
        /** 0..1: the delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
        jitter: z.number().min(0).max(1).default(0.2),
      })
      .prefault({}),
    /** What to do when BRP may have created the order but we never saw the answer. */
    inDoubtPolicy: z.enum(['hold', 'retry']).default('hold'),
    /** While the tenant is paused for 401/403, how often to check whether the key works again. */
    authProbeIntervalMs: z.number().int().positive().default(60_000),
    /**
     * The circuit breaker: when this BRP cannot be reached, the tenant is held (its orders wait,
     * no attempts spent) instead of every waiting order dying, and probed until it answers.
     */
    breaker: z
      .object({
        /** Consecutive calls that reached no one (refused, DNS, connect timeout, 5xx) that open it. */
        failures: z.number().int().min(1).default(5),
        /** Consecutive calls that got no answer after sending (each ends in doubt) that open it. */
        timeouts: z.number().int().min(1).default(3),
        /** First probe after it opens; doubles after each unanswered probe, up to the max. */
        probeIntervalMs: z.number().int().positive().default(1_000),
        maxProbeIntervalMs: z.number().int().positive().default(60_000),
      })
      .strict()
      .prefault({}),
    /** Portal article code → this BRP instance's product number (a portal section may override). */
    articles: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .strict()
  .refine((t) => (t.apiKey === undefined) !== (t.apiKeyFile === undefined), {
    message: 'exactly one of apiKey and apiKeyFile must be set',
    path: ['apiKey'],
  });

/** Where a portal's venue reference leads: which BRP instance, which business unit. */
const VenueRouteSchema = z
  .object({
    tenant: z.string().min(1),
    businessUnit: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d*$/)]).transform(String),
  })
  .strict();

/** Routing every portal section has: venues, and article overrides for this portal. */
const routing = {
  /** Off: the section is dropped before anything else in it is read (its variables need not be set). */
  enabled: PortalEnabledSchema.default(true),
  venues: z.record(z.string().min(1), VenueRouteSchema).default({}),
  /** Overrides the tenant's article map for orders from this portal. */
  articles: z.record(z.string().min(1), z.string().min(1)).default({}),
};

const cronExpression = z.string().regex(/^(\S+\s+){4,5}\S+$/, 'a cron expression (5 or 6 fields)');

export const PortalsSchema = z
  .object({
    benify: z
      .object({
        ...routing,
        /** HMAC-SHA256 secret (at least 16 characters); during a rotation also the previous one. */
        secret: optionalSecret.pipe(z.string().min(16, 'at least 16 characters').optional()),
        secretFile: optionalSecret,
        previousSecret: optionalSecret,
        previousSecretFile: optionalSecret,
        toleranceSeconds: z.number().int().positive().default(300),
      })
      .strict()
      .superRefine(secretPair('secret', 'secretFile', true))
      .superRefine(secretPair('previousSecret', 'previousSecretFile', false))
      .optional(),
    actiway: z
      .object({ ...routing, username: z.string().min(1), password: optionalSecret, passwordFile: optionalSecret })
      .strict()
      .superRefine(secretPair('password', 'passwordFile', true))
      .optional(),
    wellnet: z
      .object({
        ...routing,
        baseUrl: z.url({ protocol: /^https?$/ }),
        token: optionalSecret,
        tokenFile: optionalSecret,
        schedule: cronExpression.default('* * * * *'),
        pageSize: z.number().int().min(1).max(1000).default(100),
        timeoutMs: z.number().int().positive().default(15_000),
      })
      .strict()
      .superRefine(secretPair('token', 'tokenFile', true))
      .optional(),
    epassi: z
      .object({
        ...routing,
        baseUrl: z.url({ protocol: /^https?$/ }),
        clientId: z.string().min(1),
        clientSecret: optionalSecret,
        clientSecretFile: optionalSecret,
        scope: z.string().default('purchases'),
        schedule: cronExpression.default('*/2 * * * *'),
        pageSize: z.number().int().min(1).max(1000).default(50),
        timeoutMs: z.number().int().positive().default(15_000),
      })
      .strict()
      .superRefine(secretPair('clientSecret', 'clientSecretFile', true))
      .optional(),
    sop: z
      .object({
        ...routing,
        /** The S&P folder: inbox/, archive/, rejected/, outbox/ below it. */
        root: z.string().min(1),
        schedule: cronExpression.default('*/5 * * * *'),
        receiptsSchedule: cronExpression.default('0 6 * * *'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .default({});

/**
 * The push server. Timeouts and connection caps are Node's own (http.Server and Fastify options);
 * the failed-authentication limit is security/auth-failure-limiter.ts.
 */
export const IngestHttpSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(8080),
    bodyLimitBytes: z.number().int().positive().default(256 * 1024),
    /** All request headers must have arrived within this (slow-header clients are cut: 408). */
    headersTimeoutMs: z.number().int().positive().default(10_000),
    /** The whole request, headers and body, must have arrived within this (slow-body clients are cut: 408). */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs: z.number().int().positive().default(5_000),
    /** Requests on one connection before it is closed (0: no limit). */
    maxRequestsPerSocket: z.number().int().min(0).default(100),
    /** Open connections in total; more are closed at once. */
    maxConnections: z.number().int().positive().default(256),
    /** Open connections from one client address; more are closed at once (trusted proxies count only in the total). */
    maxConnectionsPerClient: z.number().int().positive().default(16),
    /**
     * Addresses or CIDR ranges of the reverse proxies in front (TLS): their X-Forwarded-For names
     * the client for the authentication limit, and their connections are not capped per client.
     */
    trustedProxies: z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], { error: 'must be an IP address or a CIDR range' })).default([]),
    /** Failed authentication (Basic, signature) per portal and client address: more than maxFailures within windowSeconds → 429 for blockSeconds. */
    authFailures: z
      .object({
        maxFailures: z.number().int().positive().default(10),
        windowSeconds: z.number().int().positive().default(60),
        blockSeconds: z.number().int().positive().default(300),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((h) => h.headersTimeoutMs <= h.requestTimeoutMs, { path: ['headersTimeoutMs'], message: 'must not be longer than requestTimeoutMs' })
  .refine((h) => h.maxConnectionsPerClient <= h.maxConnections, { path: ['maxConnectionsPerClient'], message: 'must not be more than maxConnections' })
  .prefault({});

/** The ledger's PostgreSQL (the system of record). */
export const DatabaseSchema = z
  .object({
    /** `postgres://user@host:port/db`; overridden by DATABASE_URL. Put the password in passwordFile, not here. */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').default('postgres://postgres@127.0.0.1:5432/partnerd'),
    /** A file holding only the password (e.g. a Docker secret); overrides a password in the URL. Empty: none. */
    passwordFile: optionalSecret,
    /** Connections per process. Workers hold one only for a statement, never across a BRP call. */
    poolSize: z.number().int().min(1).max(200).default(10),
    connectTimeoutMs: z.number().int().positive().default(5_000),
    /** No single ledger statement may run longer (a stuck lock must not hang intake). */
    statementTimeoutMs: z.number().int().positive().default(30_000),
  })
  .strict()
  .prefault({});

/**
 * The operators' listener: /healthz, /readyz, /metrics (and later the admin API and console).
 * Loopback by default: it must never be reachable from where the portals push.
 */
export const AdminHttpSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8081),
  })
  .strict()
  .prefault({});

/** Retention of personal data, S&P files and records; the erasure key (docs/personal-data.md). */
export const RetentionSchema = z
  .object({
    /** Personal fields of orders that rest in an outcome are removed this many days after their last change. */
    personalDataDays: z.number().int().min(1).default(30),
    /** S&P archive/, rejected/ and outbox/ files are deleted this many days after they were last written. */
    fileDays: z.number().int().min(1).default(30),
    /**
     * Whole records (with attempts, actions, notifications) are deleted once this many calendar
     * years have ended after the year of their last change: 7 is the Swedish bookkeeping period.
     */
    recordYears: z.number().int().min(1).default(7),
    /** When the daemon runs retention (cron, Stockholm time), once per tick across replicas. */
    schedule: cronExpression.default('30 3 * * *'),
    /**
     * The HMAC key of the person hashes erasure requests find orders by. Required: a secret of at
     * least 32 characters, the same for every replica and never changed (or the hashes stop matching).
     */
    erasureKey: optionalSecret.pipe(z.string().min(ERASURE_KEY_MIN_LENGTH, `at least ${ERASURE_KEY_MIN_LENGTH} characters (e.g. openssl rand -hex 32)`).optional()),
    erasureKeyFile: optionalSecret,
  })
  .strict()
  .refine((r) => (r.erasureKey === undefined) !== (r.erasureKeyFile === undefined), {
    message: 'exactly one of erasureKey and erasureKeyFile must be set (a secret of at least 32 characters, e.g. openssl rand -hex 32)',
    path: ['erasureKey'],
  })
  .prefault({});

/**
 * Who may use the admin API and the console: named bearer tokens, each read from its own file
 * (a Docker secret; never a value in the config or the repository). The name is the actor of the
 * audit trail. No tokens: the API and the console answer 401 to everyone.
 */
const AdminTokenSchema = z
  .object({
    name: z.string().regex(/^[\p{L}\p{N}._@-]{1,64}$/u, 'a name of 1–64 letters, digits, ".", "_", "@" or "-"'),
    file: z.string().min(1),
  })
  .strict();

export const AdminSchema = z
  .object({
    http: AdminHttpSchema,
    tokens: z.array(AdminTokenSchema).default([])
      .refine((t) => new Set(t.map((x) => x.name)).size === t.length, { message: 'token names must be unique (each is an actor in the audit trail)' }),
    /** Failed logins (API bearer tokens, console) per client address before 429. */
    authFailures: z
      .object({
        maxFailures: z.number().int().positive().default(10),
        windowSeconds: z.number().int().positive().default(60),
        blockSeconds: z.number().int().positive().default(300),
      })
      .strict()
      .prefault({}),
    console: z
      .object({
        /** Mark the session cookie Secure: set it when the console is reached through TLS (a proxy in front). */
        secureCookie: z.boolean().default(false),
        /** How long a console login lasts. */
        sessionMinutes: z.number().int().min(1).max(7 * 24 * 60).default(480),
        /**
         * A file with 32 random bytes (64 hex characters) that encrypts the session cookie: the
         * same file for every replica behind one address, so a session works on all of them.
         * Without it each process makes its own key at start (sessions end at a restart).
         */
        sessionKeyFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * How old the count of confirmed and rerouted orders (nearly the whole ledger) that the console
     * and partnerd_orders show may get before a read starts a new one in the background.
     */
    settledCountsMaxAgeSeconds: z.number().int().min(1).max(3600).default(30),
  })
  .strict()
  .prefault({});

export const ConfigSchema = z
  .object({
    database: DatabaseSchema,
    redis: z
      .object({
        url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
        /** Every key partnerd writes starts with this, so one Redis can serve several deployments. */
        prefix: z.string().regex(/^[A-Za-z0-9_-]+$/).default('partnerd'),
        /** A file holding only the password (a Docker secret); overrides a password in the URL. Empty: none. */
        passwordFile: optionalSecret,
        /**
         * High availability through Redis Sentinel: the sentinels to ask, and the name of the
         * master they watch. The URL then only gives credentials, database and TLS (rediss://).
         */
        sentinels: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).strict()).min(1).optional(),
        name: z.string().min(1).optional(),
        sentinelPasswordFile: z.string().min(1).optional(),
        /** TLS (with rediss://, or towards sentinels and the master in Sentinel mode). */
        tls: z
          .object({
            /** PEM file of the CA that signed Redis' certificate (a private CA). */
            caFile: z.string().min(1).optional(),
            /** Name to verify the certificate against, if not the host name. */
            servername: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine((r) => (r.sentinels === undefined) === (r.name === undefined), { message: 'sentinels and name go together', path: ['name'] })
      .prefault({}),
    xsdPath: z.string().min(1).default('xsd/createpartnerorder.xsd'),
    log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') }).strict().prefault({}),
    queue: z
      .object({
        /** How long a worker may hold a job before another process treats it as stalled. */
        lockDurationMs: z.number().int().min(1_000).default(30_000),
        /** Stalled jobs are re-run (and then found in-doubt) this many times before BullMQ gives up; the reconciler covers the rest. */
        maxStalledCount: z.number().int().min(1).default(10),
        /** Completed jobs are dropped from BullMQ after this long (0: at once); the ledger keeps the record. */
        keepCompletedSeconds: z.number().int().min(0).default(0),
        /** How often queued records without a BullMQ job are looked for (crash between record and enqueue). */
        reconcileIntervalMs: z.number().int().min(1_000).default(60_000),
        /** Live orders a periodic pass checks per second at most (0: unpaced); passes after a Redis loss or restart are never paced. */
        reconcileOrdersPerSec: z.number().int().min(0).default(2_000),
      })
      .strict()
      .prefault({}),
    shutdownGraceMs: z.number().int().min(0).default(30_000),
    tenants: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'tenant names are letters, digits, _ and -'), TenantSchema),
    portals: PortalsSchema,
    ingest: z.object({ http: IngestHttpSchema }).strict().prefault({}),
    admin: AdminSchema,
    retention: RetentionSchema,
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // The admin listener answers operators (metrics, readiness, later admin verbs): never on the port portals push to.
    const { admin, ingest } = cfg;
    if (admin.http.enabled && ingest.http.enabled && admin.http.port !== 0 && admin.http.port === ingest.http.port) {
      ctx.addIssue({ code: 'custom', path: ['admin', 'http', 'port'], message: `must differ from ingest.http.port (${ingest.http.port}): the admin listener never shares the push-ingest port` });
    }
    // A venue must lead to a configured tenant, or every order for it would be unroutable.
    for (const [portal, section] of Object.entries(cfg.portals)) {
      for (const [venue, route] of Object.entries(section?.venues ?? {})) {
        if (!cfg.tenants[route.tenant]) {
          ctx.addIssue({ code: 'custom', path: ['portals', portal, 'venues', venue, 'tenant'], message: `no tenant named ${route.tenant}` });
        }
      }
    }
  });

export type RawConfig = z.input<typeof ConfigSchema>;
export type ParsedConfig = z.output<typeof ConfigSchema>;
export type ParsedTenant = z.output<typeof TenantSchema>;
/** The portals section as validated: secrets still inline or as files, `enabled` still there. */
export type ParsedPortals = z.output<typeof PortalsSchema>;
type Section<P extends keyof ParsedPortals> = NonNullable<ParsedPortals[P]>;

/**
 * The portals the daemon runs, secrets read: what the rest of the code sees. A portal whose
 * section was switched off (`enabled: false`) is absent, exactly like one without a section.
 */
export interface PortalsConfig {
  benify?: Omit<Section<'benify'>, 'enabled' | 'secret' | 'secretFile' | 'previousSecret' | 'previousSecretFile'> & { secret: string; previousSecret?: string };
  actiway?: Omit<Section<'actiway'>, 'enabled' | 'password' | 'passwordFile'> & { password: string };
  wellnet?: Omit<Section<'wellnet'>, 'enabled' | 'token' | 'tokenFile'> & { token: string };
  epassi?: Omit<Section<'epassi'>, 'enabled' | 'clientSecret' | 'clientSecretFile'> & { clientSecret: string };
  sop?: Omit<Section<'sop'>, 'enabled'>;
}
export type VenueRoute = z.output<typeof VenueRouteSchema>;

/** A tenant with its secret resolved: what the rest of the code sees. */
export type TenantConfig = Omit<ParsedTenant, 'apiKey' | 'apiKeyFile'> & { name: string; apiKey: string };

/** The Redis section with its secret files read. */
export type RedisConfig = Omit<z.output<typeof ConfigSchema>['redis'], 'passwordFile' | 'sentinelPasswordFile' | 'tls'> & {
  password?: string;
  sentinelPassword?: string;
  tls?: { ca?: string; servername?: string };
};

/** The database section with its password file read. */
export type DatabaseConfig = Omit<z.output<typeof DatabaseSchema>, 'passwordFile'> & { password?: string };

/** The retention section with the erasure key read (from erasureKeyFile where that is given). */
export type RetentionConfig = Omit<z.output<typeof RetentionSchema>, 'erasureKey' | 'erasureKeyFile'> & { erasureKey: string };

/** A named admin token with its value read from its file (never logged, never in the config). */
export interface AdminToken {
  name: string;
  token: string;
}

/** The admin section with token and key files read. */
export type AdminConfig = Omit<z.output<typeof AdminSchema>, 'tokens' | 'console'> & {
  tokens: AdminToken[];
  console: Omit<z.output<typeof AdminSchema>['console'], 'sessionKeyFile'> & { sessionKey?: Buffer };
};

export interface Config extends Omit<ParsedConfig, 'tenants' | 'database' | 'redis' | 'retention' | 'admin' | 'portals'> {
  tenants: Record<string, TenantConfig>;
  admin: AdminConfig;
  database: DatabaseConfig;
  redis: RedisConfig;
  retention: RetentionConfig;
  portals: PortalsConfig;
  /** Portals whose section is there but switched off (`enabled: false`), for the start-up log. */
  portalsOff?: string[];
  /** Where the config was read from, for messages. */
  source: string;
}
