import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CanonicalOrder, FieldError } from '../../src/domain/canonical-order.js';
import { MAX_ITEMS, validateOrder } from '../../src/domain/validate-order.js';

const NOW = new Date('2026-06-15T10:00:00Z');
const SHORT = { personnummerForm: 'short', now: NOW } as const;
const LONG = { personnummerForm: 'long', now: NOW } as const;

/** What an operator or an adapter hands over: right content, un-normalised shape. */
function rawOrder(): Record<string, any> {
  return {
    portal: ' benify ',
    ordernr: 'BEN-1234567',
    tenant: 'gog',
    businessUnit: '12',
    organization: { number: '5560160680', name: '  Exempelbolaget AB ' },
    person: {
      firstName: ' Tessan ',
      lastName: 'Tester',
      personnummer: '19850709-9805',
      address: { street: 'Storgatan 1', postalCode: '123 45', city: 'Stockholm', country: 'se' },
      email: ' tessan@test.com ',
      phones: { home: '08-123 45', work: '+46 8 123 456 78', mobile: '+46731234567' },
      note: 'Portkod 1234\nandra våningen',
    },
    items: [
      { productNumber: '64575F', startDay: '2026-07-01', priceIncVat: '2 500,00 kr', renew: true },
      { productNumber: 1001, startDay: '2026-07-01', priceIncVatOre: 29 },
    ],
    // Unknown fields are ignored.
    venue: 'v-17',
    debug: { anything: [1, 2, 3] },
  };
}

const EXPECTED: CanonicalOrder = {
  portal: 'benify',
  ordernr: 'BEN-1234567',
  tenant: 'gog',
  businessUnit: '12',
  organization: { number: '556016-0680', name: 'Exempelbolaget AB' },
  person: {
    firstName: 'Tessan',
    lastName: 'Tester',
    personnummer: '850709-9805',
    address: { street: 'Storgatan 1', postalCode: '123 45', city: 'Stockholm', country: 'SE' },
    email: 'tessan@test.com',
    phones: { home: '0812345', work: '0812345678', mobile: '0731234567' },
    note: 'Portkod 1234\nandra våningen',
  },
  items: [
    { productNumber: '64575F', startDay: '2026-07-01', priceIncVatOre: 250000, renew: true },
    { productNumber: '1001', startDay: '2026-07-01', priceIncVatOre: 29 },
  ],
};

function valid(input: unknown, options: Parameters<typeof validateOrder>[1] = SHORT): CanonicalOrder {
  const r = validateOrder(input, options);
  assert.ok(r.ok, `expected a valid order, got ${JSON.stringify(r.ok ? '' : r.errors)}`);
  return r.order;
}
function errors(input: unknown, options: Parameters<typeof validateOrder>[1] = SHORT): FieldError[] {
  const r = validateOrder(input, options);
  assert.equal(r.ok, false, 'expected the order to be rejected');
  return r.ok ? [] : r.errors;
}
const paths = (errs: FieldError[]) => errs.map((e) => e.path);

