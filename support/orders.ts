import type { CanonicalOrder } from '../src/domain/canonical-order.js';

/** Valid test personnummer (Skatteverket-style test numbers with correct check digits). */
export const TEST_PERSONNUMMER = ['19111111-1116', '20121212-1212'] as const;
export const TEST_EMAIL = 'tessan@test.com';

/**
 * The personal values of the sample orders, in every form an adapter or a log line could spell
 * them: none may ever appear in a log line (test/log-audit/, and the container tests' logs).
 */
export const TEST_PERSONAL_VALUES = [
  // the test personnummer
  '19111111-1116', '191111111116', '111111-1116', '111111+1116', '1111111116',
  '20121212-1212', '201212121212', '121212-1212', '1212121212',
  TEST_EMAIL,
  '0731234567', '+46731234567', '0812345', '08-123 45',
  'Tessan', 'Testsson', 'Testgatan',
] as const;

/** Raw (un-normalised) canonical input, as an operator's JSON file would hold it. */
export function sampleOrderInput(ordernr: string, overrides: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    portal: 'benify',
    ordernr,
    tenant: 't1',
    businessUnit: 1,
    organization: { number: '5560160680', name: 'Test Org & Söner AB' },
    person: {
      firstName: 'Tessan',
      lastName: 'Testsson',
      personnummer: '191111111116',
      address: { street: 'Testgatan 4', postalCode: '12345', city: 'Teststad', country: 'SE' },
      email: TEST_EMAIL,
      phones: { mobile: '+46731234567', work: '08-123 45' },
      note: 'Ring på <dörren> & "vänta"',
    },
    items: [
      { productNumber: '1001', startDay: '2026-12-01', priceIncVat: '2500.00' },
      { productNumber: '2001', startDay: '2026-12-01', priceIncVatOre: 1000 },
    ],
    ...overrides,
  };
}

export function sampleOrder(ordernr: string, tenant = 't1'): CanonicalOrder {
  return {
    portal: 'benify',
    ordernr,
    tenant,
    businessUnit: '1',
    organization: { number: '556016-0680', name: 'Test Org & Söner AB' },
    person: {
      firstName: 'Tessan',
      lastName: 'Testsson',
      personnummer: '111111-1116',
      email: TEST_EMAIL,
      phones: { mobile: '0731234567' },
    },
    items: [{ productNumber: '1001', startDay: '2026-12-01', priceIncVatOre: 250000 }],
  };
}
