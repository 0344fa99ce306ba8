import { z } from 'zod';

/** What one BRP instance (a gym chain's own BRP, one base URL and one partner API key) needs. */
export const TenantSchema = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/ }),
    /** Partner API key. Give it as `${ENV}` or put it in a file and use apiKeyFile. */
    apiKey: z.string().min(1).optional(),
    apiKeyFile: z.string().min(1).optional(),
    personnummerForm: z.enum(['short', 'long']).default('short'),
    rateLimit: z
      .object({ max: z.number().int().positive(), durationMs: z.number().int().positive() })
      .default({ max: 10, durationMs: 1000 }),
    concurrency: z.number().int().min(1).max(256).default(4),
    connections: z.number().int().min(1).max(256).default(8),
    timeouts: z
      .object({
        connectMs: z.number().int().positive().default(5_000),
        responseMs: z.number().int().positive().default(30_000),
      })
      .default({ connectMs: 5_000, responseMs: 30_000 }),
    retry: z
      .object({
        attempts: z.number().int().min(1).max(100).default(10),
        baseDelayMs: z.number().int().positive().default(2_000),
        maxDelayMs: z.number().int().positive().default(15 * 60_000),
        /** 0..1: the delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
        jitter: z.number().min(0).max(1).default(0.2),
      })
      .default({ attempts: 10, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000, jitter: 0.2 }),
    /** What to do when BRP may have created the order but we never saw the answer. */
    inDoubtPolicy: z.enum(['hold', 'retry']).default('hold'),
    /** While the tenant is paused for 401/403, how often to check whether the key works again. */
    authProbeIntervalMs: z.number().int().positive().default(60_000),
  })
  .strict()
  .refine((t) => (t.apiKey === undefined) !== (t.apiKeyFile === undefined), {
    message: 'exactly one of apiKey and apiKeyFile must be set',
    path: ['apiKey'],
  });

export const ConfigSchema = z
  .object({
    redis: z
      .object({
        url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
        /** Every key partnerd writes starts with this, so one Redis can serve several deployments. */
        prefix: z.string().regex(/^[A-Za-z0-9_-]+$/).default('partnerd'),
      })
      .strict()
      .default({ url: 'redis://127.0.0.1:6379', prefix: 'partnerd' }),
    xsdPath: z.string().min(1).default('xsd/createpartnerorder.xsd'),
    log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') }).default({ level: 'info' }),
    queue: z
      .object({
        /** How long a worker may hold a job before another process treats it as stalled. */
        lockDurationMs: z.number().int().min(1_000).default(30_000),
        /** Stalled jobs are re-run (and then found in-doubt) this many times before BullMQ gives up; the reconciler covers the rest. */
        maxStalledCount: z.number().int().min(1).default(10),
        /** Completed jobs are dropped from BullMQ after this long; the ledger keeps the record. */
        keepCompletedSeconds: z.number().int().min(0).default(3_600),
        /** How often queued records without a BullMQ job are looked for (crash between record and enqueue). */
        reconcileIntervalMs: z.number().int().min(1_000).default(60_000),
      })
      .strict()
      .default({ lockDurationMs: 30_000, maxStalledCount: 10, keepCompletedSeconds: 3_600, reconcileIntervalMs: 60_000 }),
    shutdownGraceMs: z.number().int().min(0).default(30_000),
    tenants: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'tenant names are letters, digits, _ and -'), TenantSchema),
  })
  .strict();

export type RawConfig = z.input<typeof ConfigSchema>;
export type ParsedConfig = z.output<typeof ConfigSchema>;
export type ParsedTenant = z.output<typeof TenantSchema>;

/** A tenant with its secret resolved: what the rest of the code sees. */
export type TenantConfig = Omit<ParsedTenant, 'apiKey' | 'apiKeyFile'> & { name: string; apiKey: string };

export interface Config extends Omit<ParsedConfig, 'tenants'> {
  tenants: Record<string, TenantConfig>;
  /** Where the config was read from, for messages. */
  source: string;
}
