import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTIWAY_NAMESPACE, actiwayAdapter, actiwayToPortalOrder } from '../../src/portals/actiway.js';
import type { PortalOrder } from '../../src/portals/portal-order.js';
import { assertNoPersonalData, errorAt, errorsOf, NOW, orderOf , contractExample } from './helpers.js';

// actiway.md, the request body example, verbatim.
/** The contract's example, as the portal sends it (examples/portals/, shared with the demo). */
const CONTRACT_XML = contractExample('actiway-order.xml');

const convert = (xml: unknown) => actiwayToPortalOrder(xml as string, NOW);
/** The contract document with one exact substring replaced (fails if it is not there). */
function edit(from: string, to: string, xml = CONTRACT_XML): string {
  assert.ok(xml.includes(from), `fixture has ${from}`);
  return xml.replace(from, to);
}
const FIRST_ITEM = '<Item articleNo="GYM-12M" startDate="2026-12-01" priceInclVat="2500.00" quantity="1"/>';
const withFirstItem = (item: string) => edit(FIRST_ITEM, item);

const EXPECTED: PortalOrder = {
  portal: 'actiway',
  ordernr: 'AW-778812',
  venueRef: 'odenplan',
  organization: { number: '5561234567', name: 'Test Org AB' },
  person: {
    firstName: 'Tessan',
    lastName: 'Testsson',
    personnummer: '191111111116',
    address: { street: 'Testgatan 4', postalCode: '12345', city: 'Teststad', country: 'SE' },
    email: 'tessan@test.com',
    phones: { mobile: '0731234567', work: '08-123 45' },
    note: 'An optional message to the facility.',
  },
  lines: [
    { articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 1 },
    { articleCode: 'CLIP-10', startDay: '2026-12-01', priceIncVatOre: 95050, quantity: 2, renew: false },
  ],
  fieldPaths: {
    ordernr: '@id',
    venueRef: 'Venue/@ref',
    'organization.number': 'Company/@orgNo',
    'organization.name': 'Company',
    'person.firstName': 'Customer/FirstName',
    'person.lastName': 'Customer/LastName',
    'person.personnummer': 'Customer/PersonalNumber',
    'person.email': 'Customer/Email',
    'person.phones.mobile': 'Customer/Phone[1]',
    'person.phones.work': 'Customer/Phone[2]',
    'person.address.street': 'Customer/Address/Street',
    'person.address.postalCode': 'Customer/Address/Zip',
    'person.address.city': 'Customer/Address/City',
    'person.address.country': 'Customer/Address/Country',
    'person.note': 'Comment',
    'lines[0].articleCode': 'Items/Item[1]/@articleNo',
    'lines[0].startDay': 'Items/Item[1]/@startDate',
    'lines[0].priceIncVatOre': 'Items/Item[1]/@priceInclVat',
    'lines[0].quantity': 'Items/Item[1]/@quantity',
    'lines[1].articleCode': 'Items/Item[2]/@articleNo',
    'lines[1].startDay': 'Items/Item[2]/@startDate',
    'lines[1].priceIncVatOre': 'Items/Item[2]/@priceInclVat',
    'lines[1].quantity': 'Items/Item[2]/@quantity',
    'lines[1].renew': 'Items/Item[2]/@renew',
  },
};

describe('Actiway adapter: the contract example', () => {
  it('produces exactly the expected PortalOrder, with XPath-like field paths', () => {
    assert.deepEqual(orderOf(convert(CONTRACT_XML)), EXPECTED);
  });

  it('is the registered adapter for actiway, and also reads the document with a BOM and CRLF line ends', () => {
    assert.equal(actiwayAdapter.portal, 'actiway');
    assert.equal(ACTIWAY_NAMESPACE, 'urn:actiway:order:1');
    assert.deepEqual(orderOf(actiwayAdapter.toPortalOrder(`\uFEFF${CONTRACT_XML.replace(/\n/g, '\r\n')}`, NOW)), EXPECTED);
  });
});

