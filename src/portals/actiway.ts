import type { CanonicalPhones } from '../domain/canonical-order.js';
import { MAX_ITEMS } from '../domain/validate-order.js';
import { OPTIONAL, REQUIRED, quantityTextRule } from './field-rules.js';
import { Issues } from './issues.js';
import { OrderDraft } from './order-draft.js';
import type { AdapterResult, PortalAdapter } from './portal-order.js';
import { XmlSource } from './xml-source.js';

export const ACTIWAY_NAMESPACE = 'urn:actiway:order:1';

const PHONE_TYPES: ReadonlyArray<keyof CanonicalPhones> = ['mobile', 'home', 'work'];

/** xs:boolean's lexical space. */
const BOOLEANS: Record<string, boolean> = { true: true, false: false, 1: true, 0: false };

/**
 * Actiway (actiway.md): the raw XML text of `POST /portals/actiway/orders`. Paths are XPath-like,
 * relative to the root and 1-based (`Customer/PersonalNumber`, `Items/Item[2]/@priceInclVat`);
 * a document that cannot be used at all (unsafe, malformed, wrong root or namespace) is one error
 * at `/`. See xml-source.ts for the namespace rule.
 */
export function actiwayToPortalOrder(payload: string, _now?: Date): AdapterResult {
  const issues = new Issues();
  const src = XmlSource.parse(payload, { root: 'ActiwayOrder', namespace: ACTIWAY_NAMESPACE }, issues);
  if (src === undefined) return { ok: false, errors: issues.errors };
  const d = new OrderDraft('actiway', src);

  // The field map: a table of where each field sits in this portal's payload. The adapters' maps
  // look alike by design (intentional tables, #12); the logic they share is order-draft.ts and field-rules.ts.
  d.ordernr('@id');
  d.instant('@created', OPTIONAL);
  d.text('organization.number', 'Company/@orgNo', REQUIRED);
  d.text('organization.name', 'Company', REQUIRED);
  d.text('person.firstName', 'Customer/FirstName', REQUIRED);
  d.text('person.lastName', 'Customer/LastName', REQUIRED);
  d.text('person.personnummer', 'Customer/PersonalNumber', REQUIRED);
  d.text('person.email', 'Customer/Email', OPTIONAL);
  const phones = src.count('Customer/Phone', { min: 0, max: PHONE_TYPES.length });
  const seen = new Set<string>();
  for (let k = 1; k <= phones; k++) {
    const type = src.text(`Customer/Phone[${k}]/@type`, REQUIRED);
    if (type === undefined) continue;
    const kind = PHONE_TYPES.find((t) => t === type);
    if (kind === undefined) issues.add(`Customer/Phone[${k}]/@type`, 'must be mobile, home or work');
    else if (seen.has(kind)) issues.add(`Customer/Phone[${k}]/@type`, 'must not repeat the type of an earlier Phone');
    else d.text(`person.phones.${kind}`, `Customer/Phone[${k}]`, OPTIONAL);
    seen.add(type);
  }
  d.text('person.address.street', 'Customer/Address/Street', OPTIONAL);
  d.text('person.address.postalCode', 'Customer/Address/Zip', OPTIONAL);
  d.text('person.address.city', 'Customer/Address/City', OPTIONAL);
  d.text('person.address.country', 'Customer/Address/Country', OPTIONAL);
  d.text('venueRef', 'Venue/@ref', REQUIRED);
  d.text('person.note', 'Comment', OPTIONAL);

  const count = src.count('Items/Item', { min: 1, max: MAX_ITEMS });
  for (let k = 1; k <= count; k++) {
    const at = `Items/Item[${k}]`;
    const i = k - 1;
    d.text(`lines[${i}].articleCode`, `${at}/@articleNo`, REQUIRED);
    d.isoDate(`lines[${i}].startDay`, `${at}/@startDate`, REQUIRED);
    d.decimalSek(`lines[${i}].priceIncVatOre`, `${at}/@priceInclVat`);
    d.set(`lines[${i}].quantity`, `${at}/@quantity`, quantityTextRule(issues, `${at}/@quantity`, src.text(`${at}/@quantity`, OPTIONAL) ?? '1'));
    const renew = src.text(`${at}/@renew`, OPTIONAL);
    if (renew !== undefined) {
      const value = Object.hasOwn(BOOLEANS, renew) ? BOOLEANS[renew] : issues.add(`${at}/@renew`, 'must be true or false');
      d.set(`lines[${i}].renew`, `${at}/@renew`, value);
    }
  }
  return d.finish('Items', count);
}

export const actiwayAdapter = {
  portal: 'actiway',
  toPortalOrder: actiwayToPortalOrder,
} as const satisfies PortalAdapter<string>;
