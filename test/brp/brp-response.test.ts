import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBrpResponse, type BrpConfirmation, type BrpResponseBody } from '../../src/brp/brp-response.js';
import { readFixture } from './fixtures.js';

/** The documented confirmation example, well-formed, as typed values. */
const DOC_CONFIRMATION: BrpConfirmation = {
  order: {
    number: '137',
    created: '2013-11-20 10:31',
    orderedBy: {
      personnummer: '111111-1116',
      customerNumber: '10004',
      firstName: 'Tessan',
      lastName: 'Testsson',
      street: 'Testgagan 4',
      postal: '12345',
      city: 'Teststa',
      country: 'SE',
    },
    businessUnit: { name: 'Anläggning 2' },
    organization: { number: '123425-2334', name: 'Test Org.' },
    products: [
      { number: '64575F', type: 'Klippkort', name: '100 Entre klipp' },
      { number: '10544C', type: 'article', name: 'Banana' },
    ],
    sumExVatOre: 19660,
    vatSums: [
      { ratePercent: 25, amountOre: 4680 },
      { ratePercent: 6, amountOre: 60 },
    ],
    sumOre: 24400,
    leftToPayOre: 0,
    mark: 'benify',
  },
  invoice: {
    number: '14',
    ocrNumber: '1446',
    totalAmountOre: 24400,
    restOre: 24400,
    invoiceDate: '2013-11-20',
    dueDate: '2013-11-30',
    mark: 'Avser beställning 1234 hos Benify',
  },
};

const FIXED = readFixture('doc-confirmation-fixed.xml');