describe('Actiway adapter: text', () => {
  it('decodes & < > " \' from entities and keeps Swedish letters', () => {
    let xml = edit('<FirstName>Tessan</FirstName>', '<FirstName>Åsa &amp; &lt;Ö&gt; &quot;x&quot; &apos;y&apos;</FirstName>');
    xml = edit('>Test Org AB</Company>', '>Bröderna Ek &amp; Söner, AB</Company>', xml);
    xml = edit('<LastName>Testsson</LastName>', '<LastName><![CDATA[Ärlig <Öberg> & co]]></LastName>', xml);
    xml = edit('<Comment>An optional message to the facility.</Comment>', '<Comment>Ring på &lt;dörren&gt; &amp; "vänta"\nandra våningen</Comment>', xml);
    const o = orderOf(convert(xml));
    assert.equal(o.person.firstName, 'Åsa & <Ö> "x" \'y\'');
    assert.equal(o.person.lastName, 'Ärlig <Öberg> & co');
    assert.equal(o.organization.name, 'Bröderna Ek & Söner, AB');
    assert.equal(o.person.note, 'Ring på <dörren> & "vänta"\nandra våningen');
  });

  it('passes 10- and 12-digit personnummer and E.164 phones through raw', () => {
    for (const pnr of ['1111111116', '111111-1116', '19111111-1116']) {
      const xml = edit('<PersonalNumber>191111111116</PersonalNumber>', `<PersonalNumber>${pnr}</PersonalNumber>`);
      assert.equal(orderOf(convert(xml)).person.personnummer, pnr);
    }
    const xml = edit('<Phone type="mobile">0731234567</Phone>', '<Phone type="mobile">+46731234567</Phone><Phone type="home">+46 8 123 45</Phone>');
    const o = orderOf(convert(xml));
    assert.deepEqual(o.person.phones, { mobile: '+46731234567', home: '+46 8 123 45', work: '08-123 45' });
    assert.equal(o.fieldPaths['person.phones.home'], 'Customer/Phone[2]');
    assert.equal(o.fieldPaths['person.phones.work'], 'Customer/Phone[3]');
  });

  it('omits empty and absent optional elements', () => {
    let xml = edit('<Email>tessan@test.com</Email>', '<Email/>');
    xml = edit('<Phone type="mobile">0731234567</Phone>\n    <Phone type="work">08-123 45</Phone>', '', xml);
    xml = xml.replace(/<Address>[\s\S]*<\/Address>/, '');
    xml = edit('<Comment>An optional message to the facility.</Comment>', '', xml);
    const o = orderOf(convert(xml));
    assert.deepEqual(o.person, { firstName: 'Tessan', lastName: 'Testsson', personnummer: '191111111116' });
  });

  it('refuses a phone type other than mobile, home or work, and a repeated type', () => {
    let xml = edit('<Phone type="work">', '<Phone type="fax">');
    assert.deepEqual(errorsOf(convert(xml)), [{ path: 'Customer/Phone[2]/@type', message: 'must be mobile, home or work' }]);
    xml = edit('<Phone type="work">', '<Phone type="mobile">');
    assert.deepEqual(errorsOf(convert(xml)), [{ path: 'Customer/Phone[2]/@type', message: 'must not repeat the type of an earlier Phone' }]);
    xml = edit('<Phone type="work">', '<Phone>');
    assert.deepEqual(errorsOf(convert(xml)), [{ path: 'Customer/Phone[2]/@type', message: 'is required' }]);
  });
});

