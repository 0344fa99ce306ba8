import type { Logger } from 'pino';
import type { Ledger, LiveOrderCursor } from '../ledger/ledger.js';
import { parseOrderKey } from '../domain/canonical-order.js';
import { logEvent } from '../observability/log-event.js';
import type { TenantQueues } from './tenant-queues.js';

/** Live orders checked per round trip to PostgreSQL and to Redis. */
const BATCH = 500;

/**
 * Why a pass runs. `periodic` is the safety net and is paced (see `ordersPerSec`); every other
 * pass answers something that may have left live orders without a job, and runs at full speed.
 */
export type ReconcileReason = 'periodic' | 'start' | 'redis data lost' | 'redis reconnected';

export interface ReconcilerOptions {
  /** Orders changed more recently than this are left alone: their job is on its way. */
  minAgeMs: number;
  /**
   * How many live orders a periodic pass checks per second at most. A pass walks every live
   * order: in a backlog of 100,000, done at full speed, it took both cores for 10–20 s every
   * minute and the drain fell to 90 % of BRP's limit meanwhile. Paced, the same work is spread
   * out and costs the drain nothing measurable. 0: not paced.
   */
  ordersPerSec: number;
}

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
  /** A full-speed pass was asked for while a pass runs: the pace is dropped, and one more follows. */
  private again = false;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly queues: TenantQueues,
    private readonly logger: Logger,
    private readonly options: ReconcilerOptions,
  ) {}

  /**
   * One pass over every live order. A periodic call while a pass runs shares it. Any other call
   * while a pass runs shares it too, makes it go on at full speed, and has one more full-speed
   * pass follow it (a Redis restart during a pass must still be seen by a pass that starts after).
   */
  runOnce(reason: ReconcileReason): Promise<number> {
    const paced = reason === 'periodic' && this.options.ordersPerSec > 0;
    if (this.running) {
      if (reason !== 'periodic') {
        this.again = true;
        this.wake?.();
      }
      return this.running;
    }
    this.running = (async () => {
      let total = 0;
      let pacedPass = paced;
      do {
        this.again = false;
        total += await this.pass(new Date(), pacedPass);
        pacedPass = false;
      } while (this.again && !this.stopped);
      return total;
    })().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** A pass in progress ends at its next step; none starts after. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async pass(now: Date, paced: boolean): Promise<number> {
    const tenants = new Set(this.queues.tenants());
    const olderThan = new Date(now.getTime() - this.options.minAgeMs);
    const started = Date.now();
    let checked = 0;
    let repaired = 0;
    let after: LiveOrderCursor | undefined;
    while (!this.stopped) {
      const batch = await this.ledger.liveOrders({ after, olderThan, limit: BATCH });
      if (batch.length === 0) break;
      checked += batch.length;
      after = batch[batch.length - 1]!.cursor;
      const byTenant = new Map<string, typeof batch>();
      for (const o of batch) {
        // A tenant removed from the config has no queue: its orders wait for it to come back.
        if (!tenants.has(o.tenant)) continue;
        const list = byTenant.get(o.tenant);
        if (list) list.push(o);
        else byTenant.set(o.tenant, [o]);
      }
      for (const [tenant, orders] of byTenant) {
        const pending = await this.queues.pendingJobs(tenant, orders.map((o) => o.key));
        const jobless = orders.filter((o) => !pending.has(o.key));
        // The batch was read before its jobs were looked at: an order finished in between has had
        // its job removed and is no longer live. Looked at again now, it is left alone (a job for
        // it would only take a slot of the rate budget to find it done).
        const stillLive = await this.ledger.liveKeys(jobless.map((o) => o.key));
        for (const o of jobless) {
          const key = o.key;
          if (!stillLive.has(key)) continue;
          await this.queues.reenqueue(key, tenant);
          repaired++;
          const p = parseOrderKey(key);
          logEvent(this.logger, 'order.reconciled', { tenant, portal: p?.portal ?? '', ordernr: p?.ordernr ?? '', state: o.state });
        }
      }
      if (batch.length < BATCH) break;
      // Checked and slept in one synchronous step: a wake() cannot fall between the two.
      if (paced && !this.again && !this.stopped) await this.waitUntil(started + (checked / this.options.ordersPerSec) * 1000);
    }
    if (repaired > 0) logEvent(this.logger, 'reconcile.done', { repaired });
    return repaired;
  }

  /** Sleeps until `at` (epoch ms), or until an urgent pass or stop() wakes it. */
  private async waitUntil(at: number): Promise<void> {
    const ms = at - Date.now();
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() { clearTimeout(timer); resolve(); }
      this.wake = done;
    });
    this.wake = undefined;
  }
}
