import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { PartnerdError } from '../errors.js';
import { brpQueueName, bullPrefix, jobIdOf } from './queue-names.js';

/**
 * What a BullMQ job carries: the order's key, nothing else. The order itself (with its personal
 * data) stays in the ledger, which the worker reads when it opens the attempt; Redis only says
 * which order is due.
 */
export interface OrderJob {
  key: string;
}

/** Where intake hands a recorded order for sending: the queues, or a buffer flushed after a commit. */
export interface JobSink {
  enqueue(key: string, tenant: string): Promise<void>;
}

/** The BullMQ queues, one per tenant, sharing one Redis connection. */
export class TenantQueues implements JobSink {
  private readonly queues = new Map<string, Queue<OrderJob>>();

  constructor(private readonly config: Config, private readonly connection: Redis) {
    for (const name of Object.keys(config.tenants)) {
      const queue = new Queue<OrderJob>(brpQueueName(name), { connection, prefix: bullPrefix(config.redis.prefix) });
      // Connection errors are reported once by the shared connection's own handler (services.ts).
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
  }

  get(tenant: string): Queue<OrderJob> {
    const q = this.queues.get(tenant);
    if (!q) throw new PartnerdError('PD_UNKNOWN_TENANT', tenant);
    return q;
  }

  tenants(): string[] {
    return [...this.queues.keys()];
  }

  /**
   * Adds the job for an order key. The job id is derived from the key, so adding twice while the
   * job exists is a no-op in BullMQ; the ledger decides whether a job should exist at all.
   * Finished jobs are removed at once (`keepCompletedSeconds`, default 0): the ledger has the story.
   */
  async enqueue(key: string, tenant: string): Promise<void> {
    const t = this.config.tenants[tenant];
    if (!t) throw new PartnerdError('PD_UNKNOWN_TENANT', tenant);
    const keep = this.config.queue.keepCompletedSeconds;
    await this.get(tenant).add('createpartnerorder', { key }, {
      jobId: jobIdOf(key),
      attempts: t.retry.attempts,
      backoff: { type: 'partnerd' },
      removeOnComplete: keep > 0 ? { age: keep } : true,
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  /**
   * Which of these keys have a job that will still run (waiting, delayed, active, prioritized):
   * the reconciler's check, one pipelined round of HMGETs per batch. A job that is missing, or
   * finished (failed after BullMQ gave up on it), does not count.
   */
  async pendingJobs(tenant: string, keys: readonly string[]): Promise<Set<string>> {
    const queue = this.get(tenant);
    // The job hash lives at the queue's key for the job id (BullMQ's documented key layout).
    const pipe = this.connection.pipeline();
    for (const key of keys) pipe.hmget(queue.toKey(jobIdOf(key)), 'timestamp', 'finishedOn');
    const res = (await pipe.exec()) ?? [];
    const out = new Set<string>();
    keys.forEach((key, i) => {
      const [err, fields] = res[i] ?? [];
      const [timestamp, finishedOn] = (fields as Array<string | null> | undefined) ?? [];
      if (!err && timestamp && !finishedOn) out.add(key);
    });
    return out;
  }

  async hasJob(tenant: string, key: string): Promise<boolean> {
    return (await this.pendingJobs(tenant, [key])).has(key);
  }

  /**
   * For operators and the reconciler: a finished BullMQ job with the key's id would make `add`
   * a silent no-op, so it is removed first. Only call this when the ledger says a job is due.
   */
  async reenqueue(key: string, tenant: string): Promise<void> {
    const job = await this.get(tenant).getJob(jobIdOf(key));
    if (job) {
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') await job.remove();
      else return; // a live job exists already
    }
    await this.enqueue(key, tenant);
  }

  /**
   * `reenqueue` for many keys of one tenant at once (an operator's bulk re-queue): one pipelined
   * look at the job hashes, finished jobs removed, then one addBulk for every key without a job
   * that will still run. Only call this for keys the ledger has just made due.
   */
  async reenqueueMany(tenant: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const t = this.config.tenants[tenant];
    if (!t) throw new PartnerdError('PD_UNKNOWN_TENANT', tenant);
    const queue = this.get(tenant);
    const pipe = this.connection.pipeline();
    for (const key of keys) pipe.hmget(queue.toKey(jobIdOf(key)), 'timestamp', 'finishedOn');
    const res = (await pipe.exec()) ?? [];
    const finished: string[] = [];
    const toAdd: string[] = [];
    keys.forEach((key, i) => {
      const [err, fields] = res[i] ?? [];
      const [timestamp, finishedOn] = (fields as Array<string | null> | undefined) ?? [];
      if (err || !timestamp) toAdd.push(key);
      else if (finishedOn) {
        finished.push(key);
        toAdd.push(key);
      }
      // else: a job that will still run exists already
    });
    await Promise.all(finished.map((key) => queue.remove(jobIdOf(key))));
    const keep = this.config.queue.keepCompletedSeconds;
    await queue.addBulk(toAdd.map((key) => ({
      name: 'createpartnerorder',
      data: { key },
      opts: {
        jobId: jobIdOf(key), attempts: t.retry.attempts, backoff: { type: 'partnerd' },
        removeOnComplete: keep > 0 ? { age: keep } : true, removeOnFail: { age: 7 * 24 * 3600 },
      },
    })));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
