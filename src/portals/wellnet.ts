import { MAX_ITEMS } from '../domain/validate-order.js';
import { OPTIONAL, REQUIRED, oreRule } from './field-rules.js';
import { OrderDraft } from './order-draft.js';
import { JsonSource } from './json-source.js';
import type { AdapterResult, PortalAdapter } from './portal-order.js';

/**
 * Wellnet (wellnet.md): ONE element of a poll page's `orders` array (the poller handles pages,
 * cursor and `sequence`). Paths are relative to that element (`person.ssn`, `rows[0].priceOre`).
 * Rows have no quantity: each is one item. `priceOre` is already integer öre.
 */
export function wellnetToPortalOrder(payload: unknown, _now?: Date): AdapterResult {
  const src = new JsonSource(payload);
  const d = new OrderDraft('wellnet', src);

  // The field map: a table of where each field sits in this portal's payload. The adapters' maps
  // look alike by design (intentional tables, #12); the logic they share is order-draft.ts and field-rules.ts.
  d.ordernr('id');
  d.instant('createdAt', OPTIONAL);
  d.text('organization.number', 'company.orgNo', REQUIRED);
  d.text('organization.name', 'company.name', REQUIRED);
  d.text('person.firstName', 'person.givenName', REQUIRED);
  d.text('person.lastName', 'person.familyName', REQUIRED);
  d.text('person.personnummer', 'person.ssn', REQUIRED);
  d.text('person.email', 'person.email', OPTIONAL);
  d.text('person.phones.mobile', 'person.phone.mobile', OPTIONAL);
  d.text('person.phones.home', 'person.phone.home', OPTIONAL);
  d.text('person.phones.work', 'person.phone.work', OPTIONAL);
  d.text('person.address.street', 'person.street', OPTIONAL);
  d.text('person.address.postalCode', 'person.zip', OPTIONAL);
  d.text('person.address.city', 'person.city', OPTIONAL);
  d.text('person.address.country', 'person.country', OPTIONAL);
  d.text('venueRef', 'facilityCode', REQUIRED);
  d.text('person.note', 'note', OPTIONAL);

  const count = src.objects('rows', { min: 1, max: MAX_ITEMS });
  for (let i = 0; i < count; i++) {
    const at = `rows[${i}]`;
    d.text(`lines[${i}].articleCode`, `${at}.productCode`, REQUIRED);
    d.isoDate(`lines[${i}].startDay`, `${at}.validFrom`, REQUIRED);
    d.set(`lines[${i}].priceIncVatOre`, `${at}.priceOre`, oreRule(src.issues, `${at}.priceOre`, src.integer(`${at}.priceOre`, REQUIRED)));
    d.fixed(`lines[${i}].quantity`, 1);
    d.set(`lines[${i}].renew`, `${at}.renew`, src.boolean(`${at}.renew`, OPTIONAL));
  }
  return d.finish('rows', count);
}

export const wellnetAdapter = {
  portal: 'wellnet',
  toPortalOrder: wellnetToPortalOrder,
} as const satisfies PortalAdapter<unknown>;
