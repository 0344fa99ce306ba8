import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createDaemon } from '../../src/daemon/daemon.js';
import { createServices } from '../../src/daemon/services.js';
import { benifySignature } from '../../src/ingest/http/benify-signature.js';
import { createPullIngest } from '../../src/ingest/pull/pull-ingest.js';
import { markNotifyStopped } from '../../src/portal-clients/portal-state.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { SETTLED_STATES } from '../../src/ledger/order-state.js';
import { SettledCounts } from '../../src/ledger/settled-counts.js';
import { registerStateGauges } from '../../src/daemon/state-gauges.js';
import { Registry } from 'prom-client';
import { startWellnetSimulator } from '../../src/simulator/portals/index.js';
import { startPipeline, events } from '../../support/pipeline.js';
import { sampleOrder, sampleOrderInput, TEST_EMAIL } from '../../support/orders.js';
import { parseMetrics, REQUIRED_METRICS, scrape, valueOf, type Family } from '../helpers/metrics-text.js';
import { startPostgres } from '../../support/private-postgres.js';
import { createDatabase } from '../../src/ledger/database.js';
import { migrate } from '../../src/ledger/migrations.js';
import { testLogger } from '../../support/test-logs.js';
import { wellnetOrder, WELLNET_TOKEN } from '../ingest/pull/fixtures.js';

const SECRET = 'metrics-test-benify-secret';
const ROUTING = { venues: { odenplan: { tenant: 't1', businessUnit: 1 } }, articles: { 'GYM-12M': '1001' } };

/** Gauges read from shared state: every replica must report exactly the same samples. */
const SHARED = ['partnerd_orders', 'partnerd_queue_jobs', 'partnerd_tenant_paused', 'partnerd_portal_stopped', 'partnerd_portal_last_poll_success_timestamp_seconds', 'partnerd_notify_backlog'];

function samplesOf(families: Map<string, Family>, name: string): string[] {
  return (families.get(name)?.samples ?? []).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).sort();
}