describe('Actiway adapter: items', () => {
  it('defaults quantity to 1 and keeps quantity 2 as one line with quantity 2', () => {
    const o = orderOf(convert(withFirstItem('<Item articleNo="GYM-12M" startDate="2026-12-01" priceInclVat="2500.00"/>')));
    assert.deepEqual(o.lines, EXPECTED.lines);
    assert.equal(o.lines.length, 2);
  });

  it('refuses zero, negative, fractional and huge quantities', () => {
    for (const q of ['0', '-1', '1.5', 'two', '51', '99999999999999999999']) {
      const errs = errorsOf(convert(withFirstItem(`<Item articleNo="GYM-12M" startDate="2026-12-01" priceInclVat="2500.00" quantity="${q}"/>`)));
      assert.equal(errs.length, 1, `${q}: ${JSON.stringify(errs)}`);
      assert.match(errorAt(errs, 'Items/Item[1]/@quantity'), q === '51' ? /at most 50/ : /positive integer/);
    }
  });

  it('refuses quantities adding up to more than 50 items', () => {
    const xml = withFirstItem('<Item articleNo="GYM-12M" startDate="2026-12-01" priceInclVat="2500.00" quantity="49"/>');
    assert.deepEqual(errorsOf(convert(xml)), [{ path: 'Items', message: 'the quantities add up to 51 items; an order may have at most 50' }]);
  });

  it('converts prices exactly and refuses more than two decimals or a decimal comma', () => {
    const price = (p: string) => convert(withFirstItem(`<Item articleNo="GYM-12M" startDate="2026-12-01" priceInclVat="${p}"/>`));
    assert.equal(orderOf(price('0.29')).lines[0]!.priceIncVatOre, 29);
    assert.equal(orderOf(price('1.15')).lines[0]!.priceIncVatOre, 115);
    assert.match(errorAt(errorsOf(price('950.505')), 'Items/Item[1]/@priceInclVat'), /more than two decimals/);
    assert.match(errorAt(errorsOf(price('950,50')), 'Items/Item[1]/@priceInclVat'), /such as 2500\.00/);
    assert.match(errorAt(errorsOf(price('-1.00')), 'Items/Item[1]/@priceInclVat'), /negative/);
  });

  it('reads renew as xs:boolean', () => {
    const renew = (r: string) => convert(withFirstItem(`<Item articleNo="GYM-12M" startDate="2026-12-01" priceInclVat="2500.00" renew="${r}"/>`));
    assert.equal(orderOf(renew('true')).lines[0]!.renew, true);
    assert.equal(orderOf(renew('1')).lines[0]!.renew, true);
    assert.equal(orderOf(renew('0')).lines[0]!.renew, false);
    assert.deepEqual(errorsOf(renew('yes')), [{ path: 'Items/Item[1]/@renew', message: 'must be true or false' }]);
  });

  it('needs Items with at least one Item', () => {
    const noItems = CONTRACT_XML.replace(/<Items>[\s\S]*<\/Items>/, '');
    assert.deepEqual(errorsOf(convert(noItems)), [{ path: 'Items', message: 'is required' }]);
    const empty = CONTRACT_XML.replace(/<Items>[\s\S]*<\/Items>/, '<Items/>');
    assert.deepEqual(errorsOf(convert(empty)), [{ path: 'Items/Item', message: 'must occur at least once' }]);
  });
});

