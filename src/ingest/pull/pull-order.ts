import type { FieldError } from '../../domain/canonical-order.js';
import { parseOrderKey } from '../../domain/canonical-order.js';
import { findXmlIllegalChar } from '../../domain/xml-text.js';
import { UNROUTED_TENANT } from '../../ledger/ledger.js';
import { logEvent } from '../../observability/log-event.js';
import type { PortalOrder } from '../../portals/portal-order.js';
import { describeErrors, type OrderRead } from '../payload/read-portal-payload.js';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { PortalIntake } from '../portal-intake.js';
import { routePortalOrder } from '../router.js';
import type { PullPortal } from '../../portal-clients/portal-http.js';

/**
 * One element of a pull portal's page (a Wellnet order, an Epassi purchase), as the page reader
 * read it (read-portal-payload.ts), → the ledger.
 *
 * A payload the adapter can read goes through PortalIntake with `recordInvalid` (an order that
 * fails the shared validation is recorded as rejected, and the portal is told). A payload the
 * adapter cannot read is recorded here, because a pull portal cannot be answered 400 and would
 * otherwise keep it pending forever (Epassi) or have it skipped silently (Wellnet's cursor):
 *
 *  - no readable order id: nothing can be recorded or acknowledged (there is no key to record it
 *    under and no id to tell the portal). It is skipped with a `portal.order_unidentifiable`
 *    warning (field paths only) and counted; Wellnet's cursor then moves past it.
 *  - order id, and a venue reference that routing knows: recorded as rejected under that venue's
 *    tenant (ledger.registerRejected), with the adapter's errors in the portal's own field paths;
 *    the notifier tells the portal "rejected" with them.
 *  - order id, but no readable venue, or one routing does not know: there is no tenant for the
 *    key, so it is kept as unroutable (`~:{portal}:{ordernr}`) with the reason (the routing reason
 *    and the adapter's errors). Its stored portal order is a stub without personal data
 *    (`adapterErrors` holds the errors): re-routing it after a configuration fix finds it invalid
 *    and rejects it, and the portal is then told.
 * A portal order id that is known already is a duplicate, whatever its payload says now.
 */

export type PullOrderOutcome = 'accepted' | 'duplicate' | 'unroutable' | 'rejected' | 'skipped';

/** What one pulled order needs (the daemon's Services has all of it; a page's transaction gives its own ledger and intake). */
export interface PullOrderServices {
  config: Config;
  ledger: Ledger;
  logger: Logger;
  portalIntake: PortalIntake;
}

export interface PullOrderResult {
  outcome: PullOrderOutcome;
  key?: string;
  ordernr?: string;
}

/** Where each portal's venue reference sits in its payload. */
const VENUE_PATH: Record<PullPortal, readonly string[]> = {
  wellnet: ['facilityCode'],
  epassi: ['merchant', 'siteId'],
};

const MAX_REASON = 500;

export async function ingestPullOrder(
  services: PullOrderServices,
  portal: PullPortal,
  order: OrderRead,
  now: Date,
): Promise<PullOrderResult> {
  const { payload, adapted } = order;
  if (adapted.ok) {
    const r = await services.portalIntake.ingest(adapted.order, { recordInvalid: true, now });
    const ordernr = adapted.order.ordernr;
    switch (r.status) {
      case 'accepted':
      case 'duplicate':
      case 'unroutable':
      case 'rejected':
        return { outcome: r.status, key: r.key, ordernr };
      case 'invalid':
        // Not reachable with recordInvalid; never let it pass silently.
        logEvent(services.logger, 'portal.order_not_recorded', { portal, ordernr, errors: r.errors.length });
        return { outcome: 'skipped', ordernr };
    }
  }
  return recordUnreadable(services, portal, payload, adapted.errors, adapted.ordernr, now);
}

async function recordUnreadable(
  services: PullOrderServices,
  portal: PullPortal,
  payload: unknown,
  errors: FieldError[],
  ordernr: string | undefined,
  now: Date,
): Promise<PullOrderResult> {
  const { ledger, logger, config } = services;
  if (!ordernr) {
    logEvent(logger, 'portal.order_unidentifiable', { portal, problems: describeErrors(errors) });
    return { outcome: 'skipped' };
  }
  const known = await ledger.keyForPortalOrder(portal, ordernr);
  if (known) return duplicate(services, portal, ordernr, known);

  const venueRef = readVenue(portal, payload);
  const stub: PortalOrder & { adapterErrors: FieldError[] } = {
    portal,
    ordernr,
    venueRef: venueRef ?? '',
    organization: { number: '', name: '' },
    person: { firstName: '', lastName: '', personnummer: '' },
    lines: [],
    fieldPaths: { venueRef: VENUE_PATH[portal].join('.') },
    adapterErrors: errors,
  };
  const route = venueRef !== undefined
    ? routePortalOrder(stub, config)
    : { ok: false as const, reason: `venue reference (${VENUE_PATH[portal].join('.')}) missing or unreadable`, at: [VENUE_PATH[portal].join('.')] };

  if (route.ok) {
    const reg = await ledger.registerRejected(route.tenant, { portal, ordernr }, errors, now);
    if (!reg.created) return duplicate(services, portal, ordernr, reg.existingKey);
    services.portalIntake.afterCommit(() => logEvent(logger, 'order.rejected', { tenant: route.tenant, portal, ordernr, reason: 'invalid order' }));
    return { outcome: 'rejected', key: reg.key, ordernr };
  }
  const reason = `${route.reason}; the order is also invalid: ${describeErrors(errors)}`.slice(0, MAX_REASON);
  const reg = await ledger.registerUnroutable(portal, ordernr, stub, reason, now);
  if (!reg.created) return duplicate(services, portal, ordernr, reg.existingKey);
  services.portalIntake.afterCommit(() => logEvent(logger, 'order.unroutable', { tenant: UNROUTED_TENANT, portal, ordernr, reason }));
  return { outcome: 'unroutable', key: reg.key, ordernr };
}

function duplicate(services: Pick<PullOrderServices, 'logger'>, portal: PullPortal, ordernr: string, key: string): PullOrderResult {
  const tenant = parseOrderKey(key)?.tenant ?? '';
  logEvent(services.logger, 'order.duplicate', { tenant, portal, ordernr });
  return { outcome: 'duplicate', key, ordernr };
}

/** The venue reference, when it is a non-blank string. */
function readVenue(portal: PullPortal, payload: unknown): string | undefined {
  let v: unknown = payload;
  for (const step of VENUE_PATH[portal]) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[step];
  }
  // Text XML cannot carry is no venue reference (and PostgreSQL could not store it in the stub).
  return typeof v === 'string' && v.trim() !== '' && findXmlIllegalChar(v) === undefined ? v.trim() : undefined;
}
