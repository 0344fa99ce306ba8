import { MAX_ITEMS } from '../domain/validate-order.js';
import { OPTIONAL, REQUIRED } from './field-rules.js';
import { OrderDraft } from './order-draft.js';
import { JsonSource } from './json-source.js';
import type { AdapterResult, PortalAdapter } from './portal-order.js';

/**
 * Benify (benify.md): the parsed JSON body of `POST /portals/benify/orders`. Paths in errors and
 * `fieldPaths` are Benify's JSON paths (`employee.personalIdentityNumber`, `lines[0].priceInclVat.amount`).
 * Benify lines have no quantity: each is one item.
 */
export function benifyToPortalOrder(payload: unknown, _now?: Date): AdapterResult {
  const src = new JsonSource(payload);
  const d = new OrderDraft('benify', src);

  // The field map: a table of where each field sits in this portal's payload. The adapters' maps
  // look alike by design (intentional tables, #12); the logic they share is order-draft.ts and field-rules.ts.
  d.ordernr('orderId');
  d.instant('placedAt', REQUIRED);
  d.text('organization.number', 'employer.orgNumber', REQUIRED);
  d.text('organization.name', 'employer.name', REQUIRED);
  d.text('person.firstName', 'employee.firstName', REQUIRED);
  d.text('person.lastName', 'employee.lastName', REQUIRED);
  d.text('person.personnummer', 'employee.personalIdentityNumber', REQUIRED);
  d.text('person.email', 'employee.email', OPTIONAL);
  d.text('person.phones.mobile', 'employee.mobilePhone', OPTIONAL);
  d.text('person.phones.home', 'employee.homePhone', OPTIONAL);
  d.text('person.phones.work', 'employee.workPhone', OPTIONAL);
  d.text('person.address.street', 'employee.address.street', OPTIONAL);
  d.text('person.address.postalCode', 'employee.address.postalCode', OPTIONAL);
  d.text('person.address.city', 'employee.address.city', OPTIONAL);
  d.text('person.address.country', 'employee.address.countryCode', OPTIONAL);
  d.text('venueRef', 'supplier.venueId', REQUIRED);
  d.text('person.note', 'message', OPTIONAL);

  const count = src.objects('lines', { min: 1, max: MAX_ITEMS });
  for (let i = 0; i < count; i++) {
    const at = `lines[${i}]`;
    d.text(`lines[${i}].articleCode`, `${at}.articleId`, REQUIRED);
    d.isoDate(`lines[${i}].startDay`, `${at}.startDate`, REQUIRED);
    d.decimalSek(`lines[${i}].priceIncVatOre`, `${at}.priceInclVat.amount`);
    const currency = src.text(`${at}.priceInclVat.currency`, REQUIRED);
    if (currency !== undefined && currency !== 'SEK') src.issues.add(`${at}.priceInclVat.currency`, 'must be SEK');
    d.fixed(`lines[${i}].quantity`, 1);
    d.set(`lines[${i}].renew`, `${at}.renew`, src.boolean(`${at}.renew`, OPTIONAL));
  }
  return d.finish('lines', count);
}

export const benifyAdapter = {
  portal: 'benify',
  toPortalOrder: benifyToPortalOrder,
} as const satisfies PortalAdapter<unknown>;
