import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PortalOrder } from '../../src/portals/portal-order.js';
import { SOP_HEADER, sopAdapter, sopToPortalOrder, type SopPayload, type SopRow } from '../../src/portals/sop.js';
import { assertNoPersonalData, errorsOf, NOW, orderOf , contractExample } from './helpers.js';

// sop.md, the file format example, verbatim.
/** The contract's example, as the portal sends it (examples/portals/, shared with the demo). */
const CONTRACT_FILE = contractExample('sop-orders.csv');

/** Just enough of the CSV rules for the example (`;`, `"` quoting with `""`); the real reader is csv-parse. */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ';') fields.push(field), (field = '');
    else field += ch;
  }
  fields.push(field);
  return fields;
}

const [HEADER_LINE, ...DATA_LINES] = CONTRACT_FILE.split('\n');
const HEADER = splitCsvLine(HEADER_LINE!);
/** Every data row of the example, with its 1-based line number in the file. */
const ROWS: SopRow[] = DATA_LINES.map((text, i) => ({
  line: i + 2,
  fields: Object.fromEntries(splitCsvLine(text).map((v, c) => [HEADER[c]!, v])),
}));
const rowsOf = (ordernr: string): SopRow[] => structuredClone(ROWS.filter((r) => r.fields.Ordernummer === ordernr));
const convert = (payload: SopPayload) => sopToPortalOrder(payload, NOW);

const EXPECTED_100045: PortalOrder = {
  portal: 'sop',
  ordernr: 'SP-100045',
  venueRef: 'odenplan',
  organization: { number: '556123-4567', name: 'Test Org AB' },
  person: {
    firstName: 'Tessan',
    lastName: 'Testsson',
    personnummer: '19111111-1116',
    address: { street: 'Testgatan 4', postalCode: '123 45', city: 'Teststad', country: 'SE' },
    email: 'tessan@test.com',
    phones: { mobile: '073-123 45 67' },
  },
  lines: [
    { articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 1, renew: false },
    { articleCode: 'TOWEL', startDay: '2026-12-01', priceIncVatOre: 1000, quantity: 1, renew: false },
  ],
  fieldPaths: {
    ordernr: '2:Ordernummer',
    venueRef: '2:Anläggning',
    'organization.number': '2:Organisationsnummer',
    'organization.name': '2:Företagsnamn',
    'person.firstName': '2:Förnamn',
    'person.lastName': '2:Efternamn',
    'person.personnummer': '2:Personnummer',
    'person.address.street': '2:Utdelningsadress',
    'person.address.postalCode': '2:Postnummer',
    'person.address.city': '2:Postort',
    'person.address.country': '2:Land',
    'person.email': '2:E-post',
    'person.phones.mobile': '2:Mobiltelefon',
    'lines[0].articleCode': '2:Artikelnummer',
    'lines[0].startDay': '2:Startdatum',
    'lines[0].priceIncVatOre': '2:Belopp inkl moms',
    'lines[0].renew': '2:Förnya',
    'lines[1].articleCode': '3:Artikelnummer',
    'lines[1].startDay': '3:Startdatum',
    'lines[1].priceIncVatOre': '3:Belopp inkl moms',
    'lines[1].renew': '3:Förnya',
  },
};

const EXPECTED_100046: PortalOrder = {
  portal: 'sop',
  ordernr: 'SP-100046',
  venueRef: 'gbg-city',
  organization: { number: '5560160680', name: 'Bröderna Ek & Söner, AB' },
  person: {
    firstName: 'Åsa',
    lastName: 'Öberg',
    personnummer: '201212121212',
    address: { street: 'Storgatan 1', postalCode: '41101', city: 'Göteborg', country: 'SE' },
  },
  lines: [{ articleCode: 'CLIP-10', startDay: '2026-11-21', priceIncVatOre: 95050, quantity: 1, renew: false }],
  fieldPaths: {
    ordernr: '4:Ordernummer',
    venueRef: '4:Anläggning',
    'organization.number': '4:Organisationsnummer',
    'organization.name': '4:Företagsnamn',
    'person.firstName': '4:Förnamn',
    'person.lastName': '4:Efternamn',
    'person.personnummer': '4:Personnummer',
    'person.address.street': '4:Utdelningsadress',
    'person.address.postalCode': '4:Postnummer',
    'person.address.city': '4:Postort',
    'person.address.country': '4:Land',
    'lines[0].articleCode': '4:Artikelnummer',
    'lines[0].startDay': '4:Startdatum',
    'lines[0].priceIncVatOre': '4:Belopp inkl moms',
    'lines[0].renew': '4:Förnya',
  },
};

