import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServices, type Services } from '../../src/daemon/services.js';
import { startIngestServer, type IngestServer } from '../../src/ingest/http/ingest-server.js';
import { testConfig } from '../helpers/pipeline.js';
import { startRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { testLogger } from '../helpers/test-logs.js';
import { actiwayOrder, benifyOrder, getBenifyStatus, postActiway, postBenify, PUSH_PORTALS, type PushRig } from './helpers.js';

/**
 * Redis down: nothing can be acknowledged, so the portal is told 503 and retries; once Redis is
 * back the same delivery is accepted. No daemon here (its workers would only add noise).
 */
describe('push while Redis is down', () => {
  let redis: PrivateRedis;
  let services: Services;
  let server: IngestServer;
  let lines: Array<Record<string, unknown>>;
  before(async () => {
    redis = await startRedis();
    const log = testLogger();
    lines = log.lines;
    services = await createServices(testConfig(redis.url, 'http://127.0.0.1:9/t1/', {}, { portals: PUSH_PORTALS }), log.logger);
    server = await startIngestServer(services, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await server?.close();
    await services?.close();
    await redis?.stop();
  });

  test('503 unavailable for both portals and the status look-up; accepted after Redis returns', async () => {
    const rig = { server } as PushRig; // the clients only need the URL
    await redis.kill();
    try {
      // At once: each waits out the Redis client's reconnection attempts before it fails.
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
      await redis.restart();
    }
    await services.redis.ping();
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
});
