import type { JobSink } from './tenant-queues.js';

/**
 * What intake does once an order is committed to the ledger: add its job, and write the log line
 * that says it was accepted. Outside a transaction both happen at once. Inside one (a Wellnet
 * page and its cursor) they wait for the commit: a job must not exist for an order that may still
 * be rolled back, and a dashboard must not count an order as accepted that was not stored. If the
 * process dies after the commit, the reconciler adds the jobs the commit did not get to.
 */
export interface CommitEffects {
  enqueue(key: string, tenant: string): Promise<void>;
  afterCommit(fn: () => void): void;
}

/** Not in a transaction: the job is added and the line written at once. */
export function immediateEffects(jobs: JobSink): CommitEffects {
  return { enqueue: (key, tenant) => jobs.enqueue(key, tenant), afterCommit: (fn) => fn() };
}

/** In a transaction: held until `flush`, which the caller runs after the commit (and never after a rollback). */
export class DeferredEffects implements CommitEffects {
  private readonly jobs: Array<{ key: string; tenant: string }> = [];
  private readonly callbacks: Array<() => void> = [];

  async enqueue(key: string, tenant: string): Promise<void> {
    this.jobs.push({ key, tenant });
  }

  afterCommit(fn: () => void): void {
    this.callbacks.push(fn);
  }

  /** Writes the held lines, then hands every held job to `target`; a failed job is reported to `onError`, never thrown. */
  async flush(target: JobSink, onError: (key: string, err: unknown) => void): Promise<number> {
    for (const fn of this.callbacks.splice(0)) fn();
    const jobs = this.jobs.splice(0);
    await Promise.all(jobs.map(({ key, tenant }) => target.enqueue(key, tenant).catch((err) => onError(key, err))));
    return jobs.length;
  }
}
