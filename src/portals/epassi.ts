import { MAX_ITEMS } from '../domain/validate-order.js';
import { OPTIONAL, REQUIRED, quantityRule } from './field-rules.js';
import { OrderDraft } from './order-draft.js';
import { JsonSource } from './json-source.js';
import type { AdapterResult, PortalAdapter } from './portal-order.js';

/**
 * Epassi (epassi.md): ONE element of a poll page's `items` array. Paths are relative to that
 * element (`beneficiary.nationalId`, `products[0].unitPrice`). Only PAID purchases are orders.
 * A product without a start date (null) starts on the Stockholm-local date of `paidAt`; its
 * `fieldPaths` entry then points at `paidAt`. `quantity` is required (the contract gives no default).
 */
export function epassiToPortalOrder(payload: unknown, _now?: Date): AdapterResult {
  const src = new JsonSource(payload);
  const d = new OrderDraft('epassi', src);

  // The field map: a table of where each field sits in this portal's payload. The adapters' maps
  // look alike by design (intentional tables, #12); the logic they share is order-draft.ts and field-rules.ts.
  d.ordernr('purchaseId');
  const paidDay = d.instant('paidAt', REQUIRED);
  const status = src.text('status', REQUIRED);
  if (status !== undefined && status !== 'PAID') src.issues.add('status', 'must be PAID');
  d.text('organization.number', 'employer.businessId', REQUIRED);
  d.text('organization.name', 'employer.name', REQUIRED);
  d.text('person.firstName', 'beneficiary.firstName', REQUIRED);
  d.text('person.lastName', 'beneficiary.lastName', REQUIRED);
  d.text('person.personnummer', 'beneficiary.nationalId', REQUIRED);
  d.text('person.email', 'beneficiary.email', OPTIONAL);
  d.text('person.phones.mobile', 'beneficiary.phoneNumber', OPTIONAL);
  d.text('person.address.street', 'beneficiary.address.streetAddress', OPTIONAL);
  d.text('person.address.postalCode', 'beneficiary.address.postalCode', OPTIONAL);
  d.text('person.address.city', 'beneficiary.address.city', OPTIONAL);
  d.text('person.address.country', 'beneficiary.address.country', OPTIONAL);
  d.text('venueRef', 'merchant.siteId', REQUIRED);

  const count = src.objects('products', { min: 1, max: MAX_ITEMS });
  for (let i = 0; i < count; i++) {
    const at = `products[${i}]`;
    d.text(`lines[${i}].articleCode`, `${at}.sku`, REQUIRED);
    if (src.value(`${at}.startDate`, OPTIONAL) !== undefined) d.isoDate(`lines[${i}].startDay`, `${at}.startDate`, REQUIRED);
    else d.set(`lines[${i}].startDay`, 'paidAt', paidDay);
    d.decimalSek(`lines[${i}].priceIncVatOre`, `${at}.unitPrice`);
    d.set(`lines[${i}].quantity`, `${at}.quantity`, quantityRule(src.issues, `${at}.quantity`, src.integer(`${at}.quantity`, REQUIRED)));
  }
  return d.finish('products', count);
}

export const epassiAdapter = {
  portal: 'epassi',
  toPortalOrder: epassiToPortalOrder,
} as const satisfies PortalAdapter<unknown>;
