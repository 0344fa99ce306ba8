import type { CanonicalOrder, CanonicalPerson, FieldError, Portal } from '../domain/canonical-order.js';

/**
 * What a portal adapter makes of one portal order, before routing: the portal's venue reference
 * and article codes are still the portal's (configuration turns them into a tenant, a business
 * unit and BRP product numbers), and person data is still raw (the shared normalisation in
 * domain/validate-order does personnummer, org numbers, phones and XML characters, once, for all
 * portals). Money and dates are already canonical: each portal spells them differently.
 */
export interface PortalOrder {
  portal: Portal;
  /** The portal's order id: BRP `ordernr`, and with the portal the idempotency key. */
  ordernr: string;
  /** The portal's venue / facility / site reference. */
  venueRef: string;
  /** The canonical shapes, but values as the portal sent them (normalised later, once, for all portals). */
  organization: CanonicalOrder['organization'];
  person: CanonicalPerson;
  lines: PortalOrderLine[];
  /**
   * Canonical field path → the portal's own path for that field, so that a problem found by the
   * shared validation is reported to the portal in its own terms. Keys use the paths validateOrder
   * reports (`person.personnummer`, `person.phones.mobile`, `organization.number`, …) and
   * `lines[i].…` for line fields (`lines[0].startDay`); a missing entry falls back to the
   * canonical path.
   */
  fieldPaths: Record<string, string>;
}

export interface PortalOrderLine {
  /** The portal's article code; routing maps it to a BRP product number. */
  articleCode: string;
  /** Stockholm-local date `YYYY-MM-DD`. */
  startDay: string;
  /** Unit price including VAT, integer öre. */
  priceIncVatOre: number;
  /** BRP items have no quantity: a line with quantity n becomes n items at the unit price. */
  quantity: number;
  renew?: boolean;
}

/** Every problem with the payload, each with the portal's own field path. */
export type AdapterResult = { ok: true; order: PortalOrder } | { ok: false; errors: FieldError[]; ordernr?: string };

/**
 * One portal's payload → PortalOrder. Pure: no I/O, no clock other than `now`.
 * Adding a sixth portal is one adapter module plus one line in portal-registry.ts.
 */
export interface PortalAdapter<Payload = unknown> {
  readonly portal: Portal;
  toPortalOrder(payload: Payload, now: Date): AdapterResult;
}
