import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CanonicalOrder } from '../../src/domain/canonical-order.js';
import { isPartnerdError } from '../../src/errors.js';
import { buildOrderXml } from '../../src/brp/order-xml.js';
import { parseUntrustedXml, type XmlNode } from '../../src/xml/safe-xml.js';
import { fullOrder, minimalOrder } from './fixtures.js';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';

/** Element names in document order. */
function tagSequence(xml: string): string[] {
  return [...xml.matchAll(/<([a-z]+)>/g)].map((m) => m[1]!);
}

function withPerson(patch: Partial<CanonicalOrder['person']>): CanonicalOrder {
  const o = fullOrder();
  o.person = { ...o.person, ...patch };
  return o;
}

describe('buildOrderXml', () => {
  it('builds the exact document for a full order (the documented example)', () => {
    assert.equal(
      buildOrderXml(fullOrder()),
      DECL +
        '<order>' +
        '<origin>benify</origin>' +
        '<version>1</version>' +
        '<ordernr>1234567</ordernr>' +
        '<businessunit><id>1</id></businessunit>' +
        '<organization><number>123425-2334</number><name>Test Org.</name></organization>' +
        '<person>' +
        '<firstname>Tessan</firstname>' +
        '<lastname>Testsson</lastname>' +
        '<personnumber>111111-1116</personnumber>' +
        '<shippingstreet>Testgatan 4</shippingstreet>' +
        '<shippingpostal>12345</shippingpostal>' +
        '<shippingcity>Teststad</shippingcity>' +
        '<shippingcountry>SE</shippingcountry>' +
        '<email>tessan@test.com</email>' +
        '<homephone>123 45</homephone>' +
        '<workphone>07984245</workphone>' +
        '<mobilephone>0731234567</mobilephone>' +
        '<note>An optional message here.</note>' +
        '</person>' +
        '<orderitem><productnumber>2</productnumber><startday>2013-12-24</startday><priceincvat>250000</priceincvat></orderitem>' +
        '<orderitem><productnumber>4</productnumber><startday>2013-12-24</startday><priceincvat>1000</priceincvat></orderitem>' +
        '</order>',
    );
  });

  it('omits every optional element that is absent', () => {
    assert.equal(
      buildOrderXml(minimalOrder()),
      DECL +
        '<order><origin>wellnet</origin><version>1</version><ordernr>W-99</ordernr>' +
        '<businessunit><id>12</id></businessunit>' +
        '<organization><number>556677-8899</number><name>Friskvård AB</name></organization>' +
        '<person><firstname>Åsa</firstname><lastname>Öberg</lastname><personnumber>191212121212</personnumber></person>' +
        '<orderitem><productnumber>64575F</productnumber><startday>2026-03-01</startday><priceincvat>0</priceincvat></orderitem>' +
        '</order>',
    );
  });

  it('writes only the address and phone parts that exist, and treats empty strings as absent', () => {
    const o = minimalOrder();
    o.person.address = { city: 'Malmö', street: '' };
    o.person.phones = { mobile: '0701234567', home: '' };
    o.person.email = '';
    const xml = buildOrderXml(o);
    assert.ok(
      xml.includes(
        '<personnumber>191212121212</personnumber><shippingcity>Malmö</shippingcity><mobilephone>0701234567</mobilephone></person>',
      ),
    );
    assert.deepEqual(tagSequence(xml).slice(9, 15), [
      'person',
      'firstname',
      'lastname',
      'personnumber',
      'shippingcity',
      'mobilephone',
    ]);
  });

  it('keeps the XSD element order', () => {
    const o = fullOrder();
    o.items[1]!.renew = true;
    assert.deepEqual(tagSequence(buildOrderXml(o)), [
      'order',
      'origin',
      'version',
      'ordernr',
      'businessunit',
      'id',
      'organization',
      'number',
      'name',
      'person',
      'firstname',
      'lastname',
      'personnumber',
      'shippingstreet',
      'shippingpostal',
      'shippingcity',
      'shippingcountry',
      'email',
      'homephone',
      'workphone',
      'mobilephone',
      'note',
      'orderitem',
      'productnumber',
      'startday',
      'priceincvat',
      'orderitem',
      'productnumber',
      'startday',
      'priceincvat',
      'renew',
    ]);
  });

  it('writes renew only when defined, as true/false', () => {
    const o = minimalOrder();
    o.items = [
      { productNumber: 'A', startDay: '2026-03-01', priceIncVatOre: 100, renew: true },
      { productNumber: 'B', startDay: '2026-03-01', priceIncVatOre: 200, renew: false },
      { productNumber: 'C', startDay: '2026-03-01', priceIncVatOre: 300 },
    ];
    const xml = buildOrderXml(o);
    assert.ok(
      xml.endsWith(
        '<orderitem><productnumber>A</productnumber><startday>2026-03-01</startday><priceincvat>100</priceincvat><renew>true</renew></orderitem>' +
          '<orderitem><productnumber>B</productnumber><startday>2026-03-01</startday><priceincvat>200</priceincvat><renew>false</renew></orderitem>' +
          '<orderitem><productnumber>C</productnumber><startday>2026-03-01</startday><priceincvat>300</priceincvat></orderitem>' +
          '</order>',
      ),
    );
  });

  it('escapes & < > and leaves quotes, Swedish letters and emoji as text', () => {
    const xml = buildOrderXml(
      withPerson({ firstName: `Ann-Sofie "Sofi" O'Brien`, lastName: 'Åström & <Söner>', note: 'Kör 💪🏽 > 5 ggr/v' }),
    );
    assert.ok(xml.includes(`<firstname>Ann-Sofie "Sofi" O'Brien</firstname>`));
    assert.ok(xml.includes('<lastname>Åström &amp; &lt;Söner&gt;</lastname>'));
    assert.ok(xml.includes('<note>Kör 💪🏽 &gt; 5 ggr/v</note>'));
  });

  it('escapes text that already looks like an entity or character reference (xmlbuilder2 leaves it alone)', () => {
    const xml = buildOrderXml(withPerson({ note: 'AT&amp;T &lt;b&gt; &#60; &#x3C; Fish &chips; a]]>b' }));
    assert.ok(
      xml.includes('<note>AT&amp;amp;T &amp;lt;b&amp;gt; &amp;#60; &amp;#x3C; Fish &amp;chips; a]]&gt;b</note>'),
    );
  });

  it('round-trips tricky text to identical strings', () => {
    const values = {
      firstName: `"Quoted" & 'single' <tag>`,
      lastName: 'Ängström-Öhrn åäö ÅÄÖ éü',
      street: 'Storgatan 1 & 2 <B>',
      city: 'Göteborg 🏋️‍♀️',
      email: "o'brien+tag@exämple.se",
      note: 'Rad ett\r\nRad två\tTAB\nAT&amp;T &#60; &#x3C; &lt; Fish &chips; ]]> 👍🏽 💯',
      orgName: 'Söderberg & Partners <SoP>',
      productNumber: 'P&<>"\'1',
      ordernr: 'A&B<C>',
    };
    const o = fullOrder();
    o.person.firstName = values.firstName;
    o.person.lastName = values.lastName;
    o.person.address = { ...o.person.address, street: values.street, city: values.city };
    o.person.email = values.email;
    o.person.note = values.note;
    o.organization.name = values.orgName;
    o.items[0]!.productNumber = values.productNumber;
    o.ordernr = values.ordernr;

    const doc = parseUntrustedXml(buildOrderXml(o));
    const order = doc.order as XmlNode;
    const person = order.person as XmlNode;
    const items = order.orderitem as XmlNode[];
    assert.deepEqual(
      {
        firstName: person.firstname,
        lastName: person.lastname,
        street: person.shippingstreet,
        city: person.shippingcity,
        email: person.email,
        note: person.note,
        orgName: (order.organization as XmlNode).name,
        productNumber: items[0]!.productnumber,
        ordernr: order.ordernr,
      },
      values,
    );
  });

  it('refuses text XML cannot carry, naming the field but not the value', () => {
    for (const [bad, path] of [
      ['Tes\u0001san', 'person.firstName'],
      ['\uD83D', 'person.firstName'],
      ['x\uFFFE', 'person.firstName'],
    ] as const) {
      assert.throws(
        () => buildOrderXml(withPerson({ firstName: bad })),
        (err: unknown) => {
          assert.ok(isPartnerdError(err, 'PD_XSD_INVALID'));
          assert.deepEqual(err.details, [`${path}: contains a character that XML 1.0 cannot carry`]);
          assert.ok(!err.message.includes(bad));
          return true;
        },
      );
    }
  });

  it('writes an empty element for a required value missing at run time, and leaves out a missing block', () => {
    const o = fullOrder() as unknown as Record<string, unknown>;
    delete o.person;
    (o.organization as Record<string, unknown>).name = undefined;
    const xml = buildOrderXml(o as unknown as CanonicalOrder);
    assert.ok(xml.includes('<organization><number>123425-2334</number><name/></organization><orderitem>'));
  });

  it('does not modify the order', () => {
    const o = withPerson({ note: 'a & b\r\n' });
    const before = structuredClone(o);
    buildOrderXml(o);
    assert.deepEqual(o, before);
  });
});
