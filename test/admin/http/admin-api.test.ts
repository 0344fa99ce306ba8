import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startIngestServer, type IngestServer } from '../../../src/ingest/http/ingest-server.js';
import { BREAKER_OFF, startPipeline, startStores, type Pipeline, type Stores } from '../../../support/pipeline.js';
import { sampleOrderInput } from '../../../support/orders.js';
import { adminTokenConfig, api, BOB_TOKEN, enc } from '../../helpers/admin.js';
import { benifyOrder, postBenify, PUSH_PORTALS, type PushRig } from '../../ingest/http/helpers.js';

/**
 * The admin API on the admin listener: named bearer tokens (401 without detail, failures
 * limited), never on the push port, and every verb through AdminService with its audit trail.
 */
let stores: Stores;
let p: Pipeline;
let base: string;
let ingest: IngestServer;

before(async () => {
  stores = await startStores();
  p = await startPipeline({
    stores,
    tenant: BREAKER_OFF,
    faults: {
      scriptByOrdernr: {
        'API-DOUBT': ['timeout-after-commit'], 'API-D1': ['503', '503', '503'], 'API-D2': ['503', '503', '503'], 'API-D3': ['503', '503', '503'],
        'API-REVIEW': ['malformed-2xx'],
      },
      hangMs: 2_000,
    },
    extra: { admin: adminTokenConfig({ authFailures: { maxFailures: 5, windowSeconds: 60, blockSeconds: 2 } }), portals: PUSH_PORTALS },
  });
  base = `${p.daemon.adminUrl}/api`;
  ingest = await startIngestServer(p.services, { host: '127.0.0.1', port: 0 });
});
after(async () => {
  await ingest.close();
  await p.close();
  await stores.stop();
});

async function accept(ordernr: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const r = await p.services.intake.accept(sampleOrderInput(ordernr, overrides));
  assert.equal(r.status, 'accepted', JSON.stringify(r));
  return (r as { key: string }).key;
}

describe('admin API: authentication', { concurrency: false }, () => {
  test('no token → 401 without detail; a wrong token → 401; the right one → 200', async () => {
    const none = await api(base, 'GET', '/orders', undefined, null);
    assert.equal(none.status, 401);
    assert.deepEqual(none.json, { error: 'unauthorized' });
    const wrong = await api(base, 'GET', '/orders', undefined, 'not-a-token-of-ours-0123456789');
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.json, { error: 'unauthorized' }, 'the same answer: nothing says what was wrong');
    const prefix = await api(base, 'GET', '/orders', undefined, BOB_TOKEN.slice(0, -1));
    assert.equal(prefix.status, 401, 'a token\'s prefix is not the token');
    const ok = await api(base, 'GET', '/orders');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { orders: [] });
  });

  test('the admin API and the console do not exist on the push-ingest port', async () => {
    for (const path of ['/api/orders', '/api/status', '/console', '/console/login', '/console/queues']) {
      const res = await request(`${ingest.url}${path}`, { headers: { authorization: `Bearer ${BOB_TOKEN}` } });
      await res.body.dump();
      assert.equal(res.statusCode, 404, `${path} on the ingest port`);
    }
    const onAdmin = await api(base, 'GET', '/status');
    assert.equal(onAdmin.status, 200, 'but on the admin listener it is there');
  });
});

