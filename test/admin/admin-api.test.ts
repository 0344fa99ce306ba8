import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startIngestServer, type IngestServer } from '../../src/ingest/http/ingest-server.js';
import { startPipeline, startStores, type Pipeline, type Stores } from '../helpers/pipeline.js';
import { sampleOrderInput } from '../helpers/orders.js';
import { adminTokenConfig, api, BOB_TOKEN, enc } from '../helpers/admin.js';
import { PUSH_PORTALS } from '../ingest-push/helpers.js';

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
    faults: { scriptByOrdernr: { 'API-DOUBT': ['timeout-after-commit'], 'API-DEAD': ['503', '503', '503'], 'API-REJ': ['ok'] }, hangMs: 2_000 },
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
