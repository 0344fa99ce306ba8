import type { Ledger } from './ledger.js';
import { SETTLED_STATES } from './order-state.js';

export type StateCount = Awaited<ReturnType<Ledger['countByTenantPortalState']>>[number];

export interface SettledCount {
  /** When the count was started: orders that settled since then are not in it yet. */
  takenAt: Date;
  rows: StateCount[];
}

/**
 * The orders in the settled states (confirmed, rerouted) per tenant, portal and state, counted at
 * most `maxAgeMs` ago (the daemon's `admin.settledCountsMaxAgeSeconds`). Counting them reads nearly
 * the whole ledger (33 ms at 100,000 orders in `npm run bench:scrape`, growing with the ledger),
 * too much for every console page and every /metrics scrape of every replica; what it misses
 * meanwhile are the orders that settled since, which the order counters show as they happen.
 * Stale-while-revalidate: a read gets the last count at once and, when it is too old, starts the
 * next one; only the first read waits. One count runs at a time per process, shared by every
 * reader (the console, the metrics).
 */
export class SettledCounts {
  private last?: SettledCount;
  private counting?: Promise<SettledCount>;

  constructor(
    private readonly ledger: Pick<Ledger, 'countByTenantPortalState'>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<SettledCount> {
    if (!this.last) return this.count();
    // A failed background count leaves the last one in place; the next read tries again.
    if (this.now() - this.last.takenAt.getTime() > this.maxAgeMs) this.count().catch(() => undefined);
    return this.last;
  }

  private count(): Promise<SettledCount> {
    this.counting ??= (async () => {
      const takenAt = new Date(this.now());
      const rows = await this.ledger.countByTenantPortalState(SETTLED_STATES);
      this.last = { takenAt, rows };
      return this.last;
    })().finally(() => { this.counting = undefined; });
    return this.counting;
  }
}
