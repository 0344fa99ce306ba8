import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { freePort } from '../../support/private-redis.js';
import { events, startPipeline, TEST_API_KEY, TEST_CATALOGUE, XSD_PATH } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';
import { startBrpSimulator, type BrpSimulator } from '../../src/simulator/index.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A BRP outage is an ordinary event: the tenant's circuit breaker holds its orders (no attempts
 * spent) and a probe that can never create an order resumes it when BRP answers again. With 3
 * attempts per order (the test config) every waiting order would die without it.
 */

async function simulatorOn(port: number): Promise<BrpSimulator> {
  return startBrpSimulator({ port, xsdPath: XSD_PATH, instances: { t1: { apiKey: TEST_API_KEY, catalogue: TEST_CATALOGUE } } });
}

const BREAKER = { failures: 3, timeouts: 2, probeIntervalMs: 200, maxProbeIntervalMs: 1_000 };

describe('BRP outages', { concurrency: false }, () => {
  test('BRP down (connections refused): the tenant is held with one alert, no order dies, all are confirmed once BRP is back', { timeout: 90_000 }, async (t) => {
    const port = await freePort();
    const p = await startPipeline({ baseUrl: `http://127.0.0.1:${port}/t1/`, tenant: { concurrency: 4, breaker: BREAKER } });
    t.after(() => p.close());
    const keys: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await p.services.intake.accept(sampleOrderInput(`OUT-${i}`));
      keys.push((r as { key: string }).key);
    }
    // Nobody listens on the port: every call is refused.
    for (let i = 0; i < 200 && !(await p.services.pause.info('t1')); i++) await sleep(20);
    assert.equal((await p.services.pause.info('t1'))?.kind, 'unreachable');
    await sleep(3_000); // an outage long enough that the retries (3 attempts, 50–200 ms apart) would all be gone
    const counts = await p.services.ledger.countByState();
    assert.equal(counts.dead, 0, 'no order died while BRP was down');
    // Only the calls before the breaker's threshold spent an attempt (failures - 1 = 2 of them).
    assert.equal(counts.queued + counts.retrying, 30, 'every order waits');
    assert.ok(counts.retrying <= BREAKER.failures - 1, `${counts.retrying} orders spent an attempt before the breaker opened`);
    assert.ok(events(p.lines, 'order.held').length > 0, 'calls that failed after the hold put their order back without spending an attempt');

    const sim = await simulatorOn(port);
    t.after(() => sim.close());
    for (const key of keys) await p.waitForState(key, 'confirmed', 30_000);
    assert.equal(sim.orders().length, 30, 'each order once; the probes created nothing');
    assert.equal(events(p.lines, 'tenant.unreachable').length, 1, 'one alert');
    assert.ok(p.lines.some((l) => l.event === 'tenant.resumed' && l.by === 'probe'));
    const probes = p.lines.filter((l) => l.event === 'tenant.probe' && l.verdict === 'unreachable').length;
    assert.ok(probes >= 2 && probes <= 10, `probes back off (${probes} in ~3 s at 200 ms doubling to 1 s)`);
  });

  test('BRP hanging (takes the request, never answers): at most `concurrency` orders in doubt, the rest held and confirmed once BRP answers', { timeout: 90_000 }, async (t) => {
    const port = await freePort();
    const sockets = new Set<Socket>();
    const silent = createServer((s) => { sockets.add(s); s.on('data', () => undefined); });
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', () => r()));
    let silentOpen = true;
    const stopSilent = () => new Promise<void>((r) => {
      if (!silentOpen) return r();
      silentOpen = false;
      for (const s of sockets) s.destroy();
      silent.close(() => r());
    });
    t.after(stopSilent); // also when an assertion fails before BRP "wakes up": an open socket would keep this file alive
    const p = await startPipeline({
      baseUrl: `http://127.0.0.1:${port}/t1/`,
      tenant: { concurrency: 4, timeouts: { connectMs: 1_000, responseMs: 800 }, breaker: BREAKER },
    });
    t.after(() => p.close());
    const keys: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await p.services.intake.accept(sampleOrderInput(`HANG-${i}`));
      keys.push((r as { key: string }).key);
    }
    for (let i = 0; i < 300 && !(await p.services.pause.info('t1')); i++) await sleep(20);
    assert.equal((await p.services.pause.info('t1'))?.kind, 'unreachable');
    await sleep(2_000);
    const held = await p.services.ledger.countByState();
    assert.ok(held.in_doubt <= 4, `at most concurrency (4) in doubt, got ${held.in_doubt}`);
    assert.ok(held.in_doubt >= 2, 'the calls that were sent are in doubt (BRP may have them)');

    await stopSilent();
    const sim = await simulatorOn(port);
    t.after(() => sim.close());
    const rest = [];
    for (const key of keys) if ((await p.services.ledger.get(key))!.state !== 'in_doubt') rest.push(key);
    for (const key of rest) await p.waitForState(key, 'confirmed', 30_000);
    assert.equal(rest.length + held.in_doubt, 24);
    assert.equal((await p.services.ledger.countByState()).dead, 0);
  });
});
