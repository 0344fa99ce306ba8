import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { parseOrderKey } from '../domain/canonical-order.js';
import { logEvent } from '../observability/log-event.js';
import type { TenantQueues } from './tenant-queues.js';

/** Live orders checked per round trip to PostgreSQL and to Redis. */
const BATCH = 500;

/**
 * Makes BullMQ agree with the ledger. Every live order (queued, retrying, submitting) must have
 * a job that will still run; one that has none is given one. That covers:
 *  - Redis losing its data (a restart without persistence, a failover that dropped writes): the
 *    daemon runs this at once when its Redis connection comes back, so every live order is
 *    queued again from PostgreSQL;
 *  - an order accepted while Redis was down (intake does not wait for Redis);
 *  - a process that died between committing an order and adding its job;
 *  - a job BullMQ gave up on (too many stalls).
 * Adding a job is idempotent (its id is the order key's) and the worker decides from the ledger,
 * so a spare job is harmless: an open attempt is waited out or found in-doubt, a finished order
 * is skipped. Nothing here ever sends anything.
 */
export class Reconciler {
  private running: Promise<number> | undefined;
  private again = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly queues: TenantQueues,
    private readonly logger: Logger,
    /** Orders changed more recently than this are left alone: their job is on its way. */
    private readonly minAgeMs: number,
  ) {}

  /**
   * One pass over every live order. Calls while a pass runs share it, and one more pass follows
   * (a Redis restart during a pass must still be seen by a pass that starts after it).
   */
  runOnce(now?: Date): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let total = 0;
      do {
        this.again = false;
        total += await this.pass(now ?? new Date());
      } while (this.again);
      return total;
    })().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async pass(now: Date): Promise<number> {
    const tenants = new Set(this.queues.tenants());
    const olderThan = new Date(now.getTime() - this.minAgeMs);
    let repaired = 0;
    let afterKey: string | undefined;
    for (;;) {
      const batch = await this.ledger.liveOrders({ afterKey, olderThan, limit: BATCH });
      if (batch.length === 0) break;
      afterKey = batch[batch.length - 1]!.key;
      const byTenant = new Map<string, typeof batch>();
      for (const o of batch) {
        // A tenant removed from the config has no queue: its orders wait for it to come back.
        if (!tenants.has(o.tenant)) continue;
        byTenant.set(o.tenant, [...(byTenant.get(o.tenant) ?? []), o]);
      }
      for (const [tenant, orders] of byTenant) {
        const pending = await this.queues.pendingJobs(tenant, orders.map((o) => o.key));
        for (const o of orders) {
          const key = o.key;
          if (pending.has(key)) continue;
          await this.queues.reenqueue(key, tenant);
          repaired++;
          const p = parseOrderKey(key);
          logEvent(this.logger, 'order.reconciled', { tenant, portal: p?.portal ?? '', ordernr: p?.ordernr ?? '', state: o.state });
        }
      }
      if (batch.length < BATCH) break;
    }
    if (repaired > 0) logEvent(this.logger, 'reconcile.done', { repaired });
    return repaired;
  }
}
