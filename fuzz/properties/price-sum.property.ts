import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { renderPortalPayload } from '../../src/admin/render-portal-payload.js';
import { parseOrderKey } from '../../src/domain/canonical-order.js';
import { startAllPortals } from '../../test/helpers/all-portals.js';
import { buildPayload, hostileCase } from '../arbitraries/hostile-payloads.js';
import { freshOrderIds } from '../case-ids.js';
import { CaseTally } from '../case-tally.js';
import { auditLogWanted, fuzzParameters } from '../fuzz-parameters.js';
import { brpItems, chargedOre, oracleOrders, type OracleOrder } from '../payload-oracle.js';
import { ingestPayload } from '../portal-ingest.js';

/**
 * Σ priceincvat sent = Σ the portal's prices in öre. For every order of the hostile corpus that
 * partnerd accepts, the BRP document adds up to what the portal charged: each line's price read
 * as öre by a second, independent reading of the payload (payload-oracle.ts), times its quantity
 * (a line of quantity n is n BRP items at the unit price), and has as many items as that. Checked
 * on the document `partnerd render` prints and on the one real intake stored for the worker to
 * send (the `xml` column: sent as is when its proof holds), and on the total the ledger keeps.
 */
test('every accepted order sends BRP exactly the portal’s prices in öre, quantities expanded', async (t) => {
  const rig = await startAllPortals({ auditLog: auditLogWanted() });
  const db = new pg.Pool({ connectionString: rig.p.services.config.database.url, max: 2 });
  t.after(async () => {
    await db.end();
    await rig.close();
  });
  const { config, documents } = rig.p.services;
  const tally = new CaseTally();

  const agree = (what: string, order: OracleOrder | undefined, xml: string) => {
    assert.ok(order, `${what}: the payload has no such order to an independent reading`);
    const charged = chargedOre(order);
    assert.ok(charged, `${what}: accepted, but a price or quantity the independent reading cannot make an amount of: ${JSON.stringify(order.lines, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    const sent = brpItems(xml);
    assert.equal(sent.items, charged.items, `${what}: ${sent.items} BRP items for ${charged.items} bought`);
    assert.equal(sent.ore, charged.ore, `${what}: Σ priceincvat ${sent.ore} öre, the portal charged ${charged.ore} öre`);
    return charged.ore;
  };

  await fc.assert(
    fc.asyncProperty(hostileCase(), async (c) => {
      tally.case();
      const ids = freshOrderIds(c);
      const bytes = buildPayload(c, ids);
      const oracle = new Map(oracleOrders(c.portal, bytes).map((o) => [o.id, o]));

      const rendered = renderPortalPayload(config, documents, c.portal, bytes);
      for (const r of rendered.orders) agree(`render ${r.key}`, oracle.get(parseOrderKey(r.key)!.ordernr), r.xml);

      await ingestPayload(rig, c.portal, bytes);
      let queued = 0;
      for (const id of ids) {
        const key = await rig.p.services.ledger.keyForPortalOrder(c.portal, id);
        if (key === undefined || key.startsWith('~:')) continue;
        const row = (await db.query<{ xml: string | null; state: string; order_total_ore: string | null }>('SELECT xml, state, order_total_ore FROM orders WHERE key = $1', [key])).rows[0];
        if (!row || row.xml === null) continue; // rejected by partnerd (pull portals): never sent
        queued++;
        const charged = agree(`intake ${key}`, oracle.get(id), row.xml);
        assert.equal(BigInt(row.order_total_ore ?? -1), charged, `intake ${key}: the ledger's total ${row.order_total_ore} öre, the portal charged ${charged} öre`);
      }
      if (rendered.orders.length > 0) tally.add('accepted');
      if (rendered.orders.some((r) => brpItems(r.xml).items > oracle.get(parseOrderKey(r.key)!.ordernr)!.lines.length)) tally.add('quantity expanded');
      tally.add('orders queued', queued);
    }),
    fuzzParameters(),
  );
  t.diagnostic(tally.toString());
  tally.atLeast('accepted', 0.15);
  tally.atLeast('quantity expanded', 0.01);
});
