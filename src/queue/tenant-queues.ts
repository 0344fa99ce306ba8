import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CanonicalOrder } from '../domain/canonical-order.js';
import type { Config } from '../config/schema.js';
import { PartnerdError } from '../errors.js';
import { brpQueueName, bullPrefix, jobIdOf } from './queue-names.js';

/** The BullMQ queues, one per tenant, sharing one Redis connection. */
export class TenantQueues {
  private readonly queues = new Map<string, Queue<CanonicalOrder>>();

  constructor(private readonly config: Config, connection: Redis) {
    for (const name of Object.keys(config.tenants)) {
      const queue = new Queue<CanonicalOrder>(brpQueueName(name), { connection, prefix: bullPrefix(config.redis.prefix) });
      // Connection errors are reported once by the shared connection's own handler (services.ts).
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
  }

  get(tenant: string): Queue<CanonicalOrder> {
    const q = this.queues.get(tenant);
    if (!q) throw new PartnerdError('PD_UNKNOWN_TENANT', tenant);
    return q;
  }

  /**
   * Adds the job for an order key. The job id is derived from the key, so adding twice while the
   * job exists is a no-op in BullMQ; the ledger decides whether a job should exist at all.
   */
  async enqueue(key: string, order: CanonicalOrder): Promise<void> {
    const tenant = this.config.tenants[order.tenant];
    if (!tenant) throw new PartnerdError('PD_UNKNOWN_TENANT', order.tenant);
    await this.get(order.tenant).add('createpartnerorder', order, {
      jobId: jobIdOf(key),
      attempts: tenant.retry.attempts,
      backoff: { type: 'partnerd' },
      removeOnComplete: { age: this.config.queue.keepCompletedSeconds },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async hasJob(tenant: string, key: string): Promise<boolean> {
    const job = await this.get(tenant).getJob(jobIdOf(key));
    if (!job) return false;
    const state = await job.getState();
    return state !== 'completed' && state !== 'failed' && state !== 'unknown';
  }

  /**
   * For operators and the reconciler: a finished BullMQ job with the key's id would make `add`
   * a silent no-op, so it is removed first. Only call this when the ledger says a job is due.
   */
  async reenqueue(key: string, order: CanonicalOrder): Promise<void> {
    const job = await this.get(order.tenant).getJob(jobIdOf(key));
    if (job) {
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') await job.remove();
      else return; // a live job exists already
    }
    await this.enqueue(key, order);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

}