describe('admin API: verbs and their audit trail', { concurrency: false }, () => {
  test('list and search: filters, free lookup by ordernr / OCR / BRP number / invoice, cursor pagination', async () => {
    const keys = [];
    for (let i = 1; i <= 5; i++) keys.push(await accept(`API-L${i}`));
    for (const k of keys) await p.waitForState(k, 'confirmed');
    const confirmed = await p.services.ledger.get(keys[2]!);
    for (const text of [confirmed!.ordernr, confirmed!.ocr!, confirmed!.brpOrderNumber!, confirmed!.invoiceNumber!]) {
      const found = await api(base, 'GET', `/orders?q=${enc(text)}`);
      assert.equal(found.status, 200);
      assert.deepEqual(found.json.orders.map((o: { key: string }) => o.key), [keys[2]], `lookup by ${text}`);
      assert.equal(found.json.orders[0].sum, '2 510,00 kr');
    }
    const page1 = await api(base, 'GET', '/orders?state=confirmed&tenant=t1&portal=benify&limit=2');
    assert.equal(page1.json.orders.length, 2);
    assert.ok(page1.json.nextCursor);
    const page2 = await api(base, 'GET', `/orders?state=confirmed&limit=2&cursor=${page1.json.nextCursor}`);
    const page3 = await api(base, 'GET', `/orders?state=confirmed&limit=2&cursor=${page2.json.nextCursor}`);
    assert.equal(page3.json.nextCursor, undefined);
    const all = [...page1.json.orders, ...page2.json.orders, ...page3.json.orders].map((o: { key: string }) => o.key);
    assert.deepEqual([...all].sort(), [...keys].sort(), 'every order once, across pages');
    const bad = await api(base, 'GET', '/orders?state=failed');
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /unknown state "failed" \(valid: queued, submitting, retrying, confirmed, rejected, in_doubt, dead, unroutable, rerouted, review\)/);
    const typo = await api(base, 'GET', '/orders?tenant=sandbx');
    assert.equal(typo.status, 400);
    assert.match(typo.json.message, /no tenant with that name is configured: sandbx/);
  });

  test('requeue an in-doubt order: refused without notInBrp and a reason; done with both, recorded with the token\'s name', async () => {
    const key = await accept('API-DOUBT');
    await p.waitForState(key, 'in_doubt', 15_000);
    const bare = await api(base, 'POST', `/orders/${enc(key)}/requeue`, {});
    assert.equal(bare.status, 400);
    assert.match(bare.json.message, /checking BRP/);
    const noReason = await api(base, 'POST', `/orders/${enc(key)}/requeue`, { notInBrp: true });
    assert.equal(noReason.status, 400);
    assert.match(noReason.json.message, /needs a reason/);
    const ok = await api(base, 'POST', `/orders/${enc(key)}/requeue`, { notInBrp: true, reason: 'checked BRP ticket 42: not there' }, BOB_TOKEN);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { key, fromState: 'in_doubt' });
    const history = (await p.services.ledger.history(key)).filter((e) => e.kind === 'action');
    const last = history[history.length - 1]!;
    assert.equal(last.kind, 'action');
    if (last.kind === 'action') {
      assert.equal(last.actor, 'bob');
      assert.equal(last.action, 'requeue');
      assert.equal(last.fromState, 'in_doubt');
      assert.equal(last.toState, 'queued');
      assert.equal(last.reason, 'checked BRP ticket 42: not there');
    }
    const line = p.lines.find((l) => l.event === 'admin.requeue' && l.ordernr === 'API-DOUBT');
    assert.ok(line, 'admin.requeue is logged in the daemon\'s stream');
    assert.equal(line.actor, 'bob');
    assert.equal(line.via, 'api');
  });

  test('resolve: an in-doubt order becomes confirmed with BRP\'s numbers; a reason is required; a confirmed order cannot be requeued', async () => {
    const key = await accept('API-DOUBT2', {});
    // Held in doubt by hand: the worker is not involved.
    await p.services.ledger.beginAttempt(key).catch(() => undefined);
    await p.waitForState(key, ['in_doubt', 'confirmed'], 15_000);
    const rec = await p.services.ledger.get(key);
    if (rec!.state !== 'in_doubt') return assert.fail(`expected in_doubt, is ${rec!.state}`);
    const noReason = await api(base, 'POST', `/orders/${enc(key)}/resolve`, { brpOrderNumber: '777001' });
    assert.equal(noReason.status, 400);
    const ok = await api(base, 'POST', `/orders/${enc(key)}/resolve`, { brpOrderNumber: '777001', invoiceNumber: '888001', ocr: '12345678903', reason: 'found in BRP' });
    assert.equal(ok.status, 200, ok.text);
    const shown = await api(base, 'GET', `/orders/${enc(key)}`);
    assert.equal(shown.json.state, 'confirmed');
    assert.equal(shown.json.brpOrderNumber, '777001');
    const action = shown.json.history.filter((e: { kind: string }) => e.kind === 'action').pop();
    assert.deepEqual({ actor: action.actor, action: action.action, fromState: action.fromState, toState: action.toState, reason: action.reason },
      { actor: 'alice', action: 'resolve', fromState: 'in_doubt', toState: 'confirmed', reason: 'found in BRP' });
    const again = await api(base, 'POST', `/orders/${enc(key)}/requeue`, {});
    assert.equal(again.status, 409);
    assert.match(again.json.message, /is confirmed/);
  });
});