describe('S&P adapter: the contract example', () => {
  it('SOP_HEADER is exactly the header row of the contract', () => {
    assert.deepEqual([...SOP_HEADER], HEADER);
    assert.equal(SOP_HEADER.length, 18);
  });

  it('turns the two rows of SP-100045 into one order with two lines', () => {
    assert.deepEqual(orderOf(convert({ rows: rowsOf('SP-100045') })), EXPECTED_100045);
  });

  it('turns SP-100046 into an order: quoted name with & and comma, Swedish letters, empty e-post and phone omitted', () => {
    assert.deepEqual(orderOf(convert({ rows: rowsOf('SP-100046') })), EXPECTED_100046);
  });

  it('is the registered adapter for sop', () => {
    assert.equal(sopAdapter.portal, 'sop');
    assert.deepEqual(orderOf(sopAdapter.toPortalOrder({ rows: rowsOf('SP-100045') }, NOW)), EXPECTED_100045);
  });
});

describe('S&P adapter: values', () => {
  const single = (edit: Partial<Record<string, string>>) => {
    const rows = rowsOf('SP-100046');
    Object.assign(rows[0]!.fields, edit);
    return convert({ rows });
  };

  it('reads Swedish amounts without floating point', () => {
    const price = (belopp: string) => orderOf(single({ 'Belopp inkl moms': belopp })).lines[0]!.priceIncVatOre;
    assert.equal(price('2 500,00 kr'), 250000);
    assert.equal(price('2\u00A0500,00'), 250000);
    assert.equal(price('0,29'), 29);
    assert.equal(price('10 kr'), 1000);
  });

  it('refuses more than two decimals and negative amounts at {line}:Belopp inkl moms', () => {
    for (const [belopp, message] of [
      ['950,505', /more than two decimals/],
      ['-950,50', /negative/],
      ['', /must not be blank/],
      ['nio hundra', /not a decimal number/],
    ] as const) {
      const errs = errorsOf(single({ 'Belopp inkl moms': belopp }));
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.equal(errs[0]!.path, '4:Belopp inkl moms');
      assert.match(errs[0]!.message, message);
    }
  });

  it('Land empty means SE; another country is passed through', () => {
    assert.deepEqual(orderOf(single({ Land: '' })).person.address, { street: 'Storgatan 1', postalCode: '41101', city: 'Göteborg', country: 'SE' });
    assert.equal(orderOf(single({ Land: 'NO' })).person.address!.country, 'NO');
  });

  it('Förnya: Ja → true, Nej and empty → false, anything else is an error', () => {
    assert.equal(orderOf(single({ Förnya: 'Ja' })).lines[0]!.renew, true);
    assert.equal(orderOf(single({ Förnya: 'ja' })).lines[0]!.renew, true);
    assert.equal(orderOf(single({ Förnya: 'Nej' })).lines[0]!.renew, false);
    assert.equal(orderOf(single({ Förnya: '' })).lines[0]!.renew, false);
    assert.deepEqual(errorsOf(single({ Förnya: 'Kanske' })), [{ path: '4:Förnya', message: 'must be Ja, Nej or empty' }]);
    assert.deepEqual(errorsOf(single({ Förnya: 'true' })), [{ path: '4:Förnya', message: 'must be Ja, Nej or empty' }]);
  });

  it('passes names with & < > " \' , 10-digit personnummer and E.164 phones through raw', () => {
    const o = orderOf(single({ Förnamn: 'Åsa & <Ö> "x" \'y\'', Personnummer: '1212121212', Mobiltelefon: '+46731234567' }));
    assert.equal(o.person.firstName, 'Åsa & <Ö> "x" \'y\'');
    assert.equal(o.person.personnummer, '1212121212');
    assert.deepEqual(o.person.phones, { mobile: '+46731234567' });
  });

  it('refuses a Startdatum that is not a real date', () => {
    assert.deepEqual(errorsOf(single({ Startdatum: '2026-11-31' })), [{ path: '4:Startdatum', message: 'must be a real date written YYYY-MM-DD' }]);
    assert.deepEqual(errorsOf(single({ Startdatum: '21/11/2026' })), [{ path: '4:Startdatum', message: 'must be a real date written YYYY-MM-DD' }]);
  });
});

