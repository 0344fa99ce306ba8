import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PortalOrder } from '../../src/portals/portal-order.js';
import { wellnetAdapter, wellnetToPortalOrder } from '../../src/portals/wellnet.js';
import { assertNoPersonalData, errorAt, errorsOf, NOW, orderOf , contractExample } from './helpers.js';

// wellnet.md, the poll response example, verbatim; the adapter gets one element of `orders`.
/** The contract's example, as the portal sends it (examples/portals/, shared with the demo). */
const CONTRACT_PAGE = contractExample('wellnet-page.json');

const order = (): any => JSON.parse(CONTRACT_PAGE).orders[0];
const convert = (payload: unknown) => wellnetToPortalOrder(payload, NOW);
const ROW = { productCode: 'GYM-12M', validFrom: '2026-12-01', priceOre: 250000, renew: false };

const EXPECTED: PortalOrder = {
  portal: 'wellnet',
  ordernr: 'WN-55120',
  venueRef: 'odenplan',
  organization: { number: '5561234567', name: 'Test Org AB' },
  person: {
    firstName: 'Tessan',
    lastName: 'Testsson',
    personnummer: '191111111116',
    address: { street: 'Testgatan 4', postalCode: '12345', city: 'Teststad', country: 'SE' },
    email: 'tessan@test.com',
    phones: { mobile: '+46731234567' },
  },
  lines: [{ articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 1, renew: false }],
  fieldPaths: {
    ordernr: 'id',
    venueRef: 'facilityCode',
    'organization.number': 'company.orgNo',
    'organization.name': 'company.name',
    'person.firstName': 'person.givenName',
    'person.lastName': 'person.familyName',
    'person.personnummer': 'person.ssn',
    'person.email': 'person.email',
    'person.phones.mobile': 'person.phone.mobile',
    'person.address.street': 'person.street',
    'person.address.postalCode': 'person.zip',
    'person.address.city': 'person.city',
    'person.address.country': 'person.country',
    'lines[0].articleCode': 'rows[0].productCode',
    'lines[0].startDay': 'rows[0].validFrom',
    'lines[0].priceIncVatOre': 'rows[0].priceOre',
    'lines[0].renew': 'rows[0].renew',
  },
};

describe('Wellnet adapter: the contract example', () => {
  it('produces exactly the expected PortalOrder (E.164 phone raw, null home/work/note omitted)', () => {
    assert.deepEqual(orderOf(convert(order())), EXPECTED);
  });

  it('is the registered adapter for wellnet', () => {
    assert.equal(wellnetAdapter.portal, 'wellnet');
    assert.deepEqual(orderOf(wellnetAdapter.toPortalOrder(order(), NOW)), EXPECTED);
  });
});

describe('Wellnet adapter: values', () => {
  it('passes names with & < > " \' and Swedish letters, a note, phones by type and a 10-digit ssn through', () => {
    const o = order();
    o.person.givenName = 'Åsa & <Ö> "x" \'y\'';
    o.person.familyName = 'Öberg';
    o.person.ssn = '1111111116';
    o.person.phone = { mobile: '073-123 45 67', home: '08-765 43 21', work: '+4681234567' };
    o.note = 'Portkod <1234> & "hej"';
    const p = orderOf(convert(o));
    assert.equal(p.person.firstName, 'Åsa & <Ö> "x" \'y\'');
    assert.equal(p.person.lastName, 'Öberg');
    assert.equal(p.person.personnummer, '1111111116');
    assert.deepEqual(p.person.phones, { mobile: '073-123 45 67', home: '08-765 43 21', work: '+4681234567' });
    assert.equal(p.person.note, 'Portkod <1234> & "hej"');
    assert.equal(p.fieldPaths['person.note'], 'note');
    assert.equal(p.fieldPaths['person.phones.work'], 'person.phone.work');
  });

  it('omits a null phone object and null address parts', () => {
    const o = order();
    o.person.phone = null;
    o.person.street = null;
    delete o.person.zip;
    o.person.email = null;
    const p = orderOf(convert(o));
    assert.equal(p.person.phones, undefined);
    assert.equal(p.person.email, undefined);
    assert.deepEqual(p.person.address, { city: 'Teststad', country: 'SE' });
  });

  it('takes priceOre as integer öre and refuses anything else', () => {
    const o = order();
    o.rows = [{ ...ROW, priceOre: 29 }, { ...ROW, priceOre: 0, renew: true }];
    const p = orderOf(convert(o));
    assert.deepEqual(p.lines, [
      { articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 29, quantity: 1, renew: false },
      { articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 0, quantity: 1, renew: true },
    ]);
    for (const [price, message] of [
      [2500.5, 'must be an integer'],
      ['250000', 'must be an integer'],
      [-100, 'must be a non-negative integer number of öre'],
      [2 ** 53, 'must be an integer'],
      [null, 'is required'],
    ] as const) {
      o.rows = [{ ...ROW, priceOre: price }];
      assert.deepEqual(errorsOf(convert(o)), [{ path: 'rows[0].priceOre', message }], String(price));
    }
  });

  it('renew is optional but must be a boolean', () => {
    const o = order();
    o.rows = [{ productCode: 'GYM-12M', validFrom: '2026-12-01', priceOre: 250000 }];
    assert.deepEqual(orderOf(convert(o)).lines, [{ articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 1 }]);
    o.rows[0].renew = 'false';
    assert.deepEqual(errorsOf(convert(o)), [{ path: 'rows[0].renew', message: 'must be true or false' }]);
  });
});

describe('Wellnet adapter: structure errors', () => {
  it('reports every problem at once, each with its Wellnet path', () => {
    const o = order();
    o.id = '';
    o.createdAt = '2026-11-20';
    delete o.company.orgNo;
    o.person.ssn = null;
    o.person.phone = '0731234567';
    o.facilityCode = 17;
    o.rows.push({ productCode: 'TOWEL', validFrom: '01/12/2026', priceOre: 1000 }, 'GYM');
    assert.deepEqual(errorsOf(convert(o)), [
      { path: 'id', message: 'must not be blank' },
      { path: 'createdAt', message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-19T23:30:00Z' },
      { path: 'company.orgNo', message: 'is required' },
      { path: 'person.ssn', message: 'is required' },
      { path: 'person.phone', message: 'must be an object' },
      { path: 'facilityCode', message: 'must be a string' },
      { path: 'rows[2]', message: 'must be an object' },
      { path: 'rows[1].validFrom', message: 'must be a real date written YYYY-MM-DD' },
    ]);
  });

  it('needs at least one row', () => {
    const o = order();
    o.rows = [];
    assert.deepEqual(errorsOf(convert(o)), [{ path: 'rows', message: 'must have at least 1 element' }]);
    delete o.rows;
    assert.deepEqual(errorsOf(convert(o)), [{ path: 'rows', message: 'is required' }]);
  });

  it('returns the order id with the errors, and never echoes personal values', () => {
    const o = order();
    o.person.givenName = { name: 'Tessan' };
    o.person.email = ['tessan@test.com'];
    const r = convert(o);
    assert.equal(r.ok ? undefined : r.ordernr, 'WN-55120');
    const errs = errorsOf(r);
    assert.equal(errorAt(errs, 'person.givenName'), 'must be a string');
    assertNoPersonalData(errs, ['Tessan', 'tessan@test.com']);
  });
});