describe('admin API: bulk, amend, reroute, resume, review', { concurrency: false }, () => {
  test('bulk requeue: the dry run counts and lists without changing anything; the run re-queues each with its audit row', async () => {
    const keys = [await accept('API-D1'), await accept('API-D2'), await accept('API-D3')];
    for (const k of keys) await p.waitForState(k, 'dead', 15_000);
    const refused = await api(base, 'POST', '/requeue', { state: 'confirmed', dryRun: true });
    assert.equal(refused.status, 400);
    assert.match(refused.json.message, /confirmed orders cannot be re-queued/);
    const dry = await api(base, 'POST', '/requeue', { state: 'dead', tenant: 't1', dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.json.dryRun, true);
    assert.equal(dry.json.count, 3);
    assert.deepEqual([...dry.json.firstKeys].sort(), [...keys].sort());
    for (const k of keys) assert.equal((await p.services.ledger.get(k))?.state, 'dead', 'a dry run changes nothing');
    const run = await api(base, 'POST', '/requeue', { state: 'dead', tenant: 't1', reason: 'BRP back after the outage' });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.json.requeued, 3);
    for (const k of keys) {
      await p.waitForState(k, 'confirmed', 15_000);
      const action = (await p.services.ledger.history(k)).filter((e) => e.kind === 'action').pop();
      assert.ok(action && action.kind === 'action');
      assert.deepEqual({ actor: action.actor, action: action.action, fromState: action.fromState, toState: action.toState, reason: action.reason },
        { actor: 'alice', action: 'requeue', fromState: 'dead', toState: 'queued', reason: 'BRP back after the outage' });
    }
    const lines = p.lines.filter((l) => l.event === 'admin.bulk_requeue');
    assert.deepEqual(lines.map((l) => [l.dryRun, l.count]), [[true, 3], [false, 3]]);
  });

  test('amend: a rejected order gets a corrected item (validated like intake), is queued and confirmed; the audit names the field, never the value', async () => {
    const key = await accept('API-AMEND', { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 10000 }] });
    await p.waitForState(key, 'rejected');
    const keyChange = await api(base, 'POST', `/orders/${enc(key)}/amend`, { patch: { ordernr: 'OTHER' }, reason: 'typo' });
    assert.equal(keyChange.status, 400);
    assert.deepEqual(keyChange.json.errors, [{ path: 'ordernr', message: 'must stay API-AMEND (the order\'s key)' }]);
    const invalid = await api(base, 'POST', `/orders/${enc(key)}/amend`, { patch: { items: [{ productNumber: '1001', startDay: '2026-02-30', priceIncVatOre: 10000 }] }, reason: 'x' });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.errors[0].path, 'items[0].startDay');
    const noReason = await api(base, 'POST', `/orders/${enc(key)}/amend`, { patch: { items: [{ productNumber: '1001', startDay: '2026-12-01', priceIncVatOre: 10000 }] } });
    assert.equal(noReason.status, 400);
    const ok = await api(base, 'POST', `/orders/${enc(key)}/amend`, {
      patch: { items: [{ productNumber: '1001', startDay: '2026-12-01', priceIncVatOre: 10000 }], person: { email: 'ny.adress@example.se' } }, reason: 'wrong article code',
    });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json.changed, ['items[0].productNumber', 'person.email']);
    const rec = await p.waitForState(key, 'confirmed');
    assert.ok(rec.brpOrderNumber);
    const action = (await p.services.ledger.history(key)).filter((e) => e.kind === 'action').pop();
    assert.ok(action && action.kind === 'action');
    assert.equal(action.action, 'amend');
    assert.equal(action.fromState, 'rejected');
    assert.equal(action.reason, 'wrong article code');
    assert.match(action.detail ?? '', /changed: items\[0\]\.productNumber, person\.email/);
    assert.doesNotMatch(JSON.stringify(action), /ny\.adress|1001/, 'field names only, never values');
  });

  test('reroute: an unroutable portal order is mapped again after the config gained its venue; the ~ key records who did it', async () => {
    const rig = { server: ingest } as unknown as PushRig;
    const pushed = await postBenify(rig, benifyOrder('BNF-API-NOWHERE', (o) => { o.supplier.venueId = 'api-venue'; }));
    assert.equal(pushed.status, 202, pushed.text);
    const key = '~:benify:BNF-API-NOWHERE';
    const still = await api(base, 'POST', `/orders/${enc(key)}/reroute`, {});
    assert.equal(still.json.status, 'unroutable');
    // The operator adds the venue (a config change and a restart, here in place).
    p.services.config.portals.benify!.venues['api-venue'] = { tenant: 't1', businessUnit: '1' };
    const routed = await api(base, 'POST', `/orders/${enc(key)}/reroute`, { reason: 'venue added' });
    assert.equal(routed.status, 200, routed.text);
    assert.deepEqual(routed.json, { status: 'accepted', key: 't1:benify:BNF-API-NOWHERE' });
    await p.waitForState('t1:benify:BNF-API-NOWHERE', 'confirmed');
    const action = (await p.services.ledger.history(key)).filter((e) => e.kind === 'action').pop();
    assert.ok(action && action.kind === 'action');
    assert.deepEqual([action.actor, action.action, action.fromState, action.toState, action.reason], ['alice', 'reroute', 'unroutable', 'rerouted', 'venue added']);
  });

  test('resolve a confirmed order under review (an unreadable 2xx): it gets BRP\'s numbers and leaves the review list', async () => {
    const key = await accept('API-REVIEW');
    const rec = await p.waitForState(key, 'confirmed');
    assert.ok(rec.review);
    const review = await api(base, 'GET', '/orders?state=review');
    assert.deepEqual(review.json.orders.map((o: { key: string }) => o.key), [key]);
    assert.equal(review.json.orders[0].needsReview, true);
    const ok = await api(base, 'POST', `/orders/${enc(key)}/resolve`, { brpOrderNumber: '990001', invoiceNumber: '990002', ocr: '9900039', reason: 'read in BRP' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.fromState, 'confirmed');
    assert.equal((await p.services.ledger.get(key))?.brpOrderNumber, '990001');
    assert.deepEqual((await api(base, 'GET', '/orders?state=review')).json.orders, []);
    const twice = await api(base, 'POST', `/orders/${enc(key)}/resolve`, { brpOrderNumber: '990003', reason: 'again' });
    assert.equal(twice.status, 409, 'numbers once recorded are not overwritten');
  });

  test('resume a tenant and a portal: recorded with actor, before/after and reason; a push portal cannot be resumed', async () => {
    const t = await api(base, 'POST', '/tenants/t1/resume', { reason: 'key rotated' });
    assert.deepEqual(t.json, { tenant: 't1', wasPaused: false });
    const unknown = await api(base, 'POST', '/tenants/sandbx/resume', {});
    assert.equal(unknown.status, 400);
    const push = await api(base, 'POST', '/portals/benify/resume', {});
    assert.equal(push.status, 400);
    assert.match(push.json.message, /benify is not a pull portal/);
    const recent = await p.services.ledger.recentActions(50);
    const resumed = recent.find((a) => a.action === 'resume_tenant');
    assert.deepEqual(resumed && [resumed.actor, resumed.subject, resumed.fromState, resumed.toState, resumed.reason], ['alice', 'tenant:t1', 'running', 'running', 'key rotated']);
    const status = await api(base, 'GET', '/status');
    assert.equal(status.status, 200);
    assert.ok(status.json.orders.confirmed >= 1);
    assert.deepEqual(status.json.portals.map((x: { portal: string; transport: string }) => [x.portal, x.transport]), [['benify', 'push'], ['actiway', 'push']]);
  });

  test('guessing tokens: after maxFailures the client gets 429 with Retry-After (the right token too) and one admin.auth_failures alert', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await api(base, 'GET', '/orders', undefined, `wrong-${i}-0123456789abcdefghijkl`)).status, 401);
    const blocked = await api(base, 'GET', '/orders', undefined, `wrong-5-0123456789abcdefghijkl`);
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    assert.equal((await api(base, 'GET', '/orders')).status, 429, 'blocked: the right token too');
    const alerts = p.lines.filter((l) => l.event === 'admin.auth_failures');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.alert, true);
    assert.equal(alerts[0]!.realm, 'api');
    await new Promise((r) => setTimeout(r, 2_200));
    assert.equal((await api(base, 'GET', '/orders')).status, 200, 'the block ends');
  });
});
