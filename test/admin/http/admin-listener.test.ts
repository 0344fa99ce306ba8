import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { request } from 'undici';
import { createAdminServer } from '../../../src/admin/http/admin-server.js';
import type { StoreProbe } from '../../../src/admin/http/readiness.js';
import { testLogger } from '../../../support/test-logs.js';

/**
 * The admin listener's answers, with the real Fastify server and controlled sources: /readyz
 * names the check that failed and bounds every store probe at 1 s; /healthz turns 503 after the
 * event loop was blocked and back once it runs freely.
 */
const { logger } = testLogger();

function server(overrides: { stores?: StoreProbe[]; workers?: () => boolean; stopping?: () => boolean; eventLoop?: { maxDelayMs: number; windowMs: number } } = {}) {
  return createAdminServer({
    logger,
    registries: [new Registry()],
    stores: overrides.stores ?? [{ name: 'redis', probe: async () => undefined }],
    configSource: 'config/test.yaml',
    workersRunning: overrides.workers ?? (() => true),
    shuttingDown: overrides.stopping ?? (() => false),
    ...(overrides.eventLoop ? { eventLoop: overrides.eventLoop } : {}),
  });
}

test('/readyz: 200 with every check; 503 with a JSON reason for shutdown, stopped workers, a failing store', async (t) => {
  let stopping = false;
  let workers = true;
  let redisUp = true;
  const app = server({
    stores: [{ name: 'redis', probe: async () => { if (!redisUp) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); } }],
    workers: () => workers,
    stopping: () => stopping,
  });
  t.after(() => app.close());

  const ok = await app.inject('/readyz');
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { status: 'ready', checks: { shutdown: { ok: true }, config: { ok: true, detail: 'config/test.yaml' }, workers: { ok: true }, redis: { ok: true } } });

  redisUp = false;
  const down = await app.inject('/readyz');
  assert.equal(down.statusCode, 503);
  assert.equal(down.json().status, 'not ready');
  assert.equal(down.json().reason, 'redis: ECONNREFUSED: connect ECONNREFUSED');
  redisUp = true;

  workers = false;
  assert.equal((await app.inject('/readyz')).json().reason, 'workers: workers are not running');
  workers = true;

  stopping = true;
  const stop = await app.inject('/readyz');
  assert.equal(stop.statusCode, 503);
  assert.equal(stop.json().reason, 'shutdown: shutting down');
});

test('/readyz: a store that hangs is given 1 s, then reported; every store is checked (a second one can be added)', async (t) => {
  const app = server({
    stores: [
      { name: 'redis', probe: async () => undefined },
      { name: 'postgres', probe: () => new Promise<void>(() => undefined) },
    ],
  });
  t.after(() => app.close());
  const started = Date.now();
  const res = await app.inject('/readyz');
  const took = Date.now() - started;
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().reason, 'postgres: no answer within 1000 ms');
  assert.deepEqual(res.json().checks.redis, { ok: true });
  assert.ok(took >= 950 && took < 5_000, `answered after ${took} ms`);
});

test('/healthz: 200 while the loop runs; 503 after it was blocked longer than the threshold; 200 again once it runs freely', async (t) => {
  const app = server({ eventLoop: { maxDelayMs: 300, windowMs: 400 } });
  t.after(() => app.close());
  await new Promise((r) => setTimeout(r, 100));
  const ok = await app.inject('/healthz');
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().status, 'ok');

  const until = Date.now() + 700;
  while (Date.now() < until) { /* block the event loop */ }
  await new Promise((r) => setTimeout(r, 30));
  const blocked = await app.inject('/healthz');
  assert.equal(blocked.statusCode, 503);
  assert.equal(blocked.json().status, 'blocked');
  assert.ok(blocked.json().eventLoop.maxDelayMs >= 600, JSON.stringify(blocked.json()));

  // Two windows later the stall has aged out.
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal((await app.inject('/healthz')).statusCode, 200);
});

test('/metrics: the registries\' text in the Prometheus format; more routes can be registered before it listens', async (t) => {
  const a = new Registry();
  const b = new Registry();
  const app = createAdminServer({
    logger, registries: [a, b], stores: [], configSource: 'x', workersRunning: () => true, shuttingDown: () => false,
  });
  app.get('/admin/ping', async () => ({ pong: true })); // e.g. the admin API of a later issue
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const address = app.server.address() as { port: number };
  const res = await request(`http://127.0.0.1:${address.port}/metrics`);
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  await res.body.text();
  const ping = await request(`http://127.0.0.1:${address.port}/admin/ping`);
  assert.deepEqual(await ping.body.json(), { pong: true });
});
