import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benifyAdapter, benifyToPortalOrder } from '../../src/portals/benify.js';
import type { PortalOrder } from '../../src/portals/portal-order.js';
import { assertNoPersonalData, errorAt, errorsOf, NOW, orderOf, pathsOf , contractExample } from './helpers.js';

// benify.md, the request body example, verbatim.
/** The contract's example, as the portal sends it (examples/portals/, shared with the demo). */
const CONTRACT_BODY = contractExample('benify-order.json');

const body = (): any => JSON.parse(CONTRACT_BODY);
const convert = (payload: unknown) => benifyToPortalOrder(payload, NOW);

const EXPECTED: PortalOrder = {
  portal: 'benify',
  ordernr: 'BNF-2026-0001234',
  venueRef: 'odenplan',
  organization: { number: '556123-4567', name: 'Test Org AB' },
  person: {
    firstName: 'Tessan',
    lastName: 'Testsson',
    personnummer: '19111111-1116',
    address: { street: 'Testgatan 4', postalCode: '123 45', city: 'Teststad', country: 'SE' },
    email: 'tessan@test.com',
    phones: { mobile: '0731234567', work: '08-123 45' },
    note: 'An optional message to the facility.',
  },
  lines: [
    { articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 1 },
    { articleCode: 'TOWEL', startDay: '2026-12-01', priceIncVatOre: 1000, quantity: 1 },
  ],
  fieldPaths: {
    ordernr: 'orderId',
    venueRef: 'supplier.venueId',
    'organization.number': 'employer.orgNumber',
    'organization.name': 'employer.name',
    'person.firstName': 'employee.firstName',
    'person.lastName': 'employee.lastName',
    'person.personnummer': 'employee.personalIdentityNumber',
    'person.email': 'employee.email',
    'person.phones.mobile': 'employee.mobilePhone',
    'person.phones.work': 'employee.workPhone',
    'person.address.street': 'employee.address.street',
    'person.address.postalCode': 'employee.address.postalCode',
    'person.address.city': 'employee.address.city',
    'person.address.country': 'employee.address.countryCode',
    'person.note': 'message',
    'lines[0].articleCode': 'lines[0].articleId',
    'lines[0].startDay': 'lines[0].startDate',
    'lines[0].priceIncVatOre': 'lines[0].priceInclVat.amount',
    'lines[1].articleCode': 'lines[1].articleId',
    'lines[1].startDay': 'lines[1].startDate',
    'lines[1].priceIncVatOre': 'lines[1].priceInclVat.amount',
  },
};

describe('Benify adapter: the contract example', () => {
  it('produces exactly the expected PortalOrder, with every field path', () => {
    assert.deepEqual(orderOf(convert(body())), EXPECTED);
  });

  it('is the registered adapter for benify', () => {
    assert.equal(benifyAdapter.portal, 'benify');
    assert.deepEqual(orderOf(benifyAdapter.toPortalOrder(body(), NOW)), EXPECTED);
  });
});

