import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { epassiAdapter, epassiToPortalOrder } from '../../src/portals/epassi.js';
import type { PortalOrder } from '../../src/portals/portal-order.js';
import { assertNoPersonalData, errorsOf, NOW, orderOf , contractExample } from './helpers.js';

// epassi.md, the poll response example, verbatim; the adapter gets one element of `items`.
/** The contract's example, as the portal sends it (examples/portals/, shared with the demo). */
const CONTRACT_PAGE = contractExample('epassi-page.json');

const purchase = (): any => JSON.parse(CONTRACT_PAGE).items[0];
const convert = (payload: unknown) => epassiToPortalOrder(payload, NOW);
const PRODUCT = { sku: 'GYM-12M', startDate: '2026-12-01', unitPrice: '2500.00', quantity: 1 };

const EXPECTED: PortalOrder = {
  portal: 'epassi',
  ordernr: 'EP-9f3a2c',
  venueRef: 'odenplan',
  organization: { number: '5561234567', name: 'Test Org AB' },
  person: {
    firstName: 'Tessan',
    lastName: 'Testsson',
    personnummer: '19111111-1116',
    address: { street: 'Testgatan 4', postalCode: '12345', city: 'Teststad', country: 'SE' },
    email: 'tessan@test.com',
    phones: { mobile: '+46731234567' },
  },
  // The contract: "the example above starts on 2026-11-20, not 2026-11-19".
  lines: [{ articleCode: 'GYM-12M', startDay: '2026-11-20', priceIncVatOre: 250000, quantity: 1 }],
  fieldPaths: {
    ordernr: 'purchaseId',
    venueRef: 'merchant.siteId',
    'organization.number': 'employer.businessId',
    'organization.name': 'employer.name',
    'person.firstName': 'beneficiary.firstName',
    'person.lastName': 'beneficiary.lastName',
    'person.personnummer': 'beneficiary.nationalId',
    'person.email': 'beneficiary.email',
    'person.phones.mobile': 'beneficiary.phoneNumber',
    'person.address.street': 'beneficiary.address.streetAddress',
    'person.address.postalCode': 'beneficiary.address.postalCode',
    'person.address.city': 'beneficiary.address.city',
    'person.address.country': 'beneficiary.address.country',
    'lines[0].articleCode': 'products[0].sku',
    'lines[0].startDay': 'paidAt',
    'lines[0].priceIncVatOre': 'products[0].unitPrice',
    'lines[0].quantity': 'products[0].quantity',
  },
};

describe('Epassi adapter: the contract example', () => {
  it('produces exactly the expected PortalOrder; null startDate → Stockholm date of paidAt', () => {
    assert.deepEqual(orderOf(convert(purchase())), EXPECTED);
  });

  it('is the registered adapter for epassi', () => {
    assert.equal(epassiAdapter.portal, 'epassi');
    assert.deepEqual(orderOf(epassiAdapter.toPortalOrder(purchase(), NOW)), EXPECTED);
  });
});

