import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import libxml from 'libxmljs2';
import luhn from 'luhn-js';
import { parseUntrustedXml, type XmlNode } from '../../src/xml/safe-xml.js';
import type { BrpSimulator } from '../../src/simulator/index.js';
import { API_KEY, OTHER_API_KEY, newAgent, orderXml, postOrder, startTestSimulator, type PostOptions } from './fixtures.js';

const agent = newAgent();
let sim: BrpSimulator;

before(async () => {
  sim = await startTestSimulator();
});
after(async () => {
  await sim.close();
  await agent.close();
});
beforeEach(() => sim.reset());

const post = (xml: string, o: PostOptions = {}) => postOrder(sim, xml, { dispatcher: agent, ...o });

function confirmation(body: string): { order: XmlNode; invoice: XmlNode } {
  const doc = parseUntrustedXml(body, { arrays: ['product', 'vatsum'] });
  const c = doc.confirmation as XmlNode;
  return { order: c.order as XmlNode, invoice: c.invoice as XmlNode };
}

function errorOf(body: string): { message: string; code: string; debuginfo: string } {
  const doc = parseUntrustedXml(body);
  const e = (doc.errors as XmlNode).error as XmlNode;
  return { message: e.message as string, code: e.code as string, debuginfo: e.debuginfo as string };
}

async function expectError(xml: string, o: PostOptions, status: number, code: string, message: string): Promise<string> {
  const res = await post(xml, o);
  assert.equal(res.status, status);
  assert.equal(res.headers['content-type'], 'application/xml; charset=utf-8');
  const e = errorOf(res.body);
  assert.equal(e.code, code);
  assert.equal(e.message, message);
  assert.equal(sim.orders().length, 0, 'a refused request creates no order');
  return e.debuginfo;
}

