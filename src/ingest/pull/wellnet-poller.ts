import type { WellnetClient } from './wellnet-client.js';
import { PortalPoller, type PollerOptions, type PollerServices, type PollSummary } from './portal-poller.js';
import { portalKeys } from './portal-state.js';
import { logEvent } from '../../observability/log-event.js';

/** A run stops after this many pages (the next run continues from the saved cursor). */
export const MAX_PAGES_PER_RUN = 1000;

/**
 * One Wellnet poll: pages after the stored cursor while `hasMore`. Every order of a page is
 * stored and queued (or recorded as rejected / unroutable) before the page's `nextCursor` is
 * saved to `{prefix}:cursor:wellnet`, so a crash in between re-reads the page on the next run and
 * its orders are found as duplicates: a page is never skipped. The cursor is opaque: stored and
 * sent back as is.
 */
export class WellnetPoller extends PortalPoller {
  constructor(services: PollerServices, private readonly client: WellnetClient, private readonly pageSize: number, options: PollerOptions = {}) {
    super('wellnet', services, options);
  }

  protected async fetchAll(summary: PollSummary, ingest: (payload: unknown) => Promise<void>): Promise<void> {
    const { redis, logger } = this.services;
    const cursorKey = portalKeys(this.prefix, 'wellnet').cursor;
    let cursor = (await redis.get(cursorKey)) ?? undefined;
    summary.cursorAdvanced = false;
    for (let n = 0; n < MAX_PAGES_PER_RUN; n++) {
      const page = await this.client.fetchOrders(cursor, this.pageSize);
      summary.pages++;
      for (const order of page.orders) await ingest(order);
      const next = page.nextCursor;
      const moved = next !== null && next !== '' && next !== cursor;
      if (moved) {
        // Only now: every order of this page is stored and queued.
        await redis.set(cursorKey, next);
        cursor = next;
        summary.cursorAdvanced = true;
      }
      if (!page.hasMore) return;
      if (!moved || page.orders.length === 0) {
        logEvent(logger, 'portal.protocol', { portal: 'wellnet', reason: 'hasMore without a new cursor or orders; the next run continues' });
        return;
      }
    }
  }
}
