import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminService } from '../../../src/admin/admin-service.js';
import { benifySignature } from '../../../src/ingest/http/benify-signature.js';
import { BENIFY_SECRET, brpOrder, benifyOrder, nowSeconds, getBenifyStatus, postBenify, productNumbers, startPushRig, textOf, type PushRig } from './helpers.js';

/**
 * Benify end to end: real HTTP into the ingest server, real Redis, the daemon and the BRP
 * simulator, so an accepted order really becomes a BRP order and reaches `confirmed`.
 */
describe('Benify push', () => {
  let rig: PushRig;
  before(async () => {
    rig = await startPushRig({ faults: { scriptByOrdernr: { 'BNF-DOUBT': ['timeout-after-commit'] }, hangMs: 2_000 } });
  });
  after(async () => rig?.close());

  test('the contract example → 202, confirmed in the ledger, the right BRP products', async () => {
    const r = await postBenify(rig, benifyOrder());
    assert.equal(r.status, 202);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(r.json(), { status: 'accepted', key: 't1:benify:BNF-2026-0001234' });

    const rec = await rig.pipeline.waitForState('t1:benify:BNF-2026-0001234', 'confirmed');
    const order = brpOrder(rig, 'BNF-2026-0001234');
    assert.equal(textOf(order.origin), 'benify');
    assert.deepEqual(productNumbers(order), ['1001', '2001']);
    assert.deepEqual(
      (order.orderitem as Array<Record<string, unknown>>).map((i) => textOf(i.priceincvat as string)),
      ['250000', '1000'],
    );
    const sim = rig.pipeline.sim.orders({ ordernr: 'BNF-2026-0001234' });
    assert.equal(sim.length, 1);
    assert.equal(sim[0]!.sum, 251000);
    assert.equal(rec.brpOrderNumber, String(sim[0]!.brpOrderNumber));
  });

  test('redelivery → 200 duplicate, and BRP has one order', async () => {
    const first = await postBenify(rig, benifyOrder('BNF-DUP-1'));
    assert.equal(first.status, 202);
    await rig.pipeline.waitForState('t1:benify:BNF-DUP-1', 'confirmed');
    for (let i = 0; i < 3; i++) {
      const again = await postBenify(rig, benifyOrder('BNF-DUP-1'));
      assert.equal(again.status, 200);
      assert.deepEqual(again.json(), { status: 'duplicate', key: 't1:benify:BNF-DUP-1' });
    }
    // Concurrent redeliveries while it is still fresh: one 202, the rest duplicates.
    const burst = await Promise.all(Array.from({ length: 5 }, () => postBenify(rig, benifyOrder('BNF-DUP-2'))));
    assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 200, 200, 202]);
    await rig.pipeline.waitForState('t1:benify:BNF-DUP-2', 'confirmed');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rig.pipeline.sim.orders({ ordernr: 'BNF-DUP-1' }).length, 1);
    assert.equal(rig.pipeline.sim.orders({ ordernr: 'BNF-DUP-2' }).length, 1);
  });

  test('status look-up: queued before confirmation, then the BRP numbers; unknown → 404; bad signature → 401', async () => {
    const queue = rig.pipeline.services.queues.get('t1');
    await queue.pause();
    try {
      assert.equal((await postBenify(rig, benifyOrder('BNF-STATUS-1'))).status, 202);
      const before = await getBenifyStatus(rig, 'BNF-STATUS-1');
      assert.equal(before.status, 200);
      assert.deepEqual(before.json(), { orderId: 'BNF-STATUS-1', state: 'queued' });
    } finally {
      await queue.resume();
    }
    const rec = await rig.pipeline.waitForState('t1:benify:BNF-STATUS-1', 'confirmed');
    const sim = rig.pipeline.sim.orders({ ordernr: 'BNF-STATUS-1' })[0]!;
    const afterwards = await getBenifyStatus(rig, 'BNF-STATUS-1');
    assert.equal(afterwards.status, 200);
    assert.deepEqual(afterwards.json(), {
      orderId: 'BNF-STATUS-1',
      state: 'confirmed',
      brpOrderNumber: String(sim.brpOrderNumber),
      invoiceNumber: String(sim.invoiceNumber),
      ocr: sim.ocr,
      total: 251000,
      dueDate: rec.dueDate,
    });
    assert.match(String(rec.dueDate), /^\d{4}-\d{2}-\d{2}$/);

    // An id with characters that are percent-encoded in the path: signed as sent, looked up decoded.
    assert.equal((await postBenify(rig, benifyOrder('BNF-Å&?#1'))).status, 202);
    const encoded = await getBenifyStatus(rig, 'BNF-Å&?#1');
    assert.equal(encoded.status, 200);
    assert.equal((encoded.json() as { orderId: string }).orderId, 'BNF-Å&?#1');

    const unknown = await getBenifyStatus(rig, 'BNF-NEVER-SEEN');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '{"status":"unknown"}');
    // Found by the fuzz suite (push-never-5xx): an id with U+0000 reached PostgreSQL, which cannot
    // take it, and the look-up answered 503. No order has such an id: unknown.
    const nul = await getBenifyStatus(rig, 'BNF-\u0000-1');
    assert.equal(nul.status, 404);
    assert.equal(nul.text, '{"status":"unknown"}');

    const forged = await getBenifyStatus(rig, 'BNF-STATUS-1', { secret: 'not-the-benify-secret-at-all' });
    assert.equal(forged.status, 401);
    assert.equal(forged.text, '{"status":"unauthorized"}');
    // A signature for another order's path does not open this one.
    const ts = nowSeconds();
    const otherPath = await getBenifyStatus(rig, 'BNF-STATUS-1', { timestamp: ts, signature: benifySignature(BENIFY_SECRET, ts, 'GET /portals/benify/orders/BNF-NEVER-SEEN') });
    assert.equal(otherPath.status, 401);
  });

  test('status look-up maps in_doubt to in-doubt and reports unroutable orders', async () => {
    assert.equal((await postBenify(rig, benifyOrder('BNF-DOUBT'))).status, 202);
    await rig.pipeline.waitForState('t1:benify:BNF-DOUBT', 'in_doubt');
    assert.deepEqual((await getBenifyStatus(rig, 'BNF-DOUBT')).json(), { orderId: 'BNF-DOUBT', state: 'in-doubt' });

    assert.equal((await postBenify(rig, benifyOrder('BNF-NOWHERE-1', (o) => { o.supplier.venueId = 'nowhere'; }))).status, 202);
    assert.deepEqual((await getBenifyStatus(rig, 'BNF-NOWHERE-1')).json(), { orderId: 'BNF-NOWHERE-1', state: 'unroutable' });
  });

  test('unroutable venue or article → 202 accepted, kept in the ledger as unroutable with the reason', async () => {
    const venue = await postBenify(rig, benifyOrder('BNF-NOWHERE-2', (o) => { o.supplier.venueId = 'nowhere'; }));
    assert.equal(venue.status, 202);
    assert.deepEqual(venue.json(), { status: 'accepted', key: '~:benify:BNF-NOWHERE-2' });
    const rec = await rig.pipeline.services.ledger.get('~:benify:BNF-NOWHERE-2');
    assert.equal(rec?.state, 'unroutable');
    assert.equal(rec?.unroutableReason, 'unknown venue at supplier.venueId (not in portals.benify.venues)');

    const article = await postBenify(rig, benifyOrder('BNF-NOWHERE-3', (o) => { o.lines[1].articleId = 'SAUNA'; }));
    assert.equal(article.status, 202);
    const rec2 = await rig.pipeline.services.ledger.get('~:benify:BNF-NOWHERE-3');
    assert.equal(rec2?.state, 'unroutable');
    assert.equal(rec2?.unroutableReason, 'unknown article at lines[1].articleId (not in the articles of tenant t1 or portals.benify.articles)');
    // The reason says where; `partnerd show` gives the operator the references to map.
    const shown = await new AdminService(rig.pipeline.services).show('~:benify:BNF-NOWHERE-3');
    assert.deepEqual(shown.routing, { venueRef: 'odenplan', articleCodes: ['GYM-12M', 'SAUNA'] });
    assert.equal(shown.unroutableReason, rec2?.unroutableReason);

    // Redelivered: a duplicate like any other, nothing reaches BRP.
    const again = await postBenify(rig, benifyOrder('BNF-NOWHERE-2', (o) => { o.supplier.venueId = 'nowhere'; }));
    assert.equal(again.status, 200);
    assert.deepEqual(again.json(), { status: 'duplicate', key: '~:benify:BNF-NOWHERE-2' });
    assert.equal(rig.brp.bodies('BNF-NOWHERE-2').length, 0);
  });

  test('payload problems → 400 with every problem at its Benify path', async () => {
    const r = await postBenify(rig, benifyOrder('BNF-BAD-1', (o) => {
      delete o.employer.name;
      o.placedAt = 'yesterday';
      o.lines[0].priceInclVat = { amount: '2500.001', currency: 'EUR' };
      o.lines[1].startDate = '2026-02-30';
    }));
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), {
      status: 'invalid',
      errors: [
        { path: 'placedAt', message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-19T23:30:00Z' },
        { path: 'employer.name', message: 'is required' },
        { path: 'lines[0].priceInclVat.amount', message: ERR_AMOUNT },
        { path: 'lines[0].priceInclVat.currency', message: 'must be SEK' },
        { path: 'lines[1].startDate', message: 'must be a real date written YYYY-MM-DD' },
      ],
    });
    assert.equal(await rig.pipeline.services.ledger.keyForPortalOrder('benify', 'BNF-BAD-1'), undefined, 'an invalid push order is not stored');
  });

  test('problems found by the shared validation come back in Benify’s paths', async () => {
    const r = await postBenify(rig, benifyOrder('BNF-BAD-2', (o) => {
      o.employee.personalIdentityNumber = '19111111-1117';
      o.employer.orgNumber = '556123-4568';
      o.employee.email = 'not-an-address';
    }));
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), {
      status: 'invalid',
      errors: [
        { path: 'employer.orgNumber', message: 'organisation number check digit does not match' },
        { path: 'employee.personalIdentityNumber', message: 'personnummer check digit does not match' },
        { path: 'employee.email', message: 'is not a valid e-mail address (one @, no spaces, a domain with a dot)' },
      ],
    });
  });

  test('a body that is not JSON → 400 at the root path, without quoting the body', async () => {
    const r = await postBenify(rig, '{"orderId":"BNF-X","employee":{"firstName":"Tessan"');
    assert.equal(r.status, 400);
    assert.equal(r.text, '{"status":"invalid","errors":[{"path":"","message":"the body is not valid JSON (line 1, column 52)"}]}');
    const notUtf8 = await postBenify(rig, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]));
    assert.equal(notUtf8.status, 400);
    assert.equal(notUtf8.text, '{"status":"invalid","errors":[{"path":"","message":"the body is not valid UTF-8 (line 1, byte 2)"}]}');
    // A byte-order mark before the JSON is dropped, as for every portal.
    const bom = await postBenify(rig, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(benifyOrder('BNF-BOM')))]));
    assert.equal(bom.status, 202);
    const notObject = await postBenify(rig, '[1,2]');
    assert.equal(notObject.status, 400);
    assert.deepEqual(notObject.json(), { status: 'invalid', errors: [{ path: '', message: 'must be a JSON object' }] });
  });

  test('& < > " \' and Swedish letters reach BRP unchanged', async () => {
    const firstName = `Åsa-Öjvind "Ä" <&> 'ö'`;
    const lastName = 'Ärlig & Söner <AB>';
    const r = await postBenify(rig, benifyOrder('BNF-CHARS', (o) => {
      o.employee.firstName = firstName;
      o.employee.lastName = lastName;
      o.employer.name = 'Ängö & "Co" <Å>';
      o.message = `Ring på <dörren> & "vänta" 'här'`;
    }));
    assert.equal(r.status, 202);
    await rig.pipeline.waitForState('t1:benify:BNF-CHARS', 'confirmed');
    const order = brpOrder(rig, 'BNF-CHARS');
    const person = order.person as Record<string, never>;
    assert.equal(textOf(person.firstname), firstName);
    assert.equal(textOf(person.lastname), lastName);
    assert.equal(textOf((order.organization as Record<string, never>).name), 'Ängö & "Co" <Å>');
    const raw = rig.brp.bodies('BNF-CHARS')[0]!;
    assert.ok(raw.includes('&lt;&amp;&gt;'), 'escaped in the XML text');
  });
});

const ERR_AMOUNT = 'amount has more than two decimals (öre is the smallest unit)';