describe('validateOrder: valid orders', () => {
  it('normalises a full order to exactly the canonical form', () => {
    assert.deepEqual(valid(rawOrder()), EXPECTED);
  });

  it('uses the tenant form for the personnummer', () => {
    assert.equal(valid(rawOrder(), LONG).person.personnummer, '198507099805');
  });

  it('is idempotent: a canonical order validates to itself', () => {
    assert.deepEqual(valid(EXPECTED), EXPECTED);
    const long = valid(rawOrder(), LONG);
    assert.deepEqual(valid(long, LONG), long);
  });

  it('output is compact: absent, null and blank optionals leave no key behind', () => {
    const input = rawOrder();
    input.person = {
      firstName: 'Tessan',
      lastName: 'Tester',
      personnummer: '8507099805',
      address: { street: '  ', postalCode: null, city: '' },
      email: '',
      phones: { home: '', work: null, mobile: '   ' },
      note: null,
    };
    input.items = [{ productNumber: 'X1', startDay: '2026-07-01', priceIncVatOre: 0, renew: null }];
    const order = valid(input);
    assert.deepEqual(order.person, { firstName: 'Tessan', lastName: 'Tester', personnummer: '850709-9805' });
    assert.deepEqual(order.items, [{ productNumber: 'X1', startDay: '2026-07-01', priceIncVatOre: 0 }]);
    assert.equal(
      JSON.stringify(order),
      '{"portal":"benify","ordernr":"BEN-1234567","tenant":"gog","businessUnit":"12",' +
        '"organization":{"number":"556016-0680","name":"Exempelbolaget AB"},' +
        '"person":{"firstName":"Tessan","lastName":"Tester","personnummer":"850709-9805"},' +
        '"items":[{"productNumber":"X1","startDay":"2026-07-01","priceIncVatOre":0}]}',
    );
    // No `undefined` values hidden as own keys anywhere.
    const walk = (v: unknown): void => {
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) assert.notEqual(x, undefined, k), walk(x);
    };
    walk(order);
  });

  it('keeps only the address and phone fields that are there', () => {
    const input = rawOrder();
    input.person.address = { city: ' Malmö ' };
    input.person.phones = { mobile: '070-123 45 67' };
    const order = valid(input);
    assert.deepEqual(order.person.address, { city: 'Malmö' });
    assert.deepEqual(order.person.phones, { mobile: '0701234567' });
  });

  it('markup characters, Swedish letters and emoji pass through untouched', () => {
    const input = rawOrder();
    input.organization.name = `Smörgås & Co <"Öl"> 'AB'`;
    input.person.firstName = 'Åsa-Märta';
    input.person.lastName = 'Öberg 😀👩‍👩‍👧';
    input.person.address.street = 'Ängsvägen 3 & 5 <baksidan>';
    input.person.address.city = 'ÅÄÖ åäö';
    input.person.note = `Tab\there & "there" < > ' 🇸🇪`;
    const order = valid(input);
    assert.equal(order.organization.name, `Smörgås & Co <"Öl"> 'AB'`);
    assert.equal(order.person.firstName, 'Åsa-Märta');
    assert.equal(order.person.lastName, 'Öberg 😀👩‍👩‍👧');
    assert.equal(order.person.address?.street, 'Ängsvägen 3 & 5 <baksidan>');
    assert.equal(order.person.address?.city, 'ÅÄÖ åäö');
    assert.equal(order.person.note, `Tab\there & "there" < > ' 🇸🇪`);
  });

  it('does not apply Unicode normalisation (decomposed å stays decomposed)', () => {
    const input = rawOrder();
    input.person.firstName = 'A\u030Asa'; // "Åsa" with a combining ring
    assert.equal(valid(input).person.firstName, 'A\u030Asa');
  });

  it('businessUnit: number or digit string, always a canonical decimal string', () => {
    for (const [bu, expected] of [[12, '12'], ['12', '12'], [' 007 ', '7'], [1, '1']] as const) {
      const input = rawOrder();
      input.businessUnit = bu;
      assert.equal(valid(input).businessUnit, expected, String(bu));
    }
  });

  it('ordernr: a JSON integer becomes its text; exactly 40 characters is fine', () => {
    const input = rawOrder();
    input.ordernr = 1234567;
    assert.equal(valid(input).ordernr, '1234567');
    input.ordernr = 'x'.repeat(40);
    assert.equal(valid(input).ordernr, 'x'.repeat(40));
  });

  it('renew false is kept (it is a value, not an absence)', () => {
    const input = rawOrder();
    input.items[0].renew = false;
    assert.equal(valid(input).items[0]?.renew, false);
  });

  it(`accepts ${MAX_ITEMS} items`, () => {
    const input = rawOrder();
    input.items = Array.from({ length: MAX_ITEMS }, () => ({ productNumber: 'P', startDay: '2026-07-01', priceIncVatOre: 100 }));
    assert.equal(valid(input).items.length, MAX_ITEMS);
  });

  it('a sole trader employer (personnummer as organisation number) is accepted', () => {
    const input = rawOrder();
    input.organization.number = '19111111-1116';
    assert.equal(valid(input).organization.number, '111111-1116');
  });
});

