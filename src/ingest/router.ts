import type { Config } from '../config/schema.js';
import type { PortalOrder } from '../portals/portal-order.js';

export type RouteResult =
  | {
      ok: true;
      tenant: string;
      /** Canonical input (not yet normalised) for domain/validate-order. */
      input: Record<string, unknown>;
      /** For each canonical item, the index of the portal line it came from (quantities expand). */
      itemLine: number[];
    }
  | { ok: false; reason: string };

/**
 * Configuration turns a portal's venue into a tenant and business unit, and each article code
 * into the tenant's BRP product number (a portal section may override the tenant's map). A line
 * with quantity n becomes n items at the unit price: BRP partner-order items have no quantity.
 * The reason of an unroutable order names the unknown references, because the operator adds
 * exactly those keys to the configuration (and S&P's receipts show "Okänt artikelnummer CLIP-10"):
 * a venue reference or article code is an identifier, like the order id, never personal data. It
 * is quoted bounded in length, so an absurd reference cannot flood logs and receipts.
 */
export function routePortalOrder(order: PortalOrder, config: Pick<Config, 'portals' | 'tenants'>): RouteResult {
  const section = config.portals[order.portal];
  if (!section) return { ok: false, reason: `portal ${order.portal} is not configured` };
  const venue = section.venues[order.venueRef];
  if (!venue) return { ok: false, reason: `unknown venue ${quoteRef(order.venueRef)}` };
  const tenant = config.tenants[venue.tenant];
  if (!tenant) return { ok: false, reason: `venue ${quoteRef(order.venueRef)} leads to unknown tenant ${venue.tenant}` };

  const unknown = new Set<string>();
  const items: Array<Record<string, unknown>> = [];
  const itemLine: number[] = [];
  order.lines.forEach((line, i) => {
    const productNumber = section.articles[line.articleCode] ?? tenant.articles[line.articleCode];
    if (!productNumber) {
      unknown.add(line.articleCode);
      return;
    }
    for (let n = 0; n < line.quantity; n++) {
      items.push({ productNumber, startDay: line.startDay, priceIncVatOre: line.priceIncVatOre, ...(line.renew !== undefined ? { renew: line.renew } : {}) });
      itemLine.push(i);
    }
  });
  if (unknown.size > 0) {
    return { ok: false, reason: `unknown article${unknown.size > 1 ? 's' : ''} ${[...unknown].map(quoteRef).join(', ')} for tenant ${tenant.name}` };
  }
  return {
    ok: true,
    tenant: tenant.name,
    itemLine,
    input: {
      portal: order.portal,
      ordernr: order.ordernr,
      tenant: tenant.name,
      businessUnit: venue.businessUnit,
      organization: order.organization,
      person: order.person,
      items,
    },
  };
}

/** Longest reference quoted in a reason (BRP order ids are at most 40 characters; so are portal codes in practice). */
const MAX_QUOTED_REF = 40;

function quoteRef(ref: string): string {
  const chars = [...ref];
  return chars.length > MAX_QUOTED_REF ? `"${chars.slice(0, MAX_QUOTED_REF).join('')}…"` : `"${ref}"`;
}