describe('S&P adapter: rows of one order', () => {
  it('refuses rows that disagree on Personnummer, at the later row, without echoing either value', () => {
    const rows = rowsOf('SP-100045');
    rows[1]!.fields.Personnummer = '191111111116';
    const errs = errorsOf(convert({ rows }));
    assert.deepEqual(errs, [
      { path: '3:Personnummer', message: 'differs from line 2 of the same order; order-level columns must be the same on every row' },
    ]);
    assertNoPersonalData(errs, ['191111111116', '19111111-1116']);
  });

  it('refuses disagreement on the org, the venue, the name and the e-mail, each at its cell', () => {
    const rows = rowsOf('SP-100045');
    rows[1]!.fields.Organisationsnummer = '5560160680';
    rows[1]!.fields.Anläggning = 'gbg-city';
    rows[1]!.fields.Förnamn = 'Tess';
    rows[1]!.fields['E-post'] = '';
    assert.deepEqual(
      errorsOf(convert({ rows })).map((e) => e.path),
      ['3:Organisationsnummer', '3:Förnamn', '3:E-post', '3:Anläggning'],
    );
  });

  it('does not count surrounding spaces or Land empty vs SE as disagreement; line fields may differ', () => {
    const rows = rowsOf('SP-100045');
    rows[1]!.fields.Förnamn = ' Tessan ';
    rows[1]!.fields.Land = '';
    rows[1]!.fields.Startdatum = '2027-01-01';
    rows[1]!.fields.Förnya = 'Ja';
    const o = orderOf(convert({ rows }));
    assert.deepEqual(o.lines[1], { articleCode: 'TOWEL', startDay: '2027-01-01', priceIncVatOre: 1000, quantity: 1, renew: true });
  });

  it('uses the line numbers it is given (rows of one order need not be adjacent)', () => {
    const rows = rowsOf('SP-100045');
    rows[1]!.line = 17;
    const o = orderOf(convert({ rows }));
    assert.equal(o.fieldPaths['lines[1].priceIncVatOre'], '17:Belopp inkl moms');
  });

  it('reports every problem at once, each at {line}:{column}', () => {
    const rows = rowsOf('SP-100045');
    rows[0]!.fields.Personnummer = '';
    rows[0]!.fields.Orderdatum = '2026-11-31';
    delete (rows[0]!.fields as Record<string, string | undefined>).Anläggning;
    rows[1]!.fields['Belopp inkl moms'] = '10,001';
    rows[1]!.fields.Artikelnummer = ' ';
    rows[1]!.fields.Förnya = 'J';
    const r = convert({ rows });
    assert.equal(r.ok ? undefined : r.ordernr, 'SP-100045');
    assert.deepEqual(errorsOf(r), [
      { path: '2:Orderdatum', message: 'must be a real date written YYYY-MM-DD' },
      { path: '2:Personnummer', message: 'must not be blank' },
      { path: '2:Anläggning', message: 'is required' },
      // Row 3 still has the values row 2 lost: they differ, and say so at row 3.
      { path: '3:Orderdatum', message: 'differs from line 2 of the same order; order-level columns must be the same on every row' },
      { path: '3:Personnummer', message: 'differs from line 2 of the same order; order-level columns must be the same on every row' },
      { path: '3:Anläggning', message: 'differs from line 2 of the same order; order-level columns must be the same on every row' },
      { path: '3:Artikelnummer', message: 'must not be blank' },
      { path: '3:Belopp inkl moms', message: 'amount has more than two decimals (öre is the smallest unit)' },
      { path: '3:Förnya', message: 'must be Ja, Nej or empty' },
    ]);
  });

  it('refuses rows that disagree on Ordernummer, and an order-id longer than 40 characters', () => {
    const rows = rowsOf('SP-100045');
    rows[1]!.fields.Ordernummer = 'SP-100046';
    assert.deepEqual(errorsOf(convert({ rows })).map((e) => e.path), ['3:Ordernummer']);
    const long = rowsOf('SP-100046');
    long[0]!.fields.Ordernummer = 'S'.repeat(41);
    assert.deepEqual(errorsOf(convert({ rows: long })), [{ path: '4:Ordernummer', message: 'must be 1–40 characters' }]);
  });

  it('refuses an empty or malformed payload without throwing', () => {
    assert.deepEqual(errorsOf(convert({ rows: [] })), [{ path: '', message: 'an S&P order must have at least one row' }]);
    assert.deepEqual(errorsOf(convert(null as unknown as SopPayload)), [{ path: '', message: 'an S&P order must have at least one row' }]);
    assert.deepEqual(errorsOf(convert({ rows: [{ line: 0, fields: {} }] })), [
      { path: '', message: 'every row must have a positive line number and its fields' },
    ]);
    const twice = rowsOf('SP-100045');
    twice[1]!.line = 2;
    assert.deepEqual(errorsOf(convert({ rows: twice })), [{ path: '', message: 'two rows have the same line number' }]);
    const many = Array.from({ length: 51 }, (_, i) => ({ line: i + 2, fields: { ...rowsOf('SP-100046')[0]!.fields } }));
    assert.deepEqual(errorsOf(convert({ rows: many })), [{ path: '2:Ordernummer', message: 'an order may have at most 50 rows' }]);
  });
});