describe('validateOrder: rejected orders', () => {
  it('reports every problem at once, each at its exact path', () => {
    const input = {
      portal: 'Benify',
      ordernr: 'BEN 123',
      tenant: '   ',
      businessUnit: 0,
      organization: { number: '556016-0681' },
      person: {
        firstName: '',
        lastName: 'Tester\u0000',
        personnummer: '19850709-9806',
        address: { street: 'Storgatan 1', country: 'SWE' },
        email: 'tessan@@test.com',
        phones: { home: '08-123 45 ext', mobile: 46731234567 },
      },
      items: [
        { productNumber: 'A1', startDay: '2026-07-01', priceIncVatOre: 100 },
        { productNumber: ' ', startDay: '2026-02-29', priceIncVatOre: 12.5, renew: 'yes' },
        { productNumber: 'A3', startDay: '2026-07-01', priceIncVat: '1,234.56' },
        { productNumber: 'A4', startDay: '2026-07-01', priceIncVat: '10.00', priceIncVatOre: 1000 },
        { productNumber: 'A5', startDay: '2026-07-01' },
        { productNumber: 'A6', startDay: '2026-07-01', priceIncVat: 25.5 },
        'not an item',
      ],
    };
    assert.deepEqual(paths(errors(input)), [
      'portal',
      'ordernr',
      'tenant',
      'businessUnit',
      'organization.number',
      'organization.name',
      'person.firstName',
      'person.lastName',
      'person.personnummer',
      'person.address.country',
      'person.email',
      'person.phones.home',
      'person.phones.mobile',
      'items[1].productNumber',
      'items[1].startDay',
      'items[1].priceIncVatOre',
      'items[1].renew',
      'items[2].priceIncVat',
      'items[3]',
      'items[4].priceIncVatOre',
      'items[5].priceIncVat',
      'items[6]',
    ]);
  });

  it('says what is wrong in each case', () => {
    const input = rawOrder();
    input.portal = 'Benify';
    input.ordernr = 'BEN 123';
    input.tenant = '';
    input.businessUnit = 'twelve';
    input.organization.number = '556016-0681';
    input.person.personnummer = '19850709-9806';
    input.person.lastName = 'Tester\u0000';
    input.items[0].priceIncVat = '1 234.567';
    assert.deepEqual(errors(input), [
      { path: 'portal', message: 'must be one of benify, wellnet, sop, actiway, epassi' },
      { path: 'ordernr', message: 'must not contain whitespace' },
      { path: 'tenant', message: 'must not be blank' },
      { path: 'businessUnit', message: 'must be a positive integer' },
      { path: 'organization.number', message: 'organisation number check digit does not match' },
      { path: 'person.lastName', message: 'contains U+0000 at position 6, a character XML 1.0 cannot carry' },
      { path: 'person.personnummer', message: 'personnummer check digit does not match' },
      { path: 'items[0].priceIncVat', message: 'amount has more than two decimals (öre is the smallest unit)' },
    ]);
  });

  it('required parts missing', () => {
    assert.deepEqual(errors({}), [
      { path: 'portal', message: 'is required' },
      { path: 'ordernr', message: 'is required' },
      { path: 'tenant', message: 'is required' },
      { path: 'businessUnit', message: 'is required' },
      { path: 'organization', message: 'is required' },
      { path: 'person', message: 'is required' },
      { path: 'items', message: 'is required' },
    ]);
  });

  it('wrong types for whole sections', () => {
    const input = rawOrder();
    input.organization = 'Exempelbolaget';
    input.person = [];
    input.items = {};
    assert.deepEqual(errors(input), [
      { path: 'organization', message: 'must be an object' },
      { path: 'person', message: 'must be an object' },
      { path: 'items', message: 'must be an array' },
    ]);
  });

  it('a start day in year 0000 (no such year in BRP\'s xs:date) is refused at its path', () => {
    const input = rawOrder();
    input.items = [{ productNumber: 'A1', startDay: '0000-01-01', priceIncVatOre: 100 }];
    assert.deepEqual(errors(input), [{ path: 'items[0].startDay', message: 'must be a real date written YYYY-MM-DD' }]);
    input.items = [{ productNumber: 'A1', startDay: '0001-01-01', priceIncVatOre: 100 }];
    assert.equal(valid(input).items[0]!.startDay, '0001-01-01');
  });

  it('not an object at all', () => {
    for (const input of [null, undefined, 'order', 42, [rawOrder()]]) {
      assert.deepEqual(errors(input), [{ path: '', message: 'order must be a JSON object' }]);
    }
  });

  it('items: none, or more than the cap (reported once, items not examined)', () => {
    const input = rawOrder();
    input.items = [];
    assert.deepEqual(errors(input), [{ path: 'items', message: 'must have at least one item' }]);
    input.items = Array.from({ length: MAX_ITEMS + 1 }, () => ({ productNumber: '', startDay: 'x' }));
    assert.deepEqual(errors(input), [{ path: 'items', message: `must have at most ${MAX_ITEMS} items` }]);
  });

  it('price must be given exactly one way', () => {
    const input = rawOrder();
    input.items = [
      { productNumber: 'A', startDay: '2026-07-01', priceIncVat: '10', priceIncVatOre: 1000 },
      { productNumber: 'A', startDay: '2026-07-01' },
      { productNumber: 'A', startDay: '2026-07-01', priceIncVatOre: '1000' },
      { productNumber: 'A', startDay: '2026-07-01', priceIncVatOre: -1 },
      { productNumber: 'A', startDay: '2026-07-01', priceIncVatOre: Number.MAX_SAFE_INTEGER + 1 },
      { productNumber: 'A', startDay: '2026-07-01', priceIncVat: 25 },
      { productNumber: 'A', startDay: '2026-07-01', priceIncVat: '-25' },
      { productNumber: 'A', startDay: '2026-07-01', priceIncVat: '' },
    ];
    assert.deepEqual(errors(input), [
      { path: 'items[0]', message: 'must have either priceIncVatOre or priceIncVat, not both' },
      { path: 'items[1].priceIncVatOre', message: 'is required (or priceIncVat, a decimal SEK string)' },
      { path: 'items[2].priceIncVatOre', message: 'must be a non-negative integer number of öre' },
      { path: 'items[3].priceIncVatOre', message: 'must be a non-negative integer number of öre' },
      { path: 'items[4].priceIncVatOre', message: 'must be a non-negative integer number of öre' },
      { path: 'items[5].priceIncVat', message: 'must be a decimal SEK string such as "2500.00", not a number' },
      { path: 'items[6].priceIncVat', message: 'amount must not be negative' },
      { path: 'items[7].priceIncVat', message: 'must not be blank' },
    ]);
  });

  it('ordernr rules', () => {
    for (const [ordernr, message] of [
      ['x'.repeat(41), 'must be at most 40 characters'],
      ['A\tB', 'must not contain whitespace'],
      ['A\u00A0B', 'must not contain whitespace'],
      ['', 'must not be blank'],
      [-5, 'must be a string or a non-negative integer'],
      [1.5, 'must be a string or a non-negative integer'],
    ] as const) {
      const input = rawOrder();
      input.ordernr = ordernr;
      assert.deepEqual(errors(input), [{ path: 'ordernr', message }], String(ordernr));
    }
  });

  it('businessUnit rules', () => {
    for (const bu of [0, -1, 1.5, '0', '000', '-3', '12a', '1e3', true, '', Number.MAX_SAFE_INTEGER + 1, '9007199254740992']) {
      const input = rawOrder();
      input.businessUnit = bu;
      const errs = errors(input);
      assert.deepEqual(paths(errs), ['businessUnit'], String(bu));
    }
  });

  it('characters XML 1.0 cannot carry are an error at their path, not dropped', () => {
    const cases: Array<[(o: Record<string, any>) => void, string, string]> = [
      [(o) => (o.person.firstName = 'Tes\u0008san'), 'person.firstName', 'U+0008 at position 3'],
      [(o) => (o.person.note = 'hej\u001F'), 'person.note', 'U+001F at position 3'],
      [(o) => (o.person.address.city = 'Sto\uFFFEckholm'), 'person.address.city', 'U+FFFE at position 3'],
      [(o) => (o.organization.name = 'Bolag \uD83D AB'), 'organization.name', 'U+D83D at position 6'],
      [(o) => (o.items[0].productNumber = '64575F\u0000'), 'items[0].productNumber', 'U+0000 at position 6'],
      // U+000B would vanish under trim(): it must be caught first.
      [(o) => (o.person.lastName = 'Tester\u000B'), 'person.lastName', 'U+000B at position 6'],
      [(o) => (o.person.email = '\u000Ctessan@test.com'), 'person.email', 'U+000C at position 0'],
      [(o) => (o.tenant = 'gog\u0007'), 'tenant', 'U+0007 at position 3'],
    ];
    for (const [mutate, path, detail] of cases) {
      const input = rawOrder();
      mutate(input);
      assert.deepEqual(errors(input), [{ path, message: `contains ${detail}, a character XML 1.0 cannot carry` }], path);
    }
  });

  it('one-line fields refuse tab and line breaks; the note allows them', () => {
    const input = rawOrder();
    input.person.firstName = 'Tes\nsan';
    input.organization.name = 'A\tB';
    input.person.note = 'rad 1\r\nrad 2\tslut';
    assert.deepEqual(errors(input), [
      { path: 'organization.name', message: 'must be a single line (no tab, CR or LF)' },
      { path: 'person.firstName', message: 'must be a single line (no tab, CR or LF)' },
    ]);
  });

  it('e-mail sanity', () => {
    for (const email of ['tessan', 'tessan@', '@test.com', 'a@b@test.com', 'tes san@test.com', 'tessan@test', 'tessan@test.', 'tessan@.com', 'tessan@test..com']) {
      const input = rawOrder();
      input.person.email = email;
      assert.deepEqual(paths(errors(input)), ['person.email'], email);
    }
    for (const email of ['tessan@test.com', 'tessan.t+gym@mail.example.se', 'åsa@exempel.se']) {
      const input = rawOrder();
      input.person.email = email;
      assert.equal(valid(input).person.email, email);
    }
  });

  it('country must be two letters', () => {
    for (const country of ['SWE', 'S', 'S3', 'Sverige', 'ÅÄ']) {
      const input = rawOrder();
      input.person.address.country = country;
      assert.deepEqual(errors(input), [
        { path: 'person.address.country', message: 'must be a two-letter country code (ISO 3166-1 alpha-2, e.g. SE)' },
      ]);
    }
  });

  it('wrong types inside sections', () => {
    const input = rawOrder();
    input.person.firstName = 42;
    input.person.address = 'Storgatan 1';
    input.person.phones = ['0731234567'];
    input.items[0].startDay = 20260701;
    input.items[1] = null;
    assert.deepEqual(errors(input), [
      { path: 'person.firstName', message: 'must be a string' },
      { path: 'person.address', message: 'must be an object' },
      { path: 'person.phones', message: 'must be an object' },
      { path: 'items[0].startDay', message: 'must be a string' },
      { path: 'items[1]', message: 'must be an object' },
    ]);
  });

  it('startDay must be a real YYYY-MM-DD date', () => {
    for (const startDay of ['2026-02-29', '2026-7-1', '2026-07-01T00:00:00Z', '01/07/2026', '']) {
      const input = rawOrder();
      input.items[0].startDay = startDay;
      assert.deepEqual(paths(errors(input)), ['items[0].startDay'], startDay);
    }
  });

  it('error messages never echo personal values', () => {
    const input = rawOrder();
    input.person.firstName = 'Zlatanina\u0001';
    input.person.lastName = 'Ibrahimovicová\u0002';
    input.person.personnummer = '19850709-9806';
    input.person.email = 'zlatanina@@example.se';
    input.person.phones = { mobile: '070-ZLATAN' };
    input.person.address.street = 'Hemliga gatan 7\u0003';
    input.organization.number = '850709-9806';
    const text = JSON.stringify(errors(input));
    for (const secret of ['Zlatan', 'Ibrahimovic', '850709', '9806', 'example.se', 'ZLATAN', 'Hemliga', '070']) {
      assert.ok(!text.includes(secret), `errors contain ${secret}: ${text}`);
    }
  });

  it('validation does not modify its input', () => {
    const input = rawOrder();
    const before = structuredClone(input);
    valid(input);
    assert.deepEqual(input, before);
  });
});