describe('Benify adapter: values pass through raw', () => {
  it('keeps & < > " \' and Swedish letters in names untouched', () => {
    const b = body();
    b.employee.firstName = 'Åsa & <Ö> "x" \'y\'';
    b.employee.lastName = 'Ärlig-Öberg';
    b.employer.name = 'Bröderna Ek & Söner, AB';
    b.message = 'Ring på <dörren> & "vänta"\nandra våningen';
    const o = orderOf(convert(b));
    assert.equal(o.person.firstName, 'Åsa & <Ö> "x" \'y\'');
    assert.equal(o.person.lastName, 'Ärlig-Öberg');
    assert.equal(o.organization.name, 'Bröderna Ek & Söner, AB');
    assert.equal(o.person.note, 'Ring på <dörren> & "vänta"\nandra våningen');
  });

  it('passes 10- and 12-digit personnummer and org numbers through as written', () => {
    for (const pnr of ['111111-1116', '1111111116', '191111111116', '19111111-1116', '111111+1116']) {
      const b = body();
      b.employee.personalIdentityNumber = pnr;
      assert.equal(orderOf(convert(b)).person.personnummer, pnr);
    }
    const b = body();
    b.employer.orgNumber = '165561234567';
    assert.equal(orderOf(convert(b)).organization.number, '165561234567');
  });

  it('does not validate check digits, e-mail or phone formats (validateOrder does)', () => {
    const b = body();
    b.employee.personalIdentityNumber = '19111111-1111';
    b.employee.email = 'not an e-mail';
    b.employee.mobilePhone = '+46731234567';
    b.employee.workPhone = 'call me';
    const o = orderOf(convert(b));
    assert.equal(o.person.personnummer, '19111111-1111');
    assert.equal(o.person.email, 'not an e-mail');
    assert.deepEqual(o.person.phones, { mobile: '+46731234567', work: 'call me' });
  });

  it('trims text, and refuses characters XML cannot carry at their path instead of trimming them away', () => {
    const b = body();
    b.employee.firstName = '  Tessan \t';
    assert.equal(orderOf(convert(b)).person.firstName, 'Tessan');
    b.employee.lastName = 'Testsson\u000B';
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'employee.lastName', message: 'contains U+000B at position 8, a character XML 1.0 cannot carry' }]);
  });

  // Found by the fuzz suite (no-exception-escapes, push-never-5xx): an unroutable order with U+0000
  // in a name was stored as read, and PostgreSQL cannot store U+0000 or a lone surrogate, so the
  // push answered 503 and an S&P file stayed in the inbox; an order id with U+0000 failed its look-up.
  it('refuses U+0000 and lone surrogates anywhere, the order id included, so they never reach the ledger', () => {
    const b = body();
    b.orderId = 'BNF-\u0000-1';
    b.employee.firstName = 'Te\ud800ssan';
    b.supplier.venueId = 'kiruna\u0000';
    const result = convert(b);
    assert.deepEqual(errorsOf(result), [
      { path: 'orderId', message: 'contains U+0000 at position 4, a character XML 1.0 cannot carry' },
      { path: 'employee.firstName', message: 'contains U+D800 at position 2, a character XML 1.0 cannot carry' },
      { path: 'supplier.venueId', message: 'contains U+0000 at position 6, a character XML 1.0 cannot carry' },
    ]);
    assert.equal(result.ok === false && result.ordernr, undefined);
  });

  it('maps the three phone fields by type', () => {
    const b = body();
    b.employee.homePhone = '08-765 43 21';
    assert.deepEqual(orderOf(convert(b)).person.phones, { mobile: '0731234567', home: '08-765 43 21', work: '08-123 45' });
    assert.equal(orderOf(convert(b)).fieldPaths['person.phones.home'], 'employee.homePhone');
  });

  it('omits null, absent and blank optional fields, and has no field path for them', () => {
    const b = body();
    b.employee.email = null;
    b.employee.mobilePhone = '';
    delete b.employee.workPhone;
    b.employee.address = null;
    delete b.message;
    const o = orderOf(convert(b));
    assert.deepEqual(o.person, { firstName: 'Tessan', lastName: 'Testsson', personnummer: '19111111-1116' });
    for (const key of ['person.email', 'person.phones.mobile', 'person.phones.work', 'person.address.street', 'person.note']) {
      assert.equal(o.fieldPaths[key], undefined, key);
    }
  });

  it('keeps a partial address', () => {
    const b = body();
    b.employee.address = { street: null, postalCode: '123 45', city: 'Teststad' };
    assert.deepEqual(orderOf(convert(b)).person.address, { postalCode: '123 45', city: 'Teststad' });
  });
});

describe('Benify adapter: money, renew, lines', () => {
  it('converts amounts without floating point', () => {
    const b = body();
    b.lines[0].priceInclVat.amount = '0.29';
    b.lines[1].priceInclVat.amount = '1999';
    const o = orderOf(convert(b));
    assert.equal(o.lines[0]!.priceIncVatOre, 29);
    assert.equal(o.lines[1]!.priceIncVatOre, 199900);
  });

  it('refuses more than two decimals, Swedish formatting, numbers and negatives', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['2500.001', /more than two decimals/],
      ['2 500,00', /decimal amount of kronor such as 2500\.00/],
      ['2500,00', /decimal amount of kronor/],
      ['-10.00', /must not be negative/],
      [2500, /must be a string/],
      ['', /must not be blank/],
    ];
    for (const [amount, message] of cases) {
      const b = body();
      b.lines[0].priceInclVat.amount = amount;
      const errs = errorsOf(convert(b));
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.match(errorAt(errs, 'lines[0].priceInclVat.amount'), message);
    }
  });

  it('refuses a currency other than SEK at the currency path', () => {
    const b = body();
    b.lines[0].priceInclVat.currency = 'EUR';
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'lines[0].priceInclVat.currency', message: 'must be SEK' }]);
    delete b.lines[0].priceInclVat.currency;
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'lines[0].priceInclVat.currency', message: 'is required' }]);
  });

  it('reads renew as a boolean, when present', () => {
    const b = body();
    b.lines[0].renew = true;
    b.lines[1].renew = false;
    const o = orderOf(convert(b));
    assert.deepEqual(o.lines[0], { articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 1, renew: true });
    assert.equal(o.lines[1]!.renew, false);
    assert.equal(o.fieldPaths['lines[0].renew'], 'lines[0].renew');
    b.lines[0].renew = 'yes';
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'lines[0].renew', message: 'must be true or false' }]);
  });

  it('needs 1–50 lines, each an object with a real start date', () => {
    const b = body();
    b.lines = [];
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'lines', message: 'must have at least 1 element' }]);
    b.lines = Array.from({ length: 51 }, () => body().lines[0]);
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'lines', message: 'must have at most 50 elements' }]);
    b.lines = Array.from({ length: 50 }, () => body().lines[0]);
    assert.equal(orderOf(convert(b)).lines.length, 50);
    b.lines = [null, body().lines[1]];
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'lines[0]', message: 'must be an object' }]);
    b.lines = body().lines;
    b.lines[1].startDate = '2026-02-29';
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'lines[1].startDate', message: 'must be a real date written YYYY-MM-DD' }]);
  });
});