describe('Actiway adapter: structure errors', () => {
  it('reports every problem at once, each with its XPath-like path', () => {
    let xml = edit(' id="AW-778812"', '');
    xml = edit('<PersonalNumber>191111111116</PersonalNumber>', '', xml);
    xml = edit('<Company orgNo="5561234567">', '<Company>', xml);
    xml = edit('<Venue ref="odenplan"/>', '', xml);
    xml = edit('created="2026-11-20T10:31:00+01:00"', 'created="2026-11-20 10:31"', xml);
    xml = edit('quantity="2" renew="false"', 'quantity="0" renew="false"', xml);
    xml = edit('startDate="2026-12-01" priceInclVat="2500.00"', 'startDate="2026-13-01" priceInclVat="2500"', xml);
    assert.deepEqual(errorsOf(convert(xml)), [
      { path: '@id', message: 'is required' },
      { path: '@created', message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-19T23:30:00Z' },
      { path: 'Company/@orgNo', message: 'is required' },
      { path: 'Customer/PersonalNumber', message: 'is required' },
      { path: 'Venue', message: 'is required' },
      { path: 'Items/Item[1]/@startDate', message: 'must be a real date written YYYY-MM-DD' },
      { path: 'Items/Item[2]/@quantity', message: 'must be a positive integer' },
    ]);
  });

  it('refuses a repeated single element and an element where text is expected', () => {
    let xml = edit('<FirstName>Tessan</FirstName>', '<FirstName>Tessan</FirstName><FirstName>Tess</FirstName>');
    assert.deepEqual(errorsOf(convert(xml)), [{ path: 'Customer/FirstName', message: 'must occur only once' }]);
    xml = edit('<FirstName>Tessan</FirstName>', '<FirstName><b>Tessan</b></FirstName>');
    assert.deepEqual(errorsOf(convert(xml)), [{ path: 'Customer/FirstName', message: 'must be text, not elements' }]);
  });

  it('applies the order-id rule', () => {
    assert.deepEqual(errorsOf(convert(edit('id="AW-778812"', `id="${'A'.repeat(41)}"`))), [{ path: '@id', message: 'must be 1–40 characters' }]);
    assert.deepEqual(errorsOf(convert(edit('id="AW-778812"', 'id="AW 778812"'))), [{ path: '@id', message: 'must not contain whitespace' }]);
  });

  it('never echoes personal values in its messages', () => {
    let xml = edit('<FirstName>Tessan</FirstName>', '<FirstName><x>Tessan</x></FirstName>');
    xml = edit('<Phone type="work">08-123 45</Phone>', '<Phone type="Tessan">08-123 45</Phone>', xml);
    const errs = errorsOf(convert(xml));
    assert.equal(errs.length, 2);
    assertNoPersonalData(errs, ['Tessan', '08-123 45']);
  });
});

describe('Actiway adapter: unsafe and unusable documents, one error at /', () => {
  const atRoot = (xml: unknown) => {
    const errs = errorsOf(convert(xml));
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0]!.path, '/');
    return errs[0]!.message;
  };

  it('refuses a DOCTYPE with entity expansion (billion laughs) without expanding anything', () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE ActiwayOrder [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
${CONTRACT_XML.replace('<?xml version="1.0" encoding="UTF-8"?>\n', '').replace('<FirstName>Tessan</FirstName>', '<FirstName>&lol3;</FirstName>')}`;
    const message = atRoot(bomb);
    assert.equal(message, 'a DOCTYPE or entity declaration is not accepted');
    assert.ok(!message.includes('lol'));
  });

  it('refuses an external entity (XXE)', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ActiwayOrder xmlns="urn:actiway:order:1" id="&e;"/>`;
    assert.equal(atRoot(xxe), 'a DOCTYPE or entity declaration is not accepted');
    assert.equal(atRoot('<!DOCTYPE ActiwayOrder><ActiwayOrder xmlns="urn:actiway:order:1"/>'), 'a DOCTYPE or entity declaration is not accepted');
  });

  it('refuses malformed XML, naming only the line', () => {
    assert.equal(atRoot(edit('</Customer>', '</Customr>')), 'is not well-formed XML (line 17)');
    assert.equal(atRoot(''), 'is not well-formed XML (line 1)');
    assert.equal(atRoot('Tessan Testsson'), 'is not well-formed XML (line 1)');
  });

  it('refuses a wrong root element, a second root and a missing, other or prefixed namespace', () => {
    const root = 'the document must have one root element, ActiwayOrder in namespace urn:actiway:order:1';
    const ns = 'the root element ActiwayOrder must be in namespace urn:actiway:order:1';
    assert.equal(atRoot('<ActiwayReceipt xmlns="urn:actiway:order:1" status="accepted" orderId="AW-1"/>'), root);
    // A second root is not well-formed XML at all: the parser refuses it before the adapter looks.
    assert.equal(atRoot(edit('</ActiwayOrder>', '</ActiwayOrder><ActiwayOrder xmlns="urn:actiway:order:1"/>')), 'is not well-formed XML (line 24)');
    assert.equal(atRoot(edit(' xmlns="urn:actiway:order:1"', '')), ns);
    assert.equal(atRoot(edit('xmlns="urn:actiway:order:1"', 'xmlns="urn:actiway:order:2"')), ns);
    const prefixed = CONTRACT_XML.replace(/<(\/?)([A-Z])/g, '<$1aw:$2').replace('xmlns=', 'xmlns:aw=');
    assert.ok(prefixed.includes('<aw:ActiwayOrder xmlns:aw="urn:actiway:order:1"'));
    assert.equal(atRoot(prefixed), root);
  });

  it('refuses characters XML 1.0 cannot carry instead of letting the parser drop them', () => {
    assert.equal(atRoot(edit('<FirstName>Tessan</FirstName>', '<FirstName>Tes&#11;san</FirstName>')), 'contains a character reference to U+000B, a character XML 1.0 does not allow');
    assert.equal(atRoot(edit('<FirstName>Tessan</FirstName>', '<FirstName>Tessan&#x0;</FirstName>')), 'contains a character reference to U+0000, a character XML 1.0 does not allow');
    assert.equal(atRoot(edit('<FirstName>Tessan</FirstName>', '<FirstName>Tessan\u0001</FirstName>')), 'contains U+0001, a character XML 1.0 does not allow');
    // Legal references are fine.
    assert.equal(orderOf(convert(edit('<FirstName>Tessan</FirstName>', '<FirstName>&#197;sa &#x1F600;</FirstName>'))).person.firstName, 'Åsa 😀');
  });

  it('refuses a payload that is not text, and reserved element names, without throwing', () => {
    assert.equal(atRoot(Buffer.from(CONTRACT_XML)), 'must be an XML document');
    assert.equal(atRoot(undefined), 'must be an XML document');
    assert.equal(atRoot(edit('<Comment>', '<__proto__>x</__proto__><Comment>')), 'is not well-formed XML');
  });
});