/** A minimal confirmation with only the required fields; `parts` overrides elements by name. */
function confirmation(parts: { order?: Record<string, string | null>; invoice?: Record<string, string | null> } = {}): string {
  const order: Record<string, string | null> = {
    number: '<number>137</number>',
    created: '<created>2013-11-20 10:31</created>',
    sumexvat: '<sumexvat>19660</sumexvat>',
    sum: '<sum>24400</sum>',
    lefttopay: '<lefttopay>0</lefttopay>',
    ...parts.order,
  };
  const invoice: Record<string, string | null> = {
    number: '<number>14</number>',
    ocrnumber: '<ocrnumber>1446</ocrnumber>',
    totalamount: '<totalamount>24400</totalamount>',
    rest: '<rest>24400</rest>',
    invoicedate: '<invoicedate>2013-11-20</invoicedate>',
    duedate: '<duedate>2013-11-30</duedate>',
    ...parts.invoice,
  };
  const join = (r: Record<string, string | null>) => Object.values(r).filter((v) => v !== null).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><confirmation><order>${join(order)}</order><invoice>${join(invoice)}</invoice></confirmation>`;
}

function unparseable(reason: string): BrpResponseBody {
  return { kind: 'unparseable', reason };
}

describe('parseBrpResponse: confirmation', () => {
  it("reads the documentation's example (made well-formed) into exact typed values", () => {
    assert.deepEqual(parseBrpResponse(FIXED), { kind: 'confirmation', confirmation: DOC_CONFIRMATION });
  });

  it('the documented fixes are exactly the three broken closing tags', () => {
    const raw = readFixture('doc-confirmation-raw.xml');
    const fixed = raw
      .replace('<personnumber>111111-1116<personnumber>', '<personnumber>111111-1116</personnumber>')
      .replace('</streetaddress>', '</street>')
      .replace('</postaladdress>', '</postal>');
    assert.equal(fixed, FIXED);
  });

  it("the documentation's example as published is unparseable", () => {
    assert.deepEqual(
      parseBrpResponse(readFixture('doc-confirmation-raw.xml')),
      unparseable(
        'body is not well-formed XML: unexpected close tag (line 10)',
      ),
    );
  });

  it('reads a minimal confirmation: optional parts absent, lists empty', () => {
    assert.deepEqual(parseBrpResponse(confirmation()), {
      kind: 'confirmation',
      confirmation: {
        order: {
          number: '137',
          created: '2013-11-20 10:31',
          orderedBy: {},
          businessUnit: {},
          organization: {},
          products: [],
          sumExVatOre: 19660,
          vatSums: [],
          sumOre: 24400,
          leftToPayOre: 0,
        },
        invoice: {
          number: '14',
          ocrNumber: '1446',
          totalAmountOre: 24400,
          restOre: 24400,
          invoiceDate: '2013-11-20',
          dueDate: '2013-11-30',
        },
      },
    });
  });

  it('reads a single product and a single vatsum as one-element lists', () => {
    const body = confirmation({
      order: {
        products: '<products><product><number>A1</number></product></products>',
        vatsums: '<vatsums><vatsum><rate>12</rate><amount>2143</amount></vatsum></vatsums>',
      },
    });
    const r = parseBrpResponse(body);
    assert.equal(r.kind, 'confirmation');
    if (r.kind !== 'confirmation') return;
    assert.deepEqual(r.confirmation.order.products, [{ number: 'A1' }]);
    assert.deepEqual(r.confirmation.order.vatSums, [{ ratePercent: 12, amountOre: 2143 }]);
  });

  it('keeps leading zeros in numbers, decodes escaped text, ignores attributes and unknown elements', () => {
    const body = confirmation({
      order: {
        number: '<number>000137</number>',
        mark: '<mark>A &amp; B &lt;x&gt; &#246;</mark>',
        future: '<loyaltypoints>12</loyaltypoints>',
        sum: '<sum currency="SEK">24400</sum>',
      },
      invoice: { ocrnumber: '<ocrnumber>0014460</ocrnumber>' },
    });
    const r = parseBrpResponse(body);
    assert.equal(r.kind, 'confirmation');
    if (r.kind !== 'confirmation') return;
    assert.equal(r.confirmation.order.number, '000137');
    assert.equal(r.confirmation.order.mark, 'A & B <x> ö');
    assert.equal(r.confirmation.order.sumOre, 24400);
    assert.equal(r.confirmation.invoice.ocrNumber, '0014460');
  });

  it('accepts a negative rest and lefttopay (credited / overpaid), -0 as 0', () => {
    const r = parseBrpResponse(
      confirmation({ order: { lefttopay: '<lefttopay>-0</lefttopay>' }, invoice: { rest: '<rest>-500</rest>' } }),
    );
    assert.equal(r.kind, 'confirmation');
    if (r.kind !== 'confirmation') return;
    assert.ok(Object.is(r.confirmation.order.leftToPayOre, 0));
    assert.equal(r.confirmation.invoice.restOre, -500);
  });

  it('accepts a decimal VAT rate', () => {
    const r = parseBrpResponse(
      confirmation({ order: { vatsums: '<vatsums><vatsum><rate>12.5</rate><amount>10</amount></vatsum></vatsums>' } }),
    );
    assert.equal(r.kind, 'confirmation');
    if (r.kind !== 'confirmation') return;
    assert.deepEqual(r.confirmation.order.vatSums, [{ ratePercent: 12.5, amountOre: 10 }]);
  });

  it('is unparseable when a required field is missing, naming it', () => {
    const cases: Array<[Parameters<typeof confirmation>[0], string]> = [
      [{ order: { number: null } }, 'confirmation.order.number is missing'],
      [{ order: { number: '<number></number>' } }, 'confirmation.order.number is missing'],
      [{ order: { created: null } }, 'confirmation.order.created is missing'],
      [{ order: { sumexvat: null } }, 'confirmation.order.sumexvat is missing'],
      [{ order: { sum: null } }, 'confirmation.order.sum is missing'],
      [{ order: { lefttopay: null } }, 'confirmation.order.lefttopay is missing'],
      [{ invoice: { number: null } }, 'confirmation.invoice.number is missing'],
      [{ invoice: { ocrnumber: null } }, 'confirmation.invoice.ocrnumber is missing'],
      [{ invoice: { totalamount: null } }, 'confirmation.invoice.totalamount is missing'],
      [{ invoice: { rest: null } }, 'confirmation.invoice.rest is missing'],
      [{ invoice: { invoicedate: null } }, 'confirmation.invoice.invoicedate is missing'],
      [{ invoice: { duedate: '<duedate/>' } }, 'confirmation.invoice.duedate is missing'],
      [
        { order: { products: '<products><product><name>Banana</name></product></products>' } },
        'confirmation.order.products.product[0].number is missing',
      ],
      [
        { order: { vatsums: '<vatsums><vatsum><rate>25</rate></vatsum></vatsums>' } },
        'confirmation.order.vatsums.vatsum[0].amount is missing',
      ],
    ];
    for (const [parts, reason] of cases) assert.deepEqual(parseBrpResponse(confirmation(parts)), unparseable(reason), reason);
  });

  it('is unparseable without <order> or <invoice>', () => {
    assert.deepEqual(
      parseBrpResponse('<confirmation><invoice/></confirmation>'),
      unparseable('confirmation.order is missing'),
    );
    assert.deepEqual(
      parseBrpResponse(confirmation().replace(/<invoice>.*<\/invoice>/, '')),
      unparseable('confirmation.invoice is missing'),
    );
    assert.deepEqual(parseBrpResponse('<confirmation/>'), unparseable('confirmation.order is missing'));
  });

  it('is unparseable for amounts that are not integer öre', () => {
    const cases: Array<[Parameters<typeof confirmation>[0], string]> = [
      [{ order: { sum: '<sum>244.00</sum>' } }, 'confirmation.order.sum is not a non-negative integer amount of öre'],
      [{ order: { sum: '<sum>24 400</sum>' } }, 'confirmation.order.sum is not a non-negative integer amount of öre'],
      [{ order: { sum: '<sum>+24400</sum>' } }, 'confirmation.order.sum is not a non-negative integer amount of öre'],
      [{ order: { sum: '<sum>-24400</sum>' } }, 'confirmation.order.sum is not a non-negative integer amount of öre'],
      [{ order: { sum: '<sum>2.44e4</sum>' } }, 'confirmation.order.sum is not a non-negative integer amount of öre'],
      [{ order: { sumexvat: '<sumexvat>abc</sumexvat>' } }, 'confirmation.order.sumexvat is not a non-negative integer amount of öre'],
      [{ order: { lefttopay: '<lefttopay>0.5</lefttopay>' } }, 'confirmation.order.lefttopay is not an integer amount of öre'],
      [{ invoice: { rest: '<rest>--1</rest>' } }, 'confirmation.invoice.rest is not an integer amount of öre'],
      [{ invoice: { totalamount: '<totalamount>١٢</totalamount>' } }, 'confirmation.invoice.totalamount is not a non-negative integer amount of öre'],
      [{ invoice: { totalamount: '<totalamount>9007199254740993</totalamount>' } }, 'confirmation.invoice.totalamount is out of range'],
      [
        { order: { vatsums: '<vatsums><vatsum><rate>25</rate><amount>46.80</amount></vatsum></vatsums>' } },
        'confirmation.order.vatsums.vatsum[0].amount is not a non-negative integer amount of öre',
      ],
      [
        { order: { vatsums: '<vatsums><vatsum><rate>25%</rate><amount>4680</amount></vatsum></vatsums>' } },
        'confirmation.order.vatsums.vatsum[0].rate is not a non-negative percentage',
      ],
    ];
    for (const [parts, reason] of cases) assert.deepEqual(parseBrpResponse(confirmation(parts)), unparseable(reason), reason);
  });

  it('is unparseable for malformed numbers, dates and timestamps', () => {
    const cases: Array<[Parameters<typeof confirmation>[0], string]> = [
      [{ order: { number: '<number>137A</number>' } }, 'confirmation.order.number is not a number'],
      [{ invoice: { number: '<number>F-14</number>' } }, 'confirmation.invoice.number is not a number'],
      [{ invoice: { ocrnumber: '<ocrnumber>14 46</ocrnumber>' } }, 'confirmation.invoice.ocrnumber is not a number'],
      [{ order: { created: '<created>2013-11-20T10:31</created>' } }, 'confirmation.order.created is not a yyyy-MM-dd HH:mm timestamp'],
      [{ order: { created: '<created>2013-11-20 24:00</created>' } }, 'confirmation.order.created is not a yyyy-MM-dd HH:mm timestamp'],
      [{ order: { created: '<created>2013-02-29 10:31</created>' } }, 'confirmation.order.created is not a yyyy-MM-dd HH:mm timestamp'],
      [{ invoice: { duedate: '<duedate>2026-02-30</duedate>' } }, 'confirmation.invoice.duedate is not a yyyy-MM-dd date'],
      [{ invoice: { invoicedate: '<invoicedate>20/11/2013</invoicedate>' } }, 'confirmation.invoice.invoicedate is not a yyyy-MM-dd date'],
    ];
    for (const [parts, reason] of cases) assert.deepEqual(parseBrpResponse(confirmation(parts)), unparseable(reason), reason);
  });

  it('is unparseable when a singular element repeats or holds elements instead of text', () => {
    assert.deepEqual(
      parseBrpResponse(confirmation({ order: { sum: '<sum>1</sum><sum>2</sum>' } })),
      unparseable('confirmation.order.sum appears more than once'),
    );
    assert.deepEqual(
      parseBrpResponse(confirmation({ invoice: { number: '<number><value>14</value></number>' } })),
      unparseable('confirmation.invoice.number is not text'),
    );
    assert.deepEqual(
      parseBrpResponse(confirmation().replace('</confirmation>', '<invoice/></confirmation>')),
      unparseable('confirmation.invoice appears more than once'),
    );
  });

  it('never puts personal values into the reason', () => {
    const body = FIXED.replace('<sum>24400</sum>', '<sum>111111-1116</sum>').replace(
      '<created>2013-11-20 10:31</created>',
      '<created>Tessan Testsson</created>',
    );
    const r = parseBrpResponse(body);
    assert.deepEqual(r, unparseable('confirmation.order.created is not a yyyy-MM-dd HH:mm timestamp'));
    assert.deepEqual(
      parseBrpResponse(FIXED.replace('<sum>24400</sum>', '<sum>111111-1116</sum>')),
      unparseable('confirmation.order.sum is not a non-negative integer amount of öre'),
    );
  });
});

describe('parseBrpResponse: errors', () => {
  it('reads the page-002 example with <debuginfo>', () => {
    assert.deepEqual(parseBrpResponse(readFixture('doc-errors-debuginfo.xml')), {
      kind: 'errors',
      errors: [
        {
          message: 'Invalid settings configuration',
          code: 1111,
          debugInfo: "Invalid value for setting 'organizationidflexpay', no organization found with id: null",
        },
      ],
    });
  });

  it('reads the page-003 variant with <debug>', () => {
    assert.deepEqual(parseBrpResponse(readFixture('doc-errors-debug.xml')), {
      kind: 'errors',
      errors: [{ message: 'Felaktig parameter, fisrtname', code: 1001, debugInfo: 'field=fisrtname' }],
    });
  });

  it('reads several errors, keeps a non-integer code out, tolerates missing parts', () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<errors>' +
      '<error><message>Invalid personnumber</message><code>1002</code></error>' +
      '<error><message>Unknown product</message><code>E42</code><debuginfo>product=99</debuginfo></error>' +
      '<error><code>-1</code></error>' +
      '<error>Plain text error</error>' +
      '<error><message>Both</message><debuginfo>a</debuginfo><debug>b</debug></error>' +
      '</errors>';
    assert.deepEqual(parseBrpResponse(body), {
      kind: 'errors',
      errors: [
        { message: 'Invalid personnumber', code: 1002 },
        { message: 'Unknown product', debugInfo: 'product=99' },
        { message: '', code: -1 },
        { message: 'Plain text error' },
        { message: 'Both', debugInfo: 'a; b' },
      ],
    });
  });

  it('an <errors> without any <error> is unparseable', () => {
    assert.deepEqual(parseBrpResponse('<errors/>'), unparseable('errors contains no error element'));
    assert.deepEqual(parseBrpResponse('<errors><warning/></errors>'), unparseable('errors contains no error element'));
  });
});

describe('parseBrpResponse: bodies that are not BRP XML', () => {
  it('empty and whitespace-only bodies', () => {
    assert.deepEqual(parseBrpResponse(''), unparseable('body is empty'));
    assert.deepEqual(parseBrpResponse(' \r\n\t'), unparseable('body is empty'));
  });

  it('DOCTYPE and entity declarations are refused, not expanded', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE errors [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      '<errors><error><message>&lol2;</message></error></errors>';
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE confirmation [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><confirmation>&xxe;</confirmation>';
    const doctypeOnly = '<!DOCTYPE errors><errors><error><message>x</message></error></errors>';
    for (const body of [laughs, xxe, doctypeOnly]) {
      assert.deepEqual(parseBrpResponse(body), unparseable('body declares a DOCTYPE or entity, which is refused'));
    }
  });

  it('HTML error pages (502 from a proxy)', () => {
    const nginx =
      '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
    const html5 = '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Fel</title></head><body>Tjänsten är inte tillgänglig</body></html>';
    assert.deepEqual(parseBrpResponse(nginx), unparseable('body is an HTML page, not BRP XML'));
    assert.deepEqual(parseBrpResponse(html5), unparseable('body is an HTML page, not BRP XML'));
  });

  it('malformed XML, plain text, JSON and unexpected roots', () => {
    assert.deepEqual(
      parseBrpResponse('<errors><error><message>x</message></errors>'),
      unparseable('body is not well-formed XML: unexpected close tag (line 1)'),
    );
    assert.deepEqual(parseBrpResponse('Internal Server Error'), unparseable('body is not well-formed XML: text data outside of root node (line 1)'));
    assert.deepEqual(parseBrpResponse('{"status":"ok"}'), unparseable('body is not well-formed XML: text data outside of root node (line 1)'));
    assert.deepEqual(parseBrpResponse('<order><number>1</number></order>'), unparseable('unexpected root element <order>'));
    assert.deepEqual(parseBrpResponse('<ns:confirmation xmlns:ns="urn:x"/>'), unparseable('unexpected root element'));
  });

  it('tolerates a byte-order mark and whitespace before the declaration', () => {
    assert.deepEqual(parseBrpResponse(`\uFEFF\n  ${readFixture('doc-errors-debug.xml')}`), {
      kind: 'errors',
      errors: [{ message: 'Felaktig parameter, fisrtname', code: 1001, debugInfo: 'field=fisrtname' }],
    });
    assert.equal(parseBrpResponse(`\r\n${FIXED}`).kind, 'confirmation');
  });
});
