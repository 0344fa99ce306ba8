import { readWellnetPage } from '../payload/read-portal-payload.js';
import type { WellnetClient } from '../../portal-clients/wellnet-client.js';
import { PortalPoller, unreadablePage, type PollerOptions, type PollerServices, type PollSummary, type StorePage } from './portal-poller.js';
import { logEvent } from '../../observability/log-event.js';

/** A run stops after this many pages (the next run continues from the saved cursor). */
export const MAX_PAGES_PER_RUN = 1000;

/**
 * One Wellnet poll: pages after the stored cursor while `hasMore`. Every order of a page (stored
 * to be sent, or recorded as rejected / unroutable) and the page's `nextCursor` are committed to
 * the ledger in one transaction, so the cursor never moves past an order that was not stored,
 * and a crash before the commit re-reads the page: a page is never skipped and never half-stored.
 * The cursor is opaque: stored and sent back as is.
 */
export class WellnetPoller extends PortalPoller {
  constructor(services: PollerServices, private readonly client: WellnetClient, private readonly pageSize: number, options: PollerOptions = {}) {
    super('wellnet', services, options);
  }

  protected async fetchAll(summary: PollSummary, storePage: StorePage): Promise<void> {
    const { ledger, logger } = this.services;
    let cursor = await ledger.cursor('wellnet');
    summary.cursorAdvanced = false;
    for (let n = 0; n < MAX_PAGES_PER_RUN; n++) {
      const page = readWellnetPage(await this.client.fetchOrdersPage(cursor, this.pageSize), new Date());
      if (!page.ok) throw unreadablePage('wellnet', page);
      summary.pages++;
      const next = page.nextCursor;
      const moved = next !== null && next !== '' && next !== cursor;
      await storePage(page.orders, moved ? (tx) => tx.saveCursor('wellnet', next) : undefined);
      if (moved) {
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
