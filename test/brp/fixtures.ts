import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CanonicalOrder } from '../../src/domain/canonical-order.js';

/** Path of the project's XSD. */
export const XSD_PATH = fileURLToPath(new URL('../../xsd/createpartnerorder.xsd', import.meta.url));

/**
 * Text copied verbatim from BRP's documentation pages (see fixtures/):
 * - doc-request-example.xml: page 002 request example (origin `benify|wellnet|sop`)
 * - doc-confirmation-raw.xml: page 002 confirmation example, as published (NOT well-formed)
 * - doc-confirmation-fixed.xml: the same with the three broken closing tags fixed
 * - doc-errors-debuginfo.xml: page 002 errors example; doc-errors-debug.xml: page 003 variant
 */
export function readFixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
}

/** The documented request example as a CanonicalOrder, every optional field set. */
export function fullOrder(): CanonicalOrder {
  return {
    portal: 'benify',
    ordernr: '1234567',
    tenant: 'gog',
    businessUnit: '1',
    organization: { number: '123425-2334', name: 'Test Org.' },
    person: {
      firstName: 'Tessan',
      lastName: 'Testsson',
      personnummer: '111111-1116',
      address: { street: 'Testgatan 4', postalCode: '12345', city: 'Teststad', country: 'SE' },
      email: 'tessan@test.com',
      phones: { home: '123 45', work: '07984245', mobile: '0731234567' },
      note: 'An optional message here.',
    },
    items: [
      { productNumber: '2', startDay: '2013-12-24', priceIncVatOre: 250000 },
      { productNumber: '4', startDay: '2013-12-24', priceIncVatOre: 1000 },
    ],
  };
}

/** Only the required fields. */
export function minimalOrder(): CanonicalOrder {
  return {
    portal: 'wellnet',
    ordernr: 'W-99',
    tenant: 'gog',
    businessUnit: '12',
    organization: { number: '556677-8899', name: 'Friskvård AB' },
    person: { firstName: 'Åsa', lastName: 'Öberg', personnummer: '191212121212' },
    items: [{ productNumber: '64575F', startDay: '2026-03-01', priceIncVatOre: 0 }],
  };
}
