import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { actiwayOrder, brpOrder, postActiway, productNumbers, startPushRig, textOf, type PushRig } from './helpers.js';

/** Actiway end to end: XML over HTTP Basic into the ingest server, through the daemon to BRP. */
describe('Actiway push', () => {
  let rig: PushRig;
  before(async () => {
    rig = await startPushRig();
  });
  after(async () => rig?.close());

  test('the contract example → 202 receipt, confirmed, quantity 2 → two BRP items', async () => {
    const r = await postActiway(rig, actiwayOrder());
    assert.equal(r.status, 202);
    assert.equal(r.headers['content-type'], 'application/xml; charset=utf-8');
    assert.equal(r.text, '<ActiwayReceipt status="accepted" orderId="AW-778812"/>');

    const rec = await rig.pipeline.waitForState('t1:actiway:AW-778812', 'confirmed');
    const order = brpOrder(rig, 'AW-778812');
    assert.equal(textOf(order.origin), 'actiway');
    assert.deepEqual(productNumbers(order), ['1001', '1002', '1002']);
    assert.deepEqual(
      (order.orderitem as Array<Record<string, never>>).map((i) => textOf(i.priceincvat)),
      ['250000', '95050', '95050'],
    );
    const sim = rig.pipeline.sim.orders({ ordernr: 'AW-778812' });
    assert.equal(sim.length, 1);
    assert.equal(sim[0]!.sum, 440100);
    assert.equal(rec.brpOrderNumber, String(sim[0]!.brpOrderNumber));
  });

  test('redelivery → 200 duplicate receipt, and BRP has one order', async () => {
    assert.equal((await postActiway(rig, actiwayOrder('AW-DUP-1'))).status, 202);
    await rig.pipeline.waitForState('t1:actiway:AW-DUP-1', 'confirmed');
    const again = await postActiway(rig, actiwayOrder('AW-DUP-1'));
    assert.equal(again.status, 200);
    assert.equal(again.headers['content-type'], 'application/xml; charset=utf-8');
    assert.equal(again.text, '<ActiwayReceipt status="duplicate" orderId="AW-DUP-1"/>');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rig.pipeline.sim.orders({ ordernr: 'AW-DUP-1' }).length, 1);
  });

  test('every problem → 400 rejected receipt, each error at its Actiway path', async () => {
    const items = `    <Item articleNo="GYM-12M" startDate="2026-13-01" priceInclVat="2500,00" quantity="0"/>
    <Item startDate="2026-12-01" priceInclVat="10.00" renew="maybe"/>`;
    const r = await postActiway(rig, actiwayOrder('AW-BAD-1', { items }));
    assert.equal(r.status, 400);
    assert.equal(r.headers['content-type'], 'application/xml; charset=utf-8');
    assert.equal(
      r.text,
      '<ActiwayReceipt status="rejected">' +
        '<Error path="Items/Item[1]/@startDate">must be a real date written YYYY-MM-DD</Error>' +
        '<Error path="Items/Item[1]/@priceInclVat">must be a decimal amount of kronor such as 2500.00</Error>' +
        '<Error path="Items/Item[1]/@quantity">must be a positive integer</Error>' +
        '<Error path="Items/Item[2]/@articleNo">is required</Error>' +
        '<Error path="Items/Item[2]/@renew">must be true or false</Error>' +
        '</ActiwayReceipt>',
    );
    assert.equal(await rig.pipeline.services.ledger.keyForPortalOrder('actiway', 'AW-BAD-1'), undefined);
  });

  test('an invalid personnummer check digit → 400 at Customer/PersonalNumber', async () => {
    const r = await postActiway(rig, actiwayOrder('AW-BAD-2', { personalNumber: '191111111117' }));
    assert.equal(r.status, 400);
    assert.equal(
      r.text,
      '<ActiwayReceipt status="rejected"><Error path="Customer/PersonalNumber">personnummer check digit does not match</Error></ActiwayReceipt>',
    );
  });

  test('a document that is not well-formed, or in the wrong namespace → 400 at /', async () => {
    const broken = await postActiway(rig, '<ActiwayOrder xmlns="urn:actiway:order:1" id="AW-B"><Company>');
    assert.equal(broken.status, 400);
    assert.match(broken.text, /^<ActiwayReceipt status="rejected"><Error path="\/">is not well-formed XML( \(line \d+\))?<\/Error><\/ActiwayReceipt>$/);
    const wrongNs = await postActiway(rig, actiwayOrder('AW-B2').replace('urn:actiway:order:1', 'urn:other'));
    assert.equal(wrongNs.status, 400);
    assert.equal(
      wrongNs.text,
      '<ActiwayReceipt status="rejected"><Error path="/">the root element ActiwayOrder must be in namespace urn:actiway:order:1</Error></ActiwayReceipt>',
    );
  });

  test('unroutable venue → 202 accepted, kept as unroutable with the reason', async () => {
    const r = await postActiway(rig, actiwayOrder('AW-NOWHERE', { venue: 'kiruna' }));
    assert.equal(r.status, 202);
    assert.equal(r.text, '<ActiwayReceipt status="accepted" orderId="AW-NOWHERE"/>');
    const rec = await rig.pipeline.services.ledger.get('~:actiway:AW-NOWHERE');
    assert.equal(rec?.state, 'unroutable');
    assert.equal(rec?.unroutableReason, 'unknown venue at Venue/@ref (not in portals.actiway.venues)');
    assert.equal(rig.brp.bodies('AW-NOWHERE').length, 0);
  });

  test('& < > " \' and Swedish letters (escaped in the XML) reach BRP unchanged; an order id with & is echoed escaped', async () => {
    const r = await postActiway(rig, actiwayOrder('AW-&amp;-Å', {
      firstName: 'Åsa &amp; &lt;Örjan&gt; "Q" \'x\'',
      lastName: 'Ärlig &amp;amp; Söner',
      company: 'Ängö &amp; "Co" &lt;Å&gt;',
      comment: 'Ring på &lt;dörren&gt; &amp; "vänta"',
    }));
    assert.equal(r.status, 202);
    assert.equal(r.text, '<ActiwayReceipt status="accepted" orderId="AW-&amp;-Å"/>');
    await rig.pipeline.waitForState('t1:actiway:AW-&-Å', 'confirmed');
    const order = brpOrder(rig, 'AW-&-Å');
    const person = order.person as Record<string, never>;
    assert.equal(textOf(person.firstname), `Åsa & <Örjan> "Q" 'x'`);
    assert.equal(textOf(person.lastname), 'Ärlig &amp; Söner', 'an entity-like text stays text');
    assert.equal(textOf((order.organization as Record<string, never>).name), 'Ängö & "Co" <Å>');
  });
});
