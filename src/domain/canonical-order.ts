/**
 * The portal-independent order every adapter produces and every later stage consumes.
 * It is also the BullMQ job payload, so it stays compact: no XML, no derived values.
 * Everything in it is already normalised (see normalise-*.ts) and validated (validate-order.ts).
 */

export const PORTALS = ['benify', 'wellnet', 'sop', 'actiway', 'epassi'] as const;
export type Portal = (typeof PORTALS)[number];

/** Which personnummer form a tenant's BRP expects: BRP's documented `YYMMDD-NNNN` or 12 digits. */
export type PersonnummerForm = 'short' | 'long';

export interface CanonicalAddress {
  street?: string;
  postalCode?: string;
  city?: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country?: string;
}

export interface CanonicalPhones {
  home?: string;
  work?: string;
  mobile?: string;
}

export interface CanonicalPerson {
  firstName: string;
  lastName: string;
  /** Normalised for the tenant: `YYMMDD-NNNN` / `YYMMDD+NNNN`, or `YYYYMMDDNNNN` when the tenant uses 'long'. */
  personnummer: string;
  address?: CanonicalAddress;
  email?: string;
  /** National form, digits only (with a leading 0), e.g. `0731234567`. */
  phones?: CanonicalPhones;
  note?: string;
}

export interface CanonicalItem {
  /** BRP product number (a string: BRP numbers look like `64575F`). */
  productNumber: string;
  /** Stockholm-local date `YYYY-MM-DD`. */
  startDay: string;
  /** Price including VAT in integer öre. Never a float. */
  priceIncVatOre: number;
  /** Only for subscriptions, and only if the BRP instance allows "förnya i partnerorder". */
  renew?: boolean;
}

export interface CanonicalOrder {
  portal: Portal;
  /** The portal's own order id; becomes BRP `ordernr`. */
  ordernr: string;
  /** Which BRP instance (config key). */
  tenant: string;
  /** BRP business unit id (a positive integer as a string). */
  businessUnit: string;
  organization: { number: string; name: string };
  person: CanonicalPerson;
  items: CanonicalItem[];
}

/** One validation problem, with the path of the field in the input (dot/bracket notation). */
export interface FieldError {
  path: string;
  message: string;
}

/** The exactly-once key of an order. */
export interface OrderKey {
  tenant: string;
  portal: Portal;
  ordernr: string;
}

export function orderKeyOf(order: Pick<CanonicalOrder, 'tenant' | 'portal' | 'ordernr'>): OrderKey {
  return { tenant: order.tenant, portal: order.portal, ordernr: order.ordernr };
}

/** `tenant:portal:ordernr`, with `:` and `%` in the parts percent-escaped so the key is unambiguous. */
export function formatOrderKey(key: OrderKey): string {
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/:/g, '%3A');
  return `${esc(key.tenant)}:${esc(key.portal)}:${esc(key.ordernr)}`;
}

export function parseOrderKey(text: string): OrderKey | undefined {
  const parts = text.split(':');
  if (parts.length !== 3) return undefined;
  const un = (s: string) => decodeURIComponent(s);
  const [tenant, portal, ordernr] = parts.map(un) as [string, string, string];
  if (!(PORTALS as readonly string[]).includes(portal)) return undefined;
  return { tenant, portal: portal as Portal, ordernr };
}
