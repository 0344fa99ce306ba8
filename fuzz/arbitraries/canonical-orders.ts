import fc from 'fast-check';
import { PORTALS } from '../../src/domain/canonical-order.js';
import { mutateTree, treeMutations, type TreeMutation } from './hostile-values.js';
import { personValues, type PersonValues } from './personal-values.js';

/**
 * Canonical order input, the JSON `partnerd submit` reads and every adapter's output becomes
 * (README: "A canonical order file"): a valid order in one of the many forms it may take, with a
 * few of its nodes replaced by hostile values or deleted. Plain data, printed on failure.
 */
export interface CanonicalCase {
  portal: (typeof PORTALS)[number];
  person: PersonValues;
  org: string;
  businessUnit: number | string;
  country: string;
  items: Array<{ productNumber: string | number; startDay: string; price: { ore: number } | { sek: string }; renew?: boolean }>;
  note?: string;
  mutations: TreeMutation[];
}

const startDay = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 800 }).map((d) => new Date(Date.UTC(2026, 11, 1 + d)).toISOString().slice(0, 10)) },
  // Real calendar dates at the edges of what BRP's xs:date can carry.
  { weight: 1, arbitrary: fc.constantFrom('0000-01-01', '0001-01-01', '0999-12-31', '1000-01-01', '1899-12-31', '9999-12-31', '2028-02-29', '2100-02-28') },
);

const price = fc.oneof(
  fc.integer({ min: 0, max: 2_000_000 }).map((ore) => ({ ore })),
  fc.integer({ min: 0, max: 2_000_000 }).map((ore) => ({ sek: `${Math.floor(ore / 100)}.${String(ore % 100).padStart(2, '0')}` })),
  fc.integer({ min: 0, max: 2_000_000 }).map((ore) => ({ sek: `${String(Math.floor(ore / 100)).replace(/\B(?=(\d{3})+$)/g, ' ')},${String(ore % 100).padStart(2, '0')} kr` })),
);

export const canonicalCase: fc.Arbitrary<CanonicalCase> = fc.record(
  {
    portal: fc.constantFrom(...PORTALS),
    person: personValues,
    org: fc.constantFrom('556016-0680', '5560160680', '16556016-0680', '212000-0142'),
    businessUnit: fc.constantFrom<number | string>(1, 2, '1', '007', 9007199254740991),
    country: fc.constantFrom('SE', 'se', 'NO', 'Fi'),
    items: fc.array(
      fc.record(
        { productNumber: fc.constantFrom<string | number>('1001', '2001', '64575F', 1002), startDay, price, renew: fc.boolean() },
        { requiredKeys: ['productNumber', 'startDay', 'price'] },
      ),
      { minLength: 1, maxLength: 4 },
    ),
    note: fc.constantFrom('Ett meddelande', 'två\nrader', '  '),
    mutations: treeMutations,
  },
  { requiredKeys: ['portal', 'person', 'org', 'businessUnit', 'country', 'items', 'mutations'] },
);

/** The case as the JSON object validateOrder is given. */
export function canonicalInput(c: CanonicalCase, ordernr: string): unknown {
  const p = c.person;
  const order = {
    portal: c.portal,
    ordernr,
    tenant: 't1',
    businessUnit: c.businessUnit,
    organization: { number: c.org, name: 'Prov Org AB' },
    person: {
      firstName: p.firstName, lastName: p.lastName, personnummer: p.personnummer,
      address: { street: p.street, postalCode: '123 45', city: p.city, country: c.country },
      email: p.email, phones: { mobile: p.phone, work: '08-123 45' },
      ...(c.note !== undefined ? { note: c.note } : {}),
    },
    items: c.items.map((i) => ({
      productNumber: i.productNumber,
      startDay: i.startDay,
      ...('ore' in i.price ? { priceIncVatOre: i.price.ore } : { priceIncVat: i.price.sek }),
      ...(i.renew !== undefined ? { renew: i.renew } : {}),
    })),
  };
  return mutateTree(order, c.mutations);
}
