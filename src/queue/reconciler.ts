import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { LIVE_STATES } from '../ledger/order-state.js';
import { logEvent } from '../observability/log-event.js';
import type { TenantQueues } from './tenant-queues.js';

/**
 * Repairs the gap between the ledger and BullMQ: a process that died after recording an order but
 * before adding its job, or a job BullMQ gave up on after too many stalls, leaves a live record
 * with no job. The reconciler re-adds the job from the stored payload; the worker then decides
 * (an open attempt becomes in-doubt, never a blind resend).
 */
export class Reconciler {
  constructor(
    private readonly ledger: Ledger,
    private readonly queues: TenantQueues,
    private readonly tenants: readonly string[],
    private readonly logger: Logger,
    /** Records changed more recently than this are left alone: their job may be on its way. */
    private readonly minAgeMs: number,
  ) {}

  async runOnce(now = new Date()): Promise<number> {
    let repaired = 0;
    for (const state of LIVE_STATES) {
      for (const key of await this.ledger.keysInState(state, 10_000)) {
        const rec = await this.ledger.get(key);
        if (!rec || !LIVE_STATES.includes(rec.state) || !rec.payload) continue;
        if (!this.tenants.includes(rec.tenant)) continue;
        if (now.getTime() - Date.parse(rec.updatedAt) < this.minAgeMs) continue;
        if (await this.queues.hasJob(rec.tenant, key)) continue;
        await this.queues.reenqueue(key, rec.payload);
        repaired++;
        logEvent(this.logger, 'order.reconciled', { tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, state: rec.state });
      }
    }
    return repaired;
  }
}