test('the daemon\'s /metrics: every required metric with exactly its labels, shared gauges equal in two replicas, no personal data or order number in a label', { timeout: 90_000 }, async (t) => {
  const wellnet = await startWellnetSimulator({ token: WELLNET_TOKEN, orders: [wellnetOrder('WN-M-1', 1)] });
  t.after(() => wellnet.close());
  const p = await startPipeline({
    ingest: true,
    tenant: { authProbeIntervalMs: 600_000 }, // the pause below must last until the scrape
    extra: {
      portals: {
        benify: { ...ROUTING, secret: SECRET },
        wellnet: { ...ROUTING, baseUrl: wellnet.baseUrl, token: WELLNET_TOKEN, schedule: '0 0 1 1 *', timeoutMs: 1_500 },
      },
    },
  });
  // Stopped in this order: the replica, then the pipeline (which stops the private Redis).
  let replicaStop: (() => Promise<void>) | undefined;
  t.after(async () => { await replicaStop?.(); await p.close(); });
  assert.ok(p.daemon.adminUrl, 'the admin listener runs');
  assert.notEqual(new URL(p.daemon.adminUrl).port, new URL(p.daemon.ingestUrl!).port, 'never the push-ingest port');

  // A pushed order: its request id is in the response header, on ingest.request and on order.accepted.
  const body = JSON.stringify({
    orderId: 'BNF-M-1', placedAt: '2026-11-20T10:31:00+01:00',
    employer: { orgNumber: '556016-0680', name: 'Test Org AB' },
    employee: { firstName: 'Tessan', lastName: 'Testsson', personalIdentityNumber: '19111111-1116', email: TEST_EMAIL },
    supplier: { venueId: 'odenplan' },
    lines: [{ articleId: 'GYM-12M', startDate: '2026-12-01', priceInclVat: { amount: '2500.00', currency: 'SEK' } }],
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await request(`${p.daemon.ingestUrl}/portals/benify/orders`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-benify-timestamp': ts, 'x-benify-signature': benifySignature(SECRET, ts, body) },
  });
  assert.equal(res.statusCode, 202);
  await res.body.text();
  const requestId = String(res.headers['x-request-id']);
  assert.match(requestId, /^[0-9a-f-]{36}$/);
  await p.waitForState('t1:benify:BNF-M-1', 'confirmed');
  assert.equal(events(p.lines, 'order.accepted', 'BNF-M-1')[0]?.requestId, requestId);
  assert.equal(p.lines.find((l) => l.event === 'ingest.request' && l.ordernr === 'BNF-M-1')?.requestId, requestId);
  const confirmedLine = events(p.lines, 'order.confirmed', 'BNF-M-1')[0]!;
  assert.equal(typeof confirmedLine.durationMs, 'number');

  // A rejected order, a poll, a paused tenant and a stopped portal.
  const rejected = await p.services.intake.accept(sampleOrderInput('M-REJ', { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 100 }] }));
  await p.waitForState((rejected as { key: string }).key, 'rejected');
  const pull = createPullIngest(p.services);
  assert.equal((await pull.pollOnce('wellnet')).outcome, 'ok');
  await pull.stop();
  await p.waitForState('t1:wellnet:WN-M-1', 'confirmed');
  await p.services.pause.pause('t1', { kind: 'auth', httpStatus: 401, reason: 'Invalid API key' });
  await markNotifyStopped(p.services.redis, 'pdtest', 'wellnet', { at: new Date().toISOString(), reason: 'wellnet delivery: HTTP 401', status: 401 });

  // A second replica on the same Redis.
  const { logger } = testLogger();
  const services2 = await createServices(p.services.config, logger);
  const replica = createDaemon(services2, { ingest: false, admin: { host: '127.0.0.1', port: 0 } });
  await replica.start();
  replicaStop = async () => { await replica.stop('test'); await services2.close(); };

  await new Promise((r) => setTimeout(r, 2_100)); // past the shared read's cache
  const [one, two] = await Promise.all([scrape(p.daemon.adminUrl), scrape(replica.adminUrl!)]);

  for (const [name, spec] of Object.entries(REQUIRED_METRICS)) {
    const f = one.families.get(name);
    assert.ok(f, `${name} is on /metrics`);
    assert.equal(f.type, spec.type, `${name} is a ${spec.type}`);
    assert.ok(f.samples.length > 0, `${name} has samples`);
    for (const s of f.samples) {
      const labels = Object.keys(s.labels).filter((l) => l !== 'le').sort();
      assert.deepEqual(labels, [...spec.labels].sort(), `${name} has exactly the labels ${spec.labels.join(', ')}`);
    }
  }
  assert.ok(one.families.has('process_cpu_seconds_total') && one.families.has('nodejs_eventloop_lag_seconds'), 'process default metrics');
  for (const name of SHARED) assert.deepEqual(samplesOf(two.families, name), samplesOf(one.families, name), `${name} is the same in both replicas`);
  assert.ok(/same in every replica, aggregate with max/.test(one.families.get('partnerd_orders')!.help ?? ''));

  const f = one.families;
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'confirmed', tenant: 't1' }), 2);
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'rejected', tenant: 't1' }), 1);
  assert.equal(valueOf(f, 'partnerd_tenant_paused', { tenant: 't1', reason: 'http_401' }), 1);
  assert.equal(valueOf(f, 'partnerd_portal_stopped', { portal: 'wellnet' }), 1);
  assert.ok(valueOf(f, 'partnerd_portal_last_poll_success_timestamp_seconds', { portal: 'wellnet' }) > Date.now() / 1000 - 60);
  assert.equal(valueOf(f, 'partnerd_portal_poll_interval_seconds', { portal: 'wellnet' }), 366 * 86_400, 'once a year (0 0 1 1 *), counting leap years');
  assert.ok(valueOf(f, 'partnerd_ingest_requests_total', { portal: 'benify', status: '202' }) >= 1);
  assert.ok(valueOf(f, 'partnerd_confirmed_amount_ore_total', { portal: 'benify', tenant: 't1' }) >= 250_000);
  assert.equal(valueOf(f, 'partnerd_shared_state_up', {}), 1);

  // Labels: bounded values only, never a person or an order.
  for (const needle of ['BNF-M-1', 'M-REJ', 'WN-M-1', 'Tessan', 'Testsson', '19111111', '111111-1116', TEST_EMAIL, '+4673']) {
    assert.equal(one.text.includes(needle), false, `/metrics contains ${needle}`);
  }
  await p.services.pause.resume('t1', 'operator');
});

