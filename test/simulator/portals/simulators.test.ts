import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeWellnetCursor, startEpassiSimulator, startWellnetSimulator } from '../../../src/simulator/portals/index.js';
import { EPASSI_CLIENT_ID, EPASSI_SECRET, WELLNET_TOKEN, epassiPurchase, wellnetOrder } from '../../ingest/pull/fixtures.js';

/** The portal simulators against their contracts, over real HTTP (no daemon). */

const auth = { authorization: `Bearer ${WELLNET_TOKEN}` };

describe('Wellnet simulator', () => {
  test('opaque cursor pages by sequence, hasMore, limit capped by pageSizeMax; polls counted', async (t) => {
    const sim = await startWellnetSimulator({ token: WELLNET_TOKEN, pageSizeMax: 2, orders: [wellnetOrder('A', 30), wellnetOrder('B', 10), wellnetOrder('C', 20)] });
    t.after(() => sim.close());
    const r1 = await fetch(`${sim.baseUrl}/api/v1/orders?limit=100`, { headers: auth });
    assert.equal(r1.status, 200);
    const p1 = (await r1.json()) as { orders: Array<{ id: string }>; nextCursor: string; hasMore: boolean };
    assert.deepEqual(p1.orders.map((o) => o.id), ['B', 'C']);
    assert.equal(p1.hasMore, true);
    assert.equal(p1.nextCursor, encodeWellnetCursor(20));
    assert.notEqual(p1.nextCursor, '20', 'the cursor is opaque');
    const p2 = (await (await fetch(`${sim.baseUrl}/api/v1/orders?after=${p1.nextCursor}&limit=2`, { headers: auth })).json()) as typeof p1;
    assert.deepEqual(p2.orders.map((o) => o.id), ['A']);
    assert.equal(p2.hasMore, false);
    const p3 = (await (await fetch(`${sim.baseUrl}/api/v1/orders?after=${p2.nextCursor}`, { headers: auth })).json()) as typeof p1;
    assert.deepEqual(p3, { orders: [], nextCursor: p2.nextCursor, hasMore: false });
    assert.equal((await fetch(`${sim.baseUrl}/api/v1/orders?after=garbage`, { headers: auth })).status, 400);
    assert.equal((await fetch(`${sim.baseUrl}/api/v1/orders`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${sim.baseUrl}/api/v1/orders`)).status, 401);
    assert.equal(sim.polls(), 6);
    assert.deepEqual(sim.pollLog().map((p) => p.status), [200, 200, 200, 400, 401, 401]);
  });

  test('delivery: recorded once, 409 when already acknowledged, 404 unknown, 400 malformed, 401 wrong token', async (t) => {
    const sim = await startWellnetSimulator({ token: WELLNET_TOKEN, orders: [wellnetOrder('WN-1', 1)] });
    t.after(() => sim.close());
    const post = (id: string, body: unknown, headers: Record<string, string> = auth) =>
      fetch(`${sim.baseUrl}/api/v1/orders/${id}/delivery`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = { status: 'delivered', supplierOrderNumber: '137', invoiceNumber: '14', ocr: '1446' };
    assert.equal((await post('WN-1', ok, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await post('WN-1', { status: 'delivered' })).status, 400);
    assert.equal((await post('WN-9', ok)).status, 404);
    assert.equal((await post('WN-1', ok)).status, 200);
    assert.equal((await post('WN-1', { status: 'rejected', reason: 'x' })).status, 409);
    assert.deepEqual(sim.deliveries().map((d) => [d.id, d.body]), [['WN-1', ok]]);
    assert.equal(sim.stats().conflicts, 1);
    assert.equal(sim.stats().deliveryRequests, 5);
  });

  test('faults: next N answers 401/429/500/503, reset, and down refuses connections', async (t) => {
    const sim = await startWellnetSimulator({ token: WELLNET_TOKEN, faults: { retryAfterSeconds: 7 } });
    t.after(() => sim.close());
    sim.failNext(1, '429', 'poll');
    sim.failNext(1, '500');
    sim.failNext(1, '503');
    sim.failNext(1, '401');
    const url = `${sim.baseUrl}/api/v1/orders`;
    const r429 = await fetch(url, { headers: auth });
    assert.equal(r429.status, 429);
    assert.equal(r429.headers.get('retry-after'), '7');
    assert.equal((await fetch(url, { headers: auth })).status, 500);
    assert.equal((await fetch(url, { headers: auth })).status, 503);
    assert.equal((await fetch(url, { headers: auth })).status, 401);
    assert.equal((await fetch(url, { headers: auth })).status, 200);
    sim.failNext(1, 'reset');
    await assert.rejects(fetch(url, { headers: auth }));
    sim.setDown(true);
    await assert.rejects(fetch(url, { headers: auth }));
    assert.ok(sim.stats().refusedConnections >= 1);
    sim.setDown(false);
    assert.equal((await fetch(url, { headers: auth })).status, 200);
  });
});

describe('Epassi simulator', () => {
  const form = (o: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });
  const creds = { grant_type: 'client_credentials', client_id: EPASSI_CLIENT_ID, client_secret: EPASSI_SECRET, scope: 'purchases' };

  test('client credentials → expiring token; wrong client 401; expired token 401', async (t) => {
    const sim = await startEpassiSimulator({ clientId: EPASSI_CLIENT_ID, clientSecret: EPASSI_SECRET, tokenTtlSeconds: 1, purchases: [epassiPurchase('EP-1')] });
    t.after(() => sim.close());
    assert.equal((await fetch(`${sim.baseUrl}/oauth/token`, form({ ...creds, client_secret: 'wrong' }))).status, 401);
    assert.equal((await fetch(`${sim.baseUrl}/oauth/token`, form({ ...creds, grant_type: 'password' }))).status, 400);
    const tok = (await (await fetch(`${sim.baseUrl}/oauth/token`, form(creds))).json()) as { access_token: string; token_type: string; expires_in: number };
    assert.equal(tok.token_type, 'Bearer');
    assert.equal(tok.expires_in, 1);
    const list = () => fetch(`${sim.baseUrl}/v2/purchases?status=PAID&page=1&pageSize=50`, { headers: { authorization: `Bearer ${tok.access_token}` } });
    assert.equal((await list()).status, 200);
    await new Promise((r) => setTimeout(r, 1_050));
    assert.equal((await list()).status, 401, 'expired');
    assert.equal(sim.tokenRequests(), 3);
    assert.equal(sim.stats().tokensIssued, 1);
  });

  test('pages up to totalPages; purchases stay listed until PATCHed; 409 when already marked', async (t) => {
    const sim = await startEpassiSimulator({ clientId: EPASSI_CLIENT_ID, clientSecret: EPASSI_SECRET, purchases: ['E1', 'E2', 'E3'].map((id) => epassiPurchase(id)) });
    t.after(() => sim.close());
    const { access_token: token } = (await (await fetch(`${sim.baseUrl}/oauth/token`, form(creds))).json()) as { access_token: string };
    const h = { authorization: `Bearer ${token}` };
    const page = async (n: number) => (await (await fetch(`${sim.baseUrl}/v2/purchases?status=PAID&page=${n}&pageSize=2`, { headers: h })).json()) as { page: number; totalPages: number; items: Array<{ purchaseId: string }> };
    const p1 = await page(1);
    assert.equal(p1.totalPages, 2);
    assert.deepEqual(p1.items.map((i) => i.purchaseId), ['E1', 'E2']);
    assert.deepEqual((await page(2)).items.map((i) => i.purchaseId), ['E3']);
    const patch = (id: string, body: unknown) => fetch(`${sim.baseUrl}/v2/purchases/${id}`, { method: 'PATCH', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const delivered = { status: 'DELIVERED', merchantReference: '137', invoiceNumber: '14', ocr: '1446' };
    assert.equal((await patch('E2', delivered)).status, 200);
    assert.equal((await patch('E2', delivered)).status, 409);
    assert.equal((await patch('E9', delivered)).status, 404);
    assert.equal((await patch('E1', { status: 'REJECTED' })).status, 400);
    const after = await page(1);
    assert.equal(after.totalPages, 1);
    assert.deepEqual(after.items.map((i) => i.purchaseId), ['E1', 'E3']);
    assert.equal(sim.statusOf('E2'), 'DELIVERED');
    assert.deepEqual(sim.marks().map((m) => [m.purchaseId, m.body]), [['E2', delivered]]);
    assert.equal(sim.stats().conflicts, 1);
  });
});
