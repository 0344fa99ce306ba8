import { readEpassiPage } from '../payload/read-portal-payload.js';
import type { EpassiClient } from '../../portal-clients/epassi-client.js';
import { PortalPoller, unreadablePage, type PollerOptions, type PollerServices, type PollSummary, type StorePage } from './portal-poller.js';

/** A run stops after this many pages (purchases stay listed until marked: the next run sees the rest). */
export const MAX_PAGES_PER_RUN = 1000;

/**
 * One Epassi poll: every page of PAID purchases from 1 to `totalPages` (as the latest page
 * reports it). A purchase stays listed until the notifier marks it, so it comes back in every
 * poll until then: the portal order id makes each return a duplicate, never a second BRP order.
 * The list can shift while it is read (a purchase marked meanwhile): a purchase pushed onto an
 * earlier page is simply read by the next run, since it is still listed.
 */
export class EpassiPoller extends PortalPoller {
  constructor(services: PollerServices, private readonly client: EpassiClient, private readonly pageSize: number, options: PollerOptions = {}) {
    super('epassi', services, options);
  }

  protected async fetchAll(summary: PollSummary, storePage: StorePage): Promise<void> {
    let totalPages = 1;
    for (let page = 1; page <= totalPages && page <= MAX_PAGES_PER_RUN; page++) {
      const res = readEpassiPage(await this.client.fetchPurchasesPage(page, this.pageSize), new Date());
      if (!res.ok) throw unreadablePage('epassi', res);
      summary.pages++;
      totalPages = res.totalPages;
      await storePage(res.orders);
    }
  }
}
