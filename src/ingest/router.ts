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
  | {
      ok: false;
      reason: string;
      /** The portal's paths of the references routing does not know (none: the portal is not configured). */
      at: string[];
    };

/**
 * Configuration turns a portal's venue into a tenant and business unit, and each article code
 * into the tenant's BRP product number (a portal section may override the tenant's map). A line
 * with quantity n becomes n items at the unit price: BRP partner-order items have no quantity.
 * The reason of an unroutable order says where the unknown references are (the portal's own
 * paths) and which configuration lacks them, never what they are: in a file whose cells have
 * shifted, the "venue" may be somebody's phone number. `partnerd show <key>` shows the
 * references to the operator who adds the mapping.
 */
export function routePortalOrder(order: PortalOrder, config: Pick<Config, 'portals' | 'tenants'>): RouteResult {
  const section = config.portals[order.portal];
  if (!section) return { ok: false, reason: `portal ${order.portal} is not configured`, at: [] };
  const venue = section.venues[order.venueRef];
  const venueAt = order.fieldPaths.venueRef ?? 'venueRef';
  if (!venue) return { ok: false, reason: `unknown venue at ${venueAt} (not in portals.${order.portal}.venues)`, at: [venueAt] };
  const tenant = config.tenants[venue.tenant];
  if (!tenant) return { ok: false, reason: `the venue at ${venueAt} leads to unknown tenant ${venue.tenant}`, at: [venueAt] };

  const unknown: string[] = [];
  const items: Array<Record<string, unknown>> = [];
  const itemLine: number[] = [];
  order.lines.forEach((line, i) => {
    const productNumber = section.articles[line.articleCode] ?? tenant.articles[line.articleCode];
    if (!productNumber) {
      unknown.push(order.fieldPaths[`lines[${i}].articleCode`] ?? `lines[${i}].articleCode`);
      return;
    }
    for (let n = 0; n < line.quantity; n++) {
      items.push({ productNumber, startDay: line.startDay, priceIncVatOre: line.priceIncVatOre, ...(line.renew !== undefined ? { renew: line.renew } : {}) });
      itemLine.push(i);
    }
  });
  if (unknown.length > 0) {
    return {
      ok: false,
      reason: `unknown article${unknown.length > 1 ? 's' : ''} at ${unknown.join(', ')} (not in the articles of tenant ${tenant.name} or portals.${order.portal}.articles)`,
      at: unknown,
    };
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