describe('accepted partner order', () => {
  it('answers 200 with the documented <confirmation>, exact to the byte', async () => {
    const res = await post(orderXml());
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/xml; charset=utf-8');
    assert.equal(
      res.body,
      '<?xml version="1.0" encoding="UTF-8"?><confirmation><order><number>1</number><created>2026-03-30 10:05</created>' +
        '<orderedby><personnumber>111111-1116</personnumber><number>10001</number><firstname>Tessan</firstname>' +
        '<lastname>Testsson</lastname><street>Testgatan 4</street><postal>12345</postal><city>Teststad</city>' +
        '<country>SE</country></orderedby><businessunit><name>Odenplan</name></businessunit>' +
        '<organization><number>123425-2334</number><name>Test Org.</name></organization><products>' +
        '<product><number>64575F</number><type>Klippkort</type><name>100 Entre klipp</name></product>' +
        '<product><number>2001</number><type>article</type><name>Handduk</name></product></products>' +
        '<sumexvat>236649</sumexvat><vatsums><vatsum><rate>25</rate><amount>200</amount></vatsum>' +
        '<vatsum><rate>6</rate><amount>14151</amount></vatsum></vatsums><sum>251000</sum><lefttopay>0</lefttopay>' +
        '<mark>benify</mark></order><invoice><number>1</number><ocrnumber>133</ocrnumber><totalamount>251000</totalamount>' +
        '<rest>251000</rest><invoicedate>2026-03-30</invoicedate><duedate>2026-04-29</duedate>' +
        '<mark>Avser beställning 1234567 hos Benify</mark></invoice></confirmation>',
    );
  });

  it('computes VAT per item in integer öre (250000 @ 6 % → 14151, 1000 @ 25 % → 200, 1000 @ 12 % → 107)', async () => {
    const res = await post(
      orderXml({
        items: [
          { productnumber: '64575F', priceincvat: 250000 },
          { productnumber: '2001', priceincvat: 1000 },
          { productnumber: '3001', priceincvat: 1000 },
          { productnumber: '1001', priceincvat: 14 },
        ],
      }),
    );
    assert.equal(res.status, 200);
    const { order, invoice } = confirmation(res.body);
    // 14 öre @ 6 %: 0.79 → 1
    assert.deepEqual(order.vatsums, {
      vatsum: [
        { rate: '25', amount: '200' },
        { rate: '12', amount: '107' },
        { rate: '6', amount: '14152' },
      ],
    });
    assert.equal(order.sum, '252014');
    assert.equal(order.sumexvat, String(252014 - 200 - 107 - 14152));
    assert.equal(order.lefttopay, '0');
    assert.equal(invoice.totalamount, '252014');
    assert.equal(invoice.rest, '252014');
    assert.deepEqual(
      (order.products as XmlNode).product,
      [
        { number: '64575F', type: 'Klippkort', name: '100 Entre klipp' },
        { number: '2001', type: 'article', name: 'Handduk' },
        { number: '3001', type: 'article', name: 'Proteinbar' },
        { number: '1001', type: 'subscription', name: 'Årskort gym' },
      ],
    );
  });

  it('gives an OCR number with a valid Luhn check digit and length digit', async () => {
    for (let i = 1; i <= 12; i++) {
      const res = await post(orderXml({ ordernr: `ocr-${i}` }));
      const { invoice } = confirmation(res.body);
      assert.equal(invoice.number, String(i));
      const ocr = invoice.ocrnumber as string;
      assert.ok(luhn.isValid(ocr), `${ocr} passes mod 10`);
      assert.equal(ocr.slice(0, -2), String(i), 'starts with the invoice number');
      assert.equal(Number(ocr.at(-2)), ocr.length % 10, 'length digit');
    }
  });

  it('marks the invoice "Avser beställning {ordernr} hos {Portal}" with the doc\'s capitalisation, the order with the origin', async () => {
    const expected = { benify: 'Benify', wellnet: 'Wellnet', sop: 'Sop', actiway: 'Actiway', epassi: 'Epassi' };
    for (const [portal, name] of Object.entries(expected)) {
      const res = await post(orderXml({ origin: portal, ordernr: `W-${portal}-9` }), { portal });
      assert.equal(res.status, 200, portal);
      const { order, invoice } = confirmation(res.body);
      assert.equal(invoice.mark, `Avser beställning W-${portal}-9 hos ${name}`);
      assert.equal(order.mark, portal);
    }
  });

  it('finds the customer again by personnummer (in either form) and shows the stored customer', async () => {
    const first = confirmation((await post(orderXml({ ordernr: 'A1' }))).body);
    const again = confirmation(
      (await post(orderXml({ ordernr: 'A2', person: { firstname: 'Tessan-Renamed', personnumber: '201111111116' } }))).body,
    );
    const other = confirmation((await post(orderXml({ ordernr: 'A3', person: { personnumber: '121212-1212', firstname: 'Tolvan' } }))).body);
    const firstBy = first.order.orderedby as XmlNode;
    const againBy = again.order.orderedby as XmlNode;
    assert.equal(firstBy.number, '10001');
    assert.equal(againBy.number, '10001');
    assert.equal(againBy.firstname, 'Tessan', 'BRP answers with the customer it created the order on');
    assert.equal(againBy.personnumber, '111111-1116');
    assert.equal((other.order.orderedby as XmlNode).number, '10002');
    assert.deepEqual([first.order.number, again.order.number, other.order.number], ['1', '2', '3']);
    assert.deepEqual([first.invoice.number, again.invoice.number, other.invoice.number], ['1', '2', '3']);
  });

  it('numbers orders, invoices and customers per instance', async () => {
    await post(orderXml({ ordernr: 'X1' }));
    await post(orderXml({ ordernr: 'X2', person: { personnumber: '121212-1212' } }));
    const res = await post(orderXml({ ordernr: 'Y1', person: { personnumber: '121212-1212' } }), { instance: 'other', apiKey: OTHER_API_KEY });
    const { order, invoice } = confirmation(res.body);
    assert.equal(order.number, '1');
    assert.equal(invoice.number, '1');
    assert.equal((order.orderedby as XmlNode).number, '10001');
  });

  it('does not de-duplicate by ordernr: every accepted request is a new BRP order', async () => {
    await post(orderXml({ ordernr: 'DUP-1' }));
    await post(orderXml({ ordernr: 'DUP-1' }));
    const orders = sim.orders({ ordernr: 'DUP-1' });
    assert.deepEqual(
      orders.map((o) => [o.brpOrderNumber, o.invoiceNumber, o.ocr]),
      [
        [1, 1, '133'],
        [2, 2, '232'],
      ],
    );
  });

  it('uses Stockholm local time for created, invoice date and due date (+30 days)', async () => {
    const winter = await startTestSimulator({ now: () => new Date('2026-12-31T23:30:00Z') });
    try {
      const res = await postOrder(winter, orderXml(), { dispatcher: agent });
      const { order, invoice } = confirmation(res.body);
      assert.equal(order.created, '2027-01-01 00:30');
      assert.equal(invoice.invoicedate, '2027-01-01');
      assert.equal(invoice.duedate, '2027-01-31');
    } finally {
      await winter.close();
    }
  });

  it('accepts a minimal document (no optional person fields) and leaves the address empty', async () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><order><origin>sop</origin><version>1</version><ordernr>S-1</ordernr>' +
      '<businessunit><id>2</id></businessunit><organization><number>556677-8899</number><name>Org AB</name></organization>' +
      '<person><firstname>Ann</firstname><lastname>Berg</lastname><personnumber>121212-1212</personnumber></person>' +
      '<orderitem><productnumber>1001</productnumber><startday>2026-04-01</startday><priceincvat>59900</priceincvat></orderitem></order>';
    const res = await post(xml, { portal: 'sop' });
    assert.equal(res.status, 200);
    const { order, invoice } = confirmation(res.body);
    const by = order.orderedby as XmlNode;
    assert.deepEqual([by.street, by.postal, by.city, by.country], ['', '', '', '']);
    assert.equal((order.businessunit as XmlNode).name, 'Göteborg City');
    assert.equal(invoice.mark, 'Avser beställning S-1 hos Sop');
    assert.deepEqual(order.vatsums, { vatsum: [{ rate: '6', amount: '3391' }] });
  });

  it('keeps a record of the order without personal data', async () => {
    await post(orderXml({ ordernr: 'REC-1' }));
    assert.deepEqual(sim.orders(), [
      {
        instance: 'odenplan',
        origin: 'benify',
        ordernr: 'REC-1',
        brpOrderNumber: 1,
        invoiceNumber: 1,
        ocr: '133',
        sum: 251000,
        sumExVat: 236649,
        vatSums: [{ rate: 25, amount: 200 }, { rate: 6, amount: 14151 }],
        invoiceDate: '2026-03-30',
        dueDate: '2026-04-29',
        businessUnit: '1',
        createdAt: '2026-03-30T08:05:00.000Z',
        receivedAt: '2026-03-30T08:05:00.000Z',
        delivery: 'ok',
      },
    ]);
  });
});