test('the ledger\'s read models: orders per tenant and state, oldest waiting order per tenant, notify backlog per portal', async (t) => {
  const postgres = await startPostgres();
  const dbConfig = { url: postgres.url, poolSize: 4, connectTimeoutMs: 2_000, statementTimeoutMs: 10_000 };
  const { logger } = testLogger();
  await migrate(dbConfig, logger);
  const db = createDatabase(dbConfig, logger);
  t.after(async () => { await db.end(); await postgres.destroy(); });
  const ledger = Ledger.fromDatabase(db, postgres.url);
  const t0 = new Date('2026-12-01T10:00:00Z');
  const at = (min: number) => new Date(t0.getTime() + min * 60_000);
  const reg = async (ordernr: string, tenant: string, portal: 'benify' | 'wellnet' | 'epassi', min: number) =>
    (await ledger.register({ ...sampleOrder(ordernr, tenant), portal }, 'proof', { now: at(min) })).key;

  const a1 = await reg('A1', 'alpha', 'benify', 0);
  await reg('A2', 'alpha', 'benify', 5);
  const b1 = await reg('B1', 'beta', 'wellnet', 1);
  const b2 = await reg('B2', 'beta', 'epassi', 2);
  const b3 = await reg('B3', 'beta', 'benify', 3);
  for (const key of [a1, b1, b2]) {
    await ledger.beginAttempt(key, at(10));
    await ledger.finishAttempt(key, 'confirmed', { n: 1, startedAt: at(10).toISOString(), class: 'confirmed' }, { brpOrderNumber: '1', invoiceNumber: '2', ocr: '3' }, { now: at(10) });
  }
  await ledger.beginAttempt(b3, at(11)); // submitting: still waiting
  await ledger.registerUnroutable('wellnet', 'U1', {}, 'no venue', at(12));
  await ledger.notificationDone(b2, at(13));

  const counts = (await ledger.countByTenantPortalState()).map((r) => `${r.tenant}/${r.portal}/${r.state}=${r.count}`);
  assert.deepEqual(counts, ['alpha/benify/confirmed=1', 'alpha/benify/queued=1', 'beta/benify/submitting=1', 'beta/epassi/confirmed=1', 'beta/wellnet/confirmed=1', '~/wellnet/unroutable=1']);
  const settled = (await ledger.countByTenantPortalState(SETTLED_STATES)).map((r) => `${r.tenant}/${r.portal}/${r.state}=${r.count}`);
  assert.deepEqual(settled, ['alpha/benify/confirmed=1', 'beta/epassi/confirmed=1', 'beta/wellnet/confirmed=1']);
  const oldest = Object.fromEntries((await ledger.oldestWaitingByTenant()).map((r) => [r.tenant, r.receivedAt.toISOString()]));
  assert.deepEqual(oldest, { alpha: at(5).toISOString(), beta: at(3).toISOString() });
  assert.deepEqual(await ledger.oldestWaiting(), { key: b3, state: 'submitting', receivedAt: at(3).toISOString() });
  // Two waiting since the same instant, in two tenants: the smaller key (beta:… before gamma:…).
  await reg('G1', 'gamma', 'benify', 3);
  assert.deepEqual(await ledger.oldestWaiting(), { key: b3, state: 'submitting', receivedAt: at(3).toISOString() });
  await reg('G0', 'gamma', 'benify', 2);
  assert.equal((await ledger.oldestWaiting())?.key, 'gamma:benify:G0', 'the oldest is found in any tenant, not only the first');
  assert.equal((await ledger.oldestWaitingByTenant()).length, 3, 'every tenant with a live order, however many');
  assert.deepEqual(await ledger.notifyBacklogByPortal(), [{ portal: 'wellnet', count: 1 }]);
});

test('partnerd_orders: the moving states at every scrape, confirmed from the background count until it is too old', { timeout: 60_000 }, async (t) => {
  const p = await startPipeline();
  t.after(() => p.close());
  let skew = 0; // how far the test moves the count's clock ahead
  const registry = new Registry();
  registerStateGauges(registry, { ...p.services, settledCounts: new SettledCounts(p.services.ledger, 30_000, () => Date.now() + skew) }, { cacheMs: 0 });
  const read = async () => parseMetrics(await registry.metrics());
  const accept = async (id: string) => ((await p.services.intake.accept(sampleOrderInput(id))) as { key: string }).key;

  await p.waitForState(await accept('SC-1'), 'confirmed');
  let f = await read();
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'confirmed', tenant: 't1' }), 1, 'the first scrape waits for the first count');
  const countedAt = valueOf(f, 'partnerd_orders_settled_counted_timestamp_seconds', {});
  assert.ok(Math.abs(countedAt - Date.now() / 1000) < 10, `counted just now (${countedAt})`);

  // Held: the next order stays queued, and the scrape sees it at once.
  await p.services.pause.pause('t1', { kind: 'auth', httpStatus: 401, reason: 'test' });
  const second = await accept('SC-2');
  f = await read();
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'queued', tenant: 't1' }), 1);

  await p.services.pause.resume('t1', 'operator');
  await p.waitForState(second, 'confirmed');
  f = await read();
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'queued', tenant: 't1' }), 0, 'moving states: counted at each scrape');
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'confirmed', tenant: 't1' }), 1, 'confirmed: still the count of the first scrape');
  assert.equal(valueOf(f, 'partnerd_orders_settled_counted_timestamp_seconds', {}), countedAt);

  skew = 31_000; // the count is now older than its 30 s
  f = await read();
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'confirmed', tenant: 't1' }), 1, 'a scrape never waits for the recount');
  for (let i = 0; i < 50 && valueOf(f, 'partnerd_orders', { state: 'confirmed', tenant: 't1' }) !== 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
    f = await read();
  }
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'confirmed', tenant: 't1' }), 2, 'the recount shows on a later scrape');
  assert.ok(valueOf(f, 'partnerd_orders_settled_counted_timestamp_seconds', {}) > countedAt + 30);
});
