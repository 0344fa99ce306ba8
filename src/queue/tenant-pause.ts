import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { logEvent } from '../observability/log-event.js';
import type { TenantQueues } from './tenant-queues.js';

export interface PauseInfo {
  since: string;
  httpStatus?: number;
  reason: string;
}

/**
 * A tenant whose key or IP allow-list BRP refuses (401/403) is paused as a whole: its BullMQ
 * queue stops handing out jobs, so orders wait without burning attempts, until an operator
 * resumes it or an auth probe succeeds. The pause survives restarts (it is in Redis).
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

  /** Returns true when this call paused it (the alert is logged once, not per in-flight order). */
  async pause(tenant: string, info: Omit<PauseInfo, 'since'>): Promise<boolean> {
    const set = await this.redis.set(this.key(tenant), JSON.stringify({ since: new Date().toISOString(), ...info }), 'NX');
    await this.queues.get(tenant).pause();
    if (set === 'OK') {
      logEvent(this.logger, 'tenant.paused', {
        tenant, httpStatus: info.httpStatus, reason: info.reason, action: `fix the partner key or BRP's IP allow-list; the auth probe resumes it, or: partnerd resume ${tenant}`,
      });
      return true;
    }
    return false;
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
    return v ? (JSON.parse(v) as PauseInfo) : undefined;
  }
}
