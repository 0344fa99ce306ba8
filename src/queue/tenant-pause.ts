import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { logEvent } from '../observability/log-event.js';
import type { TenantQueues } from './tenant-queues.js';

/**
 * Why a tenant is held: BRP refuses its key or our IP (`auth`: 401/403, until the key is fixed),
 * or BRP cannot be reached (`unreachable`: the circuit breaker, until a probe gets an answer).
 */
export type PauseKind = 'auth' | 'unreachable';

export interface PauseInfo {
  kind: PauseKind;
  since: string;
  httpStatus?: number;
  reason: string;
}

/**
 * A tenant whose BRP refuses us or is not there is held as a whole: its BullMQ queue stops
 * handing out jobs (in every replica), so orders wait without burning attempts, until an
 * operator resumes it or a probe succeeds (the daemon's TenantProber). The hold survives
 * restarts (it is in Redis); if Redis loses it, the next failures hold the tenant again.
 */
export class TenantPause {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly queues: TenantQueues,
    private readonly logger: Logger,
  ) {}

  private key(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:paused`;
  }

  /**
   * Holds the tenant. Returns true when this call held it: the alert is logged once, not per
   * in-flight order or replica. An `auth` hold replaces an `unreachable` one (a probe that is
   * refused), never the other way round.
   */
  async pause(tenant: string, info: Omit<PauseInfo, 'since'>): Promise<boolean> {
    const value = JSON.stringify({ since: new Date().toISOString(), ...info });
    let set = await this.redis.set(this.key(tenant), value, 'NX');
    if (set !== 'OK' && info.kind === 'auth' && (await this.info(tenant))?.kind === 'unreachable') set = await this.redis.set(this.key(tenant), value);
    await this.queues.get(tenant).pause();
    if (set !== 'OK') return false;
    if (info.kind === 'auth') {
      logEvent(this.logger, 'tenant.paused', {
        tenant, httpStatus: info.httpStatus, reason: info.reason, action: `fix the partner key or BRP's IP allow-list; the auth probe resumes it, or: partnerd resume tenant ${tenant}`,
      });
    } else {
      logEvent(this.logger, 'tenant.unreachable', { tenant, reason: info.reason });
    }
    return true;
  }

  async resume(tenant: string, by: 'operator' | 'probe'): Promise<boolean> {
    const removed = await this.redis.del(this.key(tenant));
    const queue = this.queues.get(tenant);
    await queue.removeRateLimitKey();
    await queue.resume();
    if (removed) logEvent(this.logger, 'tenant.resumed', { tenant, by });
    return removed > 0;
  }

  async info(tenant: string): Promise<PauseInfo | undefined> {
    const v = await this.redis.get(this.key(tenant));
    if (!v) return undefined;
    const info = JSON.parse(v) as Partial<PauseInfo>;
    // A hold written before holds had kinds was an auth pause.
    return { kind: info.kind ?? 'auth', since: info.since ?? '', reason: info.reason ?? '', ...(info.httpStatus !== undefined ? { httpStatus: info.httpStatus } : {}) };
  }
}