describe('Epassi adapter: start day', () => {
  const startDayFor = (paidAt: string, startDate: unknown = null) => {
    const p = purchase();
    p.paidAt = paidAt;
    p.products[0].startDate = startDate;
    return orderOf(convert(p)).lines[0]!.startDay;
  };

  it('uses the Stockholm-local date of paidAt, across both DST changes', () => {
    assert.equal(startDayFor('2026-11-19T23:30:00Z'), '2026-11-20');
    assert.equal(startDayFor('2026-11-19T22:59:59Z'), '2026-11-19');
    // Night before spring forward (still CET, +1).
    assert.equal(startDayFor('2026-03-28T23:30:00Z'), '2026-03-29');
    assert.equal(startDayFor('2026-03-28T22:59:00Z'), '2026-03-28');
    // After spring forward (CEST, +2): 21:59Z is 23:59 local, 22:00Z is the next day.
    assert.equal(startDayFor('2026-03-29T21:59:00Z'), '2026-03-29');
    assert.equal(startDayFor('2026-03-29T22:00:00Z'), '2026-03-30');
    // Night before fall back (still CEST, +2).
    assert.equal(startDayFor('2026-10-24T22:30:00Z'), '2026-10-25');
    assert.equal(startDayFor('2026-10-24T21:59:00Z'), '2026-10-24');
    // After fall back (CET, +1): 22:59Z is 23:59 local.
    assert.equal(startDayFor('2026-10-25T22:59:00Z'), '2026-10-25');
    assert.equal(startDayFor('2026-10-25T23:00:00Z'), '2026-10-26');
    // An explicit offset is honoured.
    assert.equal(startDayFor('2026-11-20T00:30:00+01:00'), '2026-11-20');
    assert.equal(startDayFor('2026-11-19T18:30:00-05:00'), '2026-11-20');
  });

  it('treats an absent startDate like null, and uses a given one as is', () => {
    const p = purchase();
    delete p.products[0].startDate;
    assert.equal(orderOf(convert(p)).lines[0]!.startDay, '2026-11-20');
    p.products[0].startDate = '2026-12-01';
    const o = orderOf(convert(p));
    assert.equal(o.lines[0]!.startDay, '2026-12-01');
    assert.equal(o.fieldPaths['lines[0].startDay'], 'products[0].startDate');
  });

  it('refuses a startDate that is not a real date, and a paidAt without offset', () => {
    const p = purchase();
    p.products[0].startDate = '2026-11-31';
    assert.deepEqual(errorsOf(convert(p)), [{ path: 'products[0].startDate', message: 'must be a real date written YYYY-MM-DD' }]);
    const q = purchase();
    q.paidAt = '2026-11-19T23:30:00';
    assert.deepEqual(errorsOf(convert(q)), [
      { path: 'paidAt', message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-19T23:30:00Z' },
    ]);
    q.paidAt = '2026-02-30T10:00:00Z';
    assert.equal(errorsOf(convert(q))[0]!.path, 'paidAt');
  });
});

describe('Epassi adapter: products', () => {
  it('keeps quantity 2 as one line with quantity 2', () => {
    const p = purchase();
    p.products = [{ ...PRODUCT, quantity: 2 }];
    assert.deepEqual(orderOf(convert(p)).lines, [{ articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 2 }]);
  });

  it('refuses zero, negative, fractional, textual, missing and excessive quantities', () => {
    for (const [quantity, message] of [
      [0, 'must be a positive integer'],
      [-1, 'must be a positive integer'],
      [1.5, 'must be an integer'],
      ['1', 'must be an integer'],
      [undefined, 'is required'],
      [51, 'must be at most 50'],
    ] as const) {
      const p = purchase();
      p.products = [{ ...PRODUCT, quantity }];
      assert.deepEqual(errorsOf(convert(p)), [{ path: 'products[0].quantity', message }], String(quantity));
    }
  });

  it('converts unitPrice without floating point and refuses other spellings', () => {
    const p = purchase();
    p.products = [{ ...PRODUCT, unitPrice: '0.29' }];
    assert.equal(orderOf(convert(p)).lines[0]!.priceIncVatOre, 29);
    for (const [unitPrice, message] of [
      ['2500.001', 'amount has more than two decimals (öre is the smallest unit)'],
      [2500, 'must be a string'],
      ['2 500,00', 'must be a decimal amount of kronor such as 2500.00'],
    ] as const) {
      p.products = [{ ...PRODUCT, unitPrice }];
      assert.deepEqual(errorsOf(convert(p)), [{ path: 'products[0].unitPrice', message }], String(unitPrice));
    }
  });
});

describe('Epassi adapter: structure errors', () => {
  it('only takes PAID purchases', () => {
    const p = purchase();
    p.status = 'DELIVERED';
    assert.deepEqual(errorsOf(convert(p)), [{ path: 'status', message: 'must be PAID' }]);
    delete p.status;
    assert.deepEqual(errorsOf(convert(p)), [{ path: 'status', message: 'is required' }]);
  });

  it('reports every problem at once, each with its Epassi path, and never echoes personal values', () => {
    const p = purchase();
    p.purchaseId = 'EP 9f3a2c';
    delete p.beneficiary.nationalId;
    p.beneficiary.firstName = 19111111;
    p.beneficiary.address = ['Testgatan 4'];
    delete p.merchant;
    p.products.push({ sku: '', startDate: null, unitPrice: '10.00', quantity: 1 });
    const errs = errorsOf(convert(p));
    assert.deepEqual(errs, [
      { path: 'purchaseId', message: 'must not contain whitespace' },
      { path: 'beneficiary.firstName', message: 'must be a string' },
      { path: 'beneficiary.nationalId', message: 'is required' },
      { path: 'beneficiary.address', message: 'must be an object' },
      { path: 'merchant', message: 'is required' },
      { path: 'products[1].sku', message: 'must not be blank' },
    ]);
    assertNoPersonalData(errs, ['19111111', 'Testgatan', 'EP 9f3a2c']);
  });
});