describe('Benify adapter: structure errors', () => {
  it('reports every problem at once, each with its Benify path', () => {
    const b = body();
    delete b.orderId;
    b.placedAt = '2026-11-20T10:31:00'; // no offset
    b.employer.name = '   ';
    b.employee.personalIdentityNumber = 191111111116;
    delete b.supplier;
    b.lines[1].priceInclVat.amount = '10.001';
    b.lines[1].startDate = '2026-12-32';
    b.lines[0].articleId = null;
    assert.deepEqual(errorsOf(convert(b)), [
      { path: 'orderId', message: 'is required' },
      { path: 'placedAt', message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-19T23:30:00Z' },
      { path: 'employer.name', message: 'must not be blank' },
      { path: 'employee.personalIdentityNumber', message: 'must be a string' },
      { path: 'supplier', message: 'is required' },
      { path: 'lines[0].articleId', message: 'is required' },
      { path: 'lines[1].startDate', message: 'must be a real date written YYYY-MM-DD' },
      { path: 'lines[1].priceInclVat.amount', message: 'amount has more than two decimals (öre is the smallest unit)' },
    ]);
  });

  it('reports a missing or mistyped object once, at its own path', () => {
    const b = body();
    delete b.employee;
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'employee', message: 'is required' }]);
    b.employee = 'Tessan Testsson';
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'employee', message: 'must be an object' }]);
    const c = body();
    c.employee.address = 'Testgatan 4';
    assert.deepEqual(errorsOf(convert(c)), [{ path: 'employee.address', message: 'must be an object' }]);
  });

  it('refuses a payload that is not a JSON object', () => {
    for (const payload of [null, 'x', [body()], 42]) {
      assert.deepEqual(errorsOf(convert(payload)), [{ path: '', message: 'must be a JSON object' }]);
    }
  });

  it('applies the order-id rule: 1–40 characters, no whitespace; a valid id comes back with the errors', () => {
    const b = body();
    b.orderId = 'B'.repeat(40);
    assert.equal(orderOf(convert(b)).ordernr, 'B'.repeat(40));
    b.orderId = 'B'.repeat(41);
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'orderId', message: 'must be 1–40 characters' }]);
    b.orderId = 'BNF 1';
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'orderId', message: 'must not contain whitespace' }]);
    b.orderId = 1234;
    assert.deepEqual(errorsOf(convert(b)), [{ path: 'orderId', message: 'must be a string' }]);

    const c = body();
    c.lines[0].priceInclVat.currency = 'EUR';
    const r = convert(c);
    assert.equal(r.ok, false);
    assert.equal(r.ok ? undefined : r.ordernr, 'BNF-2026-0001234');
  });

  it('never echoes personal values in its messages', () => {
    const b = body();
    b.employee.firstName = ['Tessan'];
    b.employee.email = { address: 'tessan@test.com' };
    b.employee.mobilePhone = 731234567;
    b.employee.personalIdentityNumber = 191111111116;
    const errs = errorsOf(convert(b));
    assert.deepEqual(pathsOf(errs), ['employee.firstName', 'employee.personalIdentityNumber', 'employee.email', 'employee.mobilePhone']);
    assertNoPersonalData(errs, ['Tessan', '191111111116', 'tessan@test.com', '731234567']);
  });
});