describe('an order record kept by the caller (keepOrders: false)', () => {
  it('each order goes to onOrder, with its arrival and creation times, and none stays in memory', async () => {
    const seen: Array<{ ordernr: string; receivedAt: string; createdAt: string }> = [];
    const own = await startTestSimulator({ keepOrders: false, onOrder: async (o) => { seen.push({ ordernr: o.ordernr, receivedAt: o.receivedAt, createdAt: o.createdAt }); } });
    try {
      const res = await postOrder(own, orderXml({ ordernr: 'KEEP-1' }), { dispatcher: agent });
      assert.equal(res.status, 200);
      assert.deepEqual(seen, [{ ordernr: 'KEEP-1', receivedAt: '2026-03-30T08:05:00.000Z', createdAt: '2026-03-30T08:05:00.000Z' }]);
      assert.deepEqual(own.orders(), []);
      assert.equal(own.stats().ordersCreated, 1);
    } finally {
      await own.close();
    }
  });
});

describe('refused partner orders', () => {
  it('unknown instance → 404 (1004); unknown web service → 404 (1005)', async () => {
    await expectError(orderXml(), { instance: 'nosuch' }, 404, '1004', 'Unknown BRP instance');
    await expectError(orderXml(), { portal: 'foo' }, 404, '1005', 'Unknown web service');
  });

  it('missing, wrong or another instance\'s api key → 401 (1010 Invalid api key)', async () => {
    assert.equal(await expectError(orderXml(), { apiKey: null }, 401, '1010', 'Invalid api key'), '');
    await expectError(orderXml(), { apiKey: 'wrong' }, 401, '1010', 'Invalid api key');
    await expectError(orderXml(), { apiKey: OTHER_API_KEY }, 401, '1010', 'Invalid api key');
    await expectError(orderXml(), { apiKey: `${API_KEY}x` }, 401, '1010', 'Invalid api key');
  });

  it('answers an error with exactly <errors><error><message/><code/><debuginfo/></error></errors>', async () => {
    const res = await post(orderXml(), { apiKey: 'wrong' });
    assert.equal(
      res.body,
      '<?xml version="1.0" encoding="UTF-8"?><errors><error><message>Invalid api key</message><code>1010</code><debuginfo></debuginfo></error></errors>',
    );
  });

  it('a Content-Type other than application/xml → 415 (1006)', async () => {
    const msg = 'Unsupported media type, use Content-Type: application/xml; charset=utf-8';
    assert.equal(await expectError(orderXml(), { contentType: 'text/plain' }, 415, '1006', msg), 'Content-Type: text/plain');
    await expectError(orderXml(), { contentType: 'application/json' }, 415, '1006', msg);
    await expectError(orderXml(), { contentType: 'text/xml' }, 415, '1006', msg);
    await expectError(orderXml(), { contentType: null }, 415, '1006', msg);
    const ok = await post(orderXml(), { contentType: 'Application/XML' });
    assert.equal(ok.status, 200);
  });

  it('origin not matching the endpoint → 400 (1007)', async () => {
    const info = await expectError(orderXml({ origin: 'wellnet' }), { portal: 'benify' }, 400, '1007', 'Origin does not match the partner of the web service called');
    assert.equal(info, "origin 'wellnet' sent to createbenifyorder");
  });

  it('unknown business unit → 400 (1020)', async () => {
    const info = await expectError(orderXml({ businessunit: 99 }), {}, 400, '1020', 'Unknown business unit');
    assert.equal(info, 'No business unit found with id: 99');
  });

  it('unknown product, or one not sold at the business unit → 400 (1030)', async () => {
    const items = [
      { productnumber: '64575F', priceincvat: 100 },
      { productnumber: 'NOPE', priceincvat: 100 },
    ];
    const info = await expectError(orderXml({ items }), {}, 400, '1030', 'Unknown product');
    assert.equal(info, "orderitem[2]: no product with number 'NOPE' at business unit 1");
    const elsewhere = await expectError(
      orderXml({ businessunit: 2, items: [{ productnumber: '1003', priceincvat: 100 }] }),
      {},
      400,
      '1030',
      'Unknown product',
    );
    assert.equal(elsewhere, "orderitem[1]: no product with number '1003' at business unit 2");
    assert.equal((await post(orderXml({ businessunit: 1, items: [{ productnumber: '1003', priceincvat: 100 }] }))).status, 200);
  });

  it('renew without the instance setting → 400 (1031); renew on a non-subscription → 400 (1032)', async () => {
    await expectError(orderXml({ items: [{ productnumber: '1001', priceincvat: 100, renew: true }] }), {}, 400, '1031', 'Renew is not allowed in partner orders');
    const other = { instance: 'other', apiKey: OTHER_API_KEY };
    await expectError(orderXml({ items: [{ productnumber: '2001', priceincvat: 100, renew: true }] }), other, 400, '1032', 'Renew is only allowed on subscriptions');
    assert.equal((await post(orderXml({ items: [{ productnumber: '1001', priceincvat: 100, renew: true }] }), other)).status, 200);
    assert.equal((await post(orderXml({ items: [{ productnumber: '1001', priceincvat: 100, renew: false }] }))).status, 200);
  });

  it('an XSD-invalid body → 400 (1001) with the XSD message in debuginfo', async () => {
    const info = await expectError(
      orderXml({ items: [{ productnumber: '64575F', priceincvat: -5 }] }),
      {},
      400,
      '1001',
      'The request does not validate against createpartnerorder.xsd',
    );
    // The value itself may be redacted by XsdValidator ('***'): it can be personal data.
    assert.match(info, /^line \d+: Element 'priceincvat': '(-5|\*\*\*)' is not a valid value of the atomic type 'ore'\.$/);
    const noItems = await expectError(orderXml({ items: [] }), {}, 400, '1001', 'The request does not validate against createpartnerorder.xsd');
    assert.match(noItems, /Missing child element\(s\)\. Expected is \( orderitem \)/);
    const badOrigin = await expectError(orderXml({ origin: 'foo' }), {}, 400, '1001', 'The request does not validate against createpartnerorder.xsd');
    assert.match(badOrigin, /Element 'origin'/);
  });

  it('a body that is not well-formed → 400 (1002)', async () => {
    await expectError('<order><origin>benify</origin>', {}, 400, '1002', 'The request is not well-formed XML');
    assert.equal(await expectError('', {}, 400, '1002', 'The request is not well-formed XML'), 'empty body');
  });

  it('a DOCTYPE/entity body → 400 (1003) and libxmljs2 never sees it', async () => {
    const original = libxml.parseXml;
    const seen: string[] = [];
    (libxml as { parseXml: typeof libxml.parseXml }).parseXml = ((text: string, opts?: libxml.ParserOptions) => {
      seen.push(text);
      return original(text, opts);
    }) as typeof libxml.parseXml;
    try {
      const xxe = orderXml().replace('<order>', '<!DOCTYPE order [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<order>').replace('Tessan', '&xxe;');
      await expectError(xxe, {}, 400, '1003', 'XML with a DOCTYPE or entity declaration is not accepted');
      const lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><order>&lol2;</order>';
      await expectError(lol, {}, 400, '1003', 'XML with a DOCTYPE or entity declaration is not accepted');
      assert.equal(seen.length, 0, 'libxmljs2 parsed nothing');
      assert.equal((await post(orderXml())).status, 200);
      assert.equal(seen.length, 1, 'the spy does see a valid request');
    } finally {
      (libxml as { parseXml: typeof libxml.parseXml }).parseXml = original;
    }
  });

  it('counts every request by outcome', async () => {
    await post(orderXml());
    await post(orderXml(), { apiKey: 'wrong' });
    await post(orderXml({ businessunit: 42 }));
    await post(orderXml(), { instance: 'nosuch' });
    assert.deepEqual(sim.stats(), { requests: 4, ordersCreated: 1, byOutcome: { ok: 1, 'error-1010': 1, 'error-1020': 1, 'error-1004': 1 } });
  });
});
