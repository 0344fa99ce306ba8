import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServices, type Services } from '../../../src/daemon/services.js';
import { startIngestServer, type IngestServer } from '../../../src/ingest/http/ingest-server.js';
import { startStores, testConfig, type Stores } from '../../../support/pipeline.js';
import { testLogger } from '../../../support/test-logs.js';
import { actiwayOrder, benifyOrder, getBenifyStatus, postActiway, postBenify, PUSH_PORTALS, type PushRig } from './helpers.js';

/**
 * What a push portal is told when a store is down. 202 promises that the order is committed to
 * the ledger (PostgreSQL): with the ledger down nothing can be promised, so the portal is told 503
 * and retries. With only Redis down the order is still stored, so it is accepted (its job is
 * added once Redis is back). No daemon here (its workers would only add noise).
 */
describe('push while a store is down', { concurrency: false }, () => {
  let stores: Stores;
  let services: Services;
  let server: IngestServer;
  let lines: Array<Record<string, unknown>>;
  before(async () => {
    stores = await startStores();
    const log = testLogger();
    lines = log.lines;
    services = await createServices(testConfig(stores.urls, 'http://127.0.0.1:9/t1/', {}, { portals: PUSH_PORTALS }), log.logger, { schema: 'run' });
    server = await startIngestServer(services, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await server?.close();
    await services?.close();
    await stores?.stop();
  });

  test('PostgreSQL down: 503 unavailable for both portals and the status look-up; accepted after it returns', async () => {
    const rig = { server } as PushRig; // the clients only need the URL
    await stores.postgres.stop();
    try {
      const [b, a, s] = await Promise.all([
        postBenify(rig, benifyOrder('BNF-DOWN')),
        postActiway(rig, actiwayOrder('AW-DOWN')),
        getBenifyStatus(rig, 'BNF-DOWN'),
      ]);
      assert.equal(b.status, 503);
      assert.equal(b.text, '{"status":"unavailable"}');
      assert.equal(a.status, 503);
      assert.equal(a.headers['content-type'], 'application/xml; charset=utf-8');
      assert.equal(a.text, '<ActiwayReceipt status="unavailable"/>');
      assert.equal(s.status, 503);
      assert.equal(s.text, '{"status":"unavailable"}');
    } finally {
      await stores.postgres.restart();
    }
    const b = await postBenify(rig, benifyOrder('BNF-DOWN'));
    assert.equal(b.status, 202);
    assert.deepEqual(b.json(), { status: 'accepted', key: 't1:benify:BNF-DOWN' });
    const a = await postActiway(rig, actiwayOrder('AW-DOWN'));
    assert.equal(a.status, 202);

    const logged = lines.filter((l) => l.event === 'ingest.request' && l.status === 503);
    assert.equal(logged.length, 3);
    for (const l of logged) assert.equal(l.level, 'error');
    assert.deepEqual(logged.map((l) => l.ordernr).sort(), ['AW-DOWN', 'BNF-DOWN', 'BNF-DOWN']);
  });

  test('Redis down: accepted all the same (the ledger has the order), and the status look-up answers from the ledger', async () => {
    const rig = { server } as PushRig;
    await stores.redis.kill();
    try {
      const b = await postBenify(rig, benifyOrder('BNF-NOREDIS'));
      assert.equal(b.status, 202);
      assert.deepEqual(b.json(), { status: 'accepted', key: 't1:benify:BNF-NOREDIS' });
      const a = await postActiway(rig, actiwayOrder('AW-NOREDIS'));
      assert.equal(a.status, 202);
      const s = await getBenifyStatus(rig, 'BNF-NOREDIS');
      assert.equal(s.status, 200);
      assert.equal((s.json() as { state: string }).state, 'queued');
      assert.equal((await services.ledger.get('t1:benify:BNF-NOREDIS'))?.state, 'queued');
      assert.equal(lines.filter((l) => l.event === 'order.enqueue_deferred').length, 2, 'each missing job is logged');
      const again = await postBenify(rig, benifyOrder('BNF-NOREDIS'));
      assert.equal(again.status, 200, 'a redelivery is a duplicate, Redis or not');
    } finally {
      await stores.redis.restart();
    }
  });
});
