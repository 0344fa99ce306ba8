import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServices } from '../../src/daemon/services.js';
import { createPullIngest } from '../../src/ingest/pull/pull-ingest.js';
import { startEpassiSimulator, startWellnetSimulator } from '../../src/simulator/portals/index.js';
import { startPipeline } from '../../support/pipeline.js';
import { startStores, type Stores } from '../../support/pipeline.js';
import { testLogger } from '../../support/test-logs.js';
import { EPASSI_CLIENT_ID, EPASSI_SECRET, FAST_NOTIFY, WELLNET_TOKEN, assertNoSecrets, epassiPurchase, eventually, logEvents, portalsConfig, sleep, wellnetOrder } from './pull/fixtures.js';

/**
 * Two replicas (two PullIngest instances, each with its own Services: its own Redis connection,
 * its own node-cron schedules) poll the same portals on a 6-field schedule: every second for
 * Wellnet, every 2 seconds for Epassi. Each tick is one poll in total, whichever replica wins it.
 * (In-process instances: the daemon does not start pull ingest yet, so `partnerd run` child
 * processes would not poll.)
 */

let stores: Stores;
before(async () => { stores = await startStores(); });
after(async () => { await stores.stop(); });

function buckets(times: number[], widthMs: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of times) m.set(Math.floor(t / widthMs), (m.get(Math.floor(t / widthMs)) ?? 0) + 1);
  return m;
}

describe('schedule across replicas', () => {
  test('two replicas, every-second / every-2-seconds schedules: exactly one poll per tick; every order once', async (t) => {
    const wellnet = await startWellnetSimulator({ token: WELLNET_TOKEN });
    const epassi = await startEpassiSimulator({ clientId: EPASSI_CLIENT_ID, clientSecret: EPASSI_SECRET });
    const p = await startPipeline({
      stores,
      extra: { portals: portalsConfig(wellnet.baseUrl, epassi.baseUrl, { wellnet: { schedule: '* * * * * *' }, epassi: { schedule: '*/2 * * * * *' } }) },
    });
    const b = testLogger();
    const servicesB = await createServices(p.services.config, b.logger);
    const replicaA = createPullIngest(p.services, { notifier: { ...FAST_NOTIFY }, notifyIntervalMs: 100 });
    const replicaB = createPullIngest(servicesB, { notifier: { ...FAST_NOTIFY }, notifyIntervalMs: 100 });
    t.after(async () => {
      await replicaA.stop();
      await replicaB.stop();
      await servicesB.close();
      await p.close();
      await wellnet.close();
      await epassi.close();
    });

    replicaA.start();
    replicaB.start();
    const wellnetIds: string[] = [];
    const epassiIds: string[] = [];
    for (let round = 0; round < 4; round++) {
      await sleep(1_300);
      for (let i = 0; i < 3; i++) {
        const id = `WS-${round}-${i}`;
        wellnetIds.push(id);
        wellnet.addOrders(wellnetOrder(id, round * 10 + i));
      }
      const ep = `ES-${round}`;
      epassiIds.push(ep);
      epassi.addPurchases(epassiPurchase(ep));
    }
    await eventually(
      'every outcome acknowledged after at least 8 + 4 polls',
      () => wellnet.polls() >= 8 && epassi.polls() >= 4 && wellnet.deliveries().length === wellnetIds.length && epassi.marks().length === epassiIds.length,
      20_000,
    );
    await replicaA.stop();
    await replicaB.stop();

    const wellnetPolls = wellnet.pollLog().map((l) => l.at);
    const perSecond = buckets(wellnetPolls, 1_000);
    const timeline = `wellnet polls at ${wellnetPolls.map((x) => (x % 100_000) / 1000).join(', ')}; epassi at ${epassi.pollLog().map((l) => (l.at % 100_000) / 1000).join(', ')}`;
    // Arrival times can slip into the next second on a loaded machine, so the exact invariant is
    // checked on the ticks themselves (below: one claimed tick, one poll); arrival buckets only
    // bound it: never more polls than seconds (+1 for a tick that arrives late across the edge).
    const seconds = [...perSecond.keys()];
    const span = Math.max(...seconds) - Math.min(...seconds) + 1;
    assert.ok(perSecond.size >= 6, `wellnet polled in ${perSecond.size} seconds: ${timeline}`);
    assert.ok(wellnetPolls.length <= span + 1, `${wellnetPolls.length} polls in ${span} s — one per tick, not one per replica: ${timeline}`);
    for (const [second, n] of perSecond) assert.ok(n <= 2, `second ${second}: ${n} polls: ${timeline}`);
    const epassiPolls = epassi.pollLog().map((l) => l.at);
    const perTwo = buckets(epassiPolls, 2_000);
    const slots = [...perTwo.keys()];
    assert.ok(perTwo.size >= 3, `epassi polled in ${perTwo.size} two-second slots: ${timeline}`);
    assert.ok(epassiPolls.length <= Math.max(...slots) - Math.min(...slots) + 2, `epassi: one poll per tick: ${timeline}`);
    assert.ok(wellnet.pollLog().every((l) => l.status === 200));

    // Every run is logged by the replica that won the tick; together they are the polls.
    const runs = (lines: Array<Record<string, unknown>>, portal: string) => logEvents(lines, 'portal.poll').filter((l) => l.portal === portal).length;
    assert.equal(runs(p.lines, 'wellnet') + runs(b.lines, 'wellnet'), wellnetPolls.length);
    assert.equal(runs(p.lines, 'epassi') + runs(b.lines, 'epassi'), epassiPolls.length);
    // Both replicas tried every tick and only one claimed it: every poll had a tick of its own (a
    // claimed tick may be skipped when the previous run is still going, never polled twice).
    const wellnetTicks = (await p.services.redis.keys('pdtest:tick:poll:wellnet:*')).length;
    const epassiTicks = (await p.services.redis.keys('pdtest:tick:poll:epassi:*')).length;
    assert.ok(wellnetTicks >= wellnetPolls.length && wellnetTicks <= wellnetPolls.length + 2, `${wellnetTicks} ticks, ${wellnetPolls.length} polls`);
    assert.ok(epassiTicks >= epassiPolls.length && epassiTicks <= epassiPolls.length + 2, `${epassiTicks} ticks, ${epassiPolls.length} polls`);

    // Every order became one BRP order and one acknowledgement.
    for (const id of [...wellnetIds, ...epassiIds]) assert.equal(p.sim.orders({ ordernr: id }).length, 1, id);
    assert.equal(new Set(wellnet.deliveries().map((d) => d.id)).size, wellnetIds.length);
    assert.equal(wellnet.stats().deliveryRequests, wellnetIds.length);
    assert.equal(epassi.stats().markRequests, epassiIds.length);
    t.diagnostic(`wellnet polls ${wellnetPolls.length} (A ${runs(p.lines, 'wellnet')}, B ${runs(b.lines, 'wellnet')}); epassi polls ${epassiPolls.length}; ms after the second: ${wellnetPolls.map((x) => x % 1000).join(',')}`);
    assertNoSecrets([...p.lines, ...b.lines]);
  });
});
