import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { AdminService } from '../../src/admin/admin-service.js';
import { operator } from '../../src/admin/operator.js';
import { setTimeout as sleep } from 'node:timers/promises';

const OP = operator('test-operator', 'cli');
import { isPartnerdError } from '../../src/errors.js';
import { freePort } from '../../support/private-redis.js';
import { events, resetStores, startPipeline, startStores, type Pipeline, type Stores } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';

/**
 * Every outcome class of the spine against the BRP simulator, through the real daemon:
 * real PostgreSQL, real Redis, real HTTP, real BullMQ.
 */

let stores: Stores;

before(async () => { stores = await startStores(); });
after(async () => { await stores.stop(); });
beforeEach(async () => { await resetStores(stores); });

async function start(options: Parameters<typeof startPipeline>[0] = {}): Promise<Pipeline> {
  return startPipeline({ ...options, stores });
}

async function accept(p: Pipeline, ordernr: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const r = await p.services.intake.accept(sampleOrderInput(ordernr, overrides));
  assert.equal(r.status, 'accepted', JSON.stringify(r));
  return (r as { key: string }).key;
}

describe('outcomes', { concurrency: false }, () => {
  test('confirmed: ledger holds BRP numbers, totals, VAT, due date; payload dropped; one event', async (t) => {
    const p = await start();
    t.after(() => p.close());
    const key = await accept(p, 'C-1');
    const rec = await p.waitForState(key, 'confirmed');
    const [brp] = p.sim.orders({ ordernr: 'C-1' });
    assert.ok(brp);
    assert.equal(rec.brpOrderNumber, String(brp.brpOrderNumber));
    assert.equal(rec.invoiceNumber, String(brp.invoiceNumber));
    assert.equal(rec.ocr, String(brp.ocr));
    assert.equal(rec.sumOre, 251000);
    assert.equal(rec.invoiceTotalOre, 251000);
    assert.deepEqual(rec.vatSums?.slice().sort((a, b) => a.ratePercent - b.ratePercent), [
      { ratePercent: 6, amountOre: 14151 },
      { ratePercent: 25, amountOre: 200 },
    ]);
    assert.equal(rec.sumExVatOre, 251000 - 14151 - 200);
    assert.match(rec.dueDate ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(rec.attempts, 1);
    assert.equal(rec.payload, undefined, 'personal data is dropped once confirmed');
    const ev = events(p.lines, 'order.confirmed', 'C-1');
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.brpOrderNumber, String(brp.brpOrderNumber));
    assert.equal(ev[0]!.ocr, String(brp.ocr));
    assert.equal(ev[0]!.amountOre, 251000);
    assert.equal(ev[0]!.tenant, 't1');
    assert.equal(ev[0]!.portal, 'benify');
  });

  test('duplicate: same key while queued and after confirmation creates no job and no BRP call', async (t) => {
    const p = await start({ faults: { latencyMs: 200 } });
    t.after(() => p.close());
    const key = await accept(p, 'D-1');
    const again = await p.services.intake.accept(sampleOrderInput('D-1'));
    assert.equal(again.status, 'duplicate');
    assert.ok(again.status === 'duplicate' && ['queued', 'submitting'].includes(again.state));
    await p.waitForState(key, 'confirmed');
    const third = await p.services.intake.accept(sampleOrderInput('D-1'));
    assert.deepEqual(third, { status: 'duplicate', key, state: 'confirmed' });
    await sleep(300);
    assert.equal(p.sim.orders({ ordernr: 'D-1' }).length, 1);
    assert.equal(p.sim.stats().requests, 1);
  });

  test('the ledger outlives BullMQ retention: a key whose job is long gone is still a duplicate', async (t) => {
    const p = await start();
    t.after(() => p.close());
    const key = await accept(p, 'D-2');
    await p.waitForState(key, 'confirmed');
    await p.services.queues.get('t1').obliterate({ force: true }); // BullMQ forgot everything
    const again = await p.services.intake.accept(sampleOrderInput('D-2'));
    assert.deepEqual(again, { status: 'duplicate', key, state: 'confirmed' });
    await sleep(300);
    assert.equal(p.sim.stats().requests, 1);
  });

  test('per-tenant rate limit: no more than max calls reach BRP in ANY window of the configured length', async (t) => {
    // marginMs: the limiter's allowance for the time between granting a call and BRP seeing it;
    // generous here, so that a machine loaded by other work cannot make the arrivals bunch.
    const p = await start({ tenant: { rateLimit: { max: 4, durationMs: 500, marginMs: 150 } } });
    t.after(() => p.close());
    const keys = [];
    for (let i = 0; i < 14; i++) keys.push(await accept(p, `RL-${i}`));
    for (const key of keys) await p.waitForState(key, 'confirmed', 15_000);
    // BRP's own clock: when the simulator created each order.
    const times = p.sim.orders().map((o) => Date.parse(o.createdAt)).sort((a, b) => a - b);
    assert.equal(times.length, 14);
    // Sliding, not fixed: any 5 consecutive calls span at least a whole window, wherever it starts
    // (a fixed-window limiter lets 8 through within a few ms around a window boundary).
    for (let i = 0; i + 4 < times.length; i++) assert.ok(times[i + 4]! - times[i]! >= 500, `5 calls within ${times[i + 4]! - times[i]!} ms`);
    // And the budget is used: 14 calls at 4 per 650 ms take about three windows, not much more.
    assert.ok(times[13]! - times[0]! < 3_000, `spread ${times[13]! - times[0]!} ms`);
  });

  test('rate limit: calls are spaced, and those due during a stall of the process are not sent together', async (t) => {
    // 10 per 500 ms + 40 ms margin: a slot every 54 ms. The test blocks the event loop of the
    // process (the daemon's, here also the simulator's) for 400 ms mid-stream, as a long GC pause
    // or a busy reconciler pass would: the seven or so slots due meanwhile are missed. Sent at
    // once when the process resumes, those calls would reach BRP together; each takes a new slot
    // instead, and BRP sees them spaced.
    const p = await start({ tenant: { concurrency: 8, rateLimit: { max: 10, durationMs: 500, marginMs: 40 } } });
    t.after(() => p.close());
    const keys = [];
    for (let i = 0; i < 24; i++) keys.push(await accept(p, `ST-${i}`));
    while (p.sim.orders().length < 4) await sleep(5);
    const stalledAt = Date.now();
    const stallUntil = stalledAt + 400;
    while (Date.now() < stallUntil) { /* the process is stalled */ }
    for (const key of keys) await p.waitForState(key, 'confirmed', 15_000);
    const times = p.sim.orders().map((o) => Date.parse(o.receivedAt)).sort((a, b) => a - b);
    assert.equal(times.length, 24);
    // From the stall on, evenly spaced, not in a burst: never three calls within one slot's spacing
    // (54 ms). (Before it, the first call of the stream may be late on its own: a new connection,
    // code not yet compiled; nothing is queued behind it then, so it keeps its slot.)
    const fromStall = times.filter((x) => x >= stalledAt);
    assert.ok(fromStall.length >= 15, `${fromStall.length} calls after the stall`);
    for (let i = 0; i + 2 < fromStall.length; i++) assert.ok(fromStall[i + 2]! - fromStall[i]! >= 54, `3 calls within ${fromStall[i + 2]! - fromStall[i]!} ms: ${times.map((x) => x - stalledAt).join(' ')}`);
    // ...and never more than 10 in a window of 500 ms, all along.
    for (let i = 0; i + 10 < times.length; i++) assert.ok(times[i + 10]! - times[i]! >= 500, `11 calls within ${times[i + 10]! - times[i]!} ms`);
  });

  test('invalid orders are never queued: every error with its path', async (t) => {
    const p = await start();
    t.after(() => p.close());
    const r = await p.services.intake.accept(sampleOrderInput('I-1', { businessUnit: 'x', items: [] }));
    assert.equal(r.status, 'invalid');
    const paths = (r as { errors: Array<{ path: string }> }).errors.map((e) => e.path);
    assert.ok(paths.includes('businessUnit'), paths.join());
    assert.ok(paths.some((x) => x.startsWith('items')), paths.join());
    const unknownTenant = await p.services.intake.accept(sampleOrderInput('I-2', { tenant: 'nope' }));
    assert.equal(unknownTenant.status, 'invalid');
    assert.equal((unknownTenant as { errors: Array<{ path: string }> }).errors[0]!.path, 'tenant');
    assert.equal(await p.services.ledger.get('t1:benify:I-1'), undefined);
    assert.equal(p.sim.stats().requests, 0);
  });

  test('rejected: BRP <errors> is kept with its code, never retried', async (t) => {
    const p = await start();
    t.after(() => p.close());
    const key = await accept(p, 'R-1', { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 100 }] });
    const rec = await p.waitForState(key, 'rejected');
    assert.equal(rec.brpError?.status, 400);
    assert.ok(rec.brpError?.errors[0]?.code, 'BRP error code kept');
    assert.match(rec.brpError?.errors[0]?.message ?? '', /product/i);
    await sleep(400);
    assert.equal(p.sim.stats().requests, 1);
    assert.equal(events(p.lines, 'order.rejected', 'R-1').length, 1);
  });

  test('transient 5xx: retried with back-off, then confirmed once', async (t) => {
    const p = await start({ faults: { scriptByOrdernr: { 'T-1': ['503', '500'] } } });
    t.after(() => p.close());
    const key = await accept(p, 'T-1');
    const rec = await p.waitForState(key, 'confirmed');
    assert.equal(rec.attempts, 3);
    const log = await p.services.ledger.attempts(key);
    assert.deepEqual(log.map((a) => a.class), ['transient', 'transient', 'confirmed']);
    assert.equal(p.sim.orders({ ordernr: 'T-1' }).length, 1);
  });

  test('transient until the last attempt: dead, kept, re-queueable', async (t) => {
    const p = await start({ faults: { scriptByOrdernr: { 'X-1': ['503', '503', '503', 'ok'] } } });
    t.after(() => p.close());
    const key = await accept(p, 'X-1');
    const rec = await p.waitForState(key, 'dead');
    assert.equal(rec.attempts, 3, 'retry.attempts = 3 in the test config');
    assert.equal(rec.lastError, 'HTTP 503');
    assert.ok(rec.payload, 'payload kept for re-queue');
    assert.equal(events(p.lines, 'order.dead', 'X-1').length, 1);
    assert.equal((await new AdminService(p.services).requeue(key, OP)).fromState, 'dead');
    const again = await p.waitForState(key, 'confirmed');
    assert.equal(again.attempts, 4);
    assert.equal(p.sim.orders({ ordernr: 'X-1' }).length, 1);
  });

  test('connection refused: transient (nothing was sent), ends dead', async (t) => {
    const port = await freePort();
    const p = await start({ baseUrl: `http://127.0.0.1:${port}/t1/` });
    t.after(() => p.close());
    const key = await accept(p, 'N-1');
    const rec = await p.waitForState(key, 'dead');
    const log = await p.services.ledger.attempts(key);
    assert.deepEqual(log.map((a) => a.class), ['transient', 'transient', 'transient']);
    assert.equal(rec.lastError, 'ECONNREFUSED');
  });

  test('connect timeout (a TLS handshake that never completes): transient, nothing was sent, ends dead', async (t) => {
    // A local server that accepts TCP but never speaks TLS: the connection never gets ready.
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => { sockets.add(socket); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    t.after(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); silent.close(() => r()); }));
    const port = (silent.address() as { port: number }).port;
    const p = await start({ baseUrl: `https://127.0.0.1:${port}/t1/`, tenant: { timeouts: { connectMs: 200, responseMs: 1_500 } } });
    t.after(() => p.close());
    const key = await accept(p, 'N-2');
    const rec = await p.waitForState(key, 'dead');
    assert.equal(rec.lastError, 'UND_ERR_CONNECT_TIMEOUT');
    assert.deepEqual((await p.services.ledger.attempts(key)).map((a) => a.class), ['transient', 'transient', 'transient']);
  });

  test('429 with Retry-After: waits that long, burns no attempt', async (t) => {
    const p = await start({ faults: { script: ['429'], retryAfterSeconds: 1 } });
    t.after(() => p.close());
    const started = Date.now();
    const key = await accept(p, 'Q-1');
    const rec = await p.waitForState(key, 'confirmed');
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    const log = await p.services.ledger.attempts(key);
    assert.deepEqual(log.map((a) => a.class), ['throttled', 'confirmed']);
    assert.equal(rec.state, 'confirmed');
    assert.equal(p.sim.orders({ ordernr: 'Q-1' }).length, 1);
  });

  test('401: tenant paused, orders wait without burning attempts, resumed by operator', async (t) => {
    const p = await start({ faults: { script: ['401'] }, tenant: { authProbeIntervalMs: 60_000 } });
    t.after(() => p.close());
    const key = await accept(p, 'A-1');
    await sleep(100);
    const key2 = await accept(p, 'A-2');
    for (let i = 0; i < 100 && !(await p.services.pause.info('t1')); i++) await sleep(20);
    const info = await p.services.pause.info('t1');
    assert.equal(info?.httpStatus, 401);
    await sleep(500);
    assert.equal((await p.services.ledger.get(key))?.state, 'queued');
    assert.equal((await p.services.ledger.get(key2))?.state, 'queued');
    assert.equal(p.sim.orders().length, 0);
    assert.equal(p.lines.filter((l) => l.event === 'tenant.paused').length, 1, 'one alert');
    assert.equal(await new AdminService(p.services).resumeTenant('t1', OP), true);
    const rec = await p.waitForState(key, 'confirmed');
    await p.waitForState(key2, 'confirmed');
    const log = await p.services.ledger.attempts(key);
    assert.deepEqual(log.map((a) => a.class), ['auth_failed', 'confirmed']);
    assert.equal(rec.state, 'confirmed');
  });

  test('403: paused, then resumed by a successful auth probe that creates no order', async (t) => {
    const p = await start({ faults: { script: ['403'] }, tenant: { authProbeIntervalMs: 200 } });
    t.after(() => p.close());
    const key = await accept(p, 'P-1');
    await p.waitForState(key, 'confirmed', 15_000);
    assert.equal(p.lines.filter((l) => l.event === 'tenant.paused').length, 1);
    assert.ok(p.lines.some((l) => l.event === 'tenant.resumed' && l.by === 'probe'));
    assert.equal(p.sim.orders().length, 1, 'the probe created nothing');
  });

  test('timeout after commit: in-doubt and held (policy hold), never resent', async (t) => {
    const p = await start({ faults: { script: ['timeout-after-commit'], hangMs: 5_000 } });
    t.after(() => p.close());
    const key = await accept(p, 'H-1');
    const rec = await p.waitForState(key, 'in_doubt');
    assert.equal(rec.lastError, 'UND_ERR_HEADERS_TIMEOUT');
    await sleep(800);
    assert.equal(p.sim.orders({ ordernr: 'H-1' }).length, 1, 'BRP did create it');
    assert.equal(p.sim.stats().requests, 1, 'and it was not sent again');
    assert.equal(events(p.lines, 'order.in_doubt', 'H-1').length, 1);
    assert.ok(rec.payload, 'kept with its history for the operator');
  });

  test('reset after commit: in-doubt', async (t) => {
    const p = await start({ faults: { script: ['reset-after-commit'] } });
    t.after(() => p.close());
    const key = await accept(p, 'H-2');
    const rec = await p.waitForState(key, 'in_doubt');
    assert.match(rec.lastError ?? '', /UND_ERR_SOCKET|ECONNRESET/);
    await sleep(300);
    assert.equal(p.sim.stats().requests, 1);
  });

  test('in-doubt with policy retry: resent (the operator chose possible duplicates over delay)', async (t) => {
    const p = await start({ faults: { script: ['reset-after-commit'] }, tenant: { inDoubtPolicy: 'retry' } });
    t.after(() => p.close());
    const key = await accept(p, 'H-3');
    const rec = await p.waitForState(key, 'confirmed');
    assert.equal(rec.attempts, 2);
    assert.equal(p.sim.orders({ ordernr: 'H-3' }).length, 2);
    const resent = events(p.lines, 'order.resent', 'H-3');
    assert.equal(resent.length, 1, 'every resend is logged');
    assert.equal(resent[0]!.level, 'warn');
    assert.equal(resent[0]!.interruptedAttempt, 1);
  });

  test('operator resolves an in-doubt order found in BRP: confirmed with those numbers', async (t) => {
    const p = await start({ faults: { script: ['timeout-after-commit'], hangMs: 3_000 } });
    t.after(() => p.close());
    const key = await accept(p, 'H-4');
    await p.waitForState(key, 'in_doubt');
    const [brp] = p.sim.orders({ ordernr: 'H-4' });
    const admin = new AdminService(p.services);
    await admin.resolve(key, OP, { brpOrderNumber: String(brp!.brpOrderNumber), invoiceNumber: String(brp!.invoiceNumber), ocr: String(brp!.ocr), reason: 'found in BRP' });
    const rec = await p.services.ledger.get(key);
    assert.equal(rec?.state, 'confirmed');
    assert.equal(rec?.brpOrderNumber, String(brp!.brpOrderNumber));
    assert.equal(rec?.payload, undefined, 'personal data dropped once resolved');
    await assert.rejects(admin.requeue(key, OP), /confirmed/);
  });

  test('malformed 2xx: confirmed with the raw body kept and flagged; never resent', async (t) => {
    const p = await start({ faults: { script: ['malformed-2xx'] } });
    t.after(() => p.close());
    const key = await accept(p, 'M-1');
    const rec = await p.waitForState(key, 'confirmed');
    assert.ok(rec.review, 'flagged for review');
    assert.ok((rec.rawResponse ?? '').includes('<confirmation>'));
    await sleep(300);
    assert.equal(p.sim.stats().requests, 1);
    assert.equal(events(p.lines, 'order.confirmed_unparsed', 'M-1').length, 1);
  });

  test('an attempt left open by a dead worker: in-doubt without a BRP call', async (t) => {
    const p = await start();
    t.after(() => p.close());
    await p.services.queues.get('t1').pause();
    const key = await accept(p, 'K-1');
    const begun = await p.services.ledger.beginAttempt(key); // as if a worker opened it and died
    assert.equal(begun.kind, 'started');
    await p.services.queues.get('t1').resume();
    const rec = await p.waitForState(key, 'in_doubt');
    const log = await p.services.ledger.attempts(key);
    assert.deepEqual(log.map((a) => a.class), ['interrupted']);
    assert.equal(rec.lastError, 'attempt interrupted');
    assert.equal(p.sim.stats().requests, 0);
  });

  test('reconciler: a recorded order whose job was lost is queued again and confirmed once', async (t) => {
    const p = await start();
    t.after(() => p.close());
    await p.services.queues.get('t1').pause();
    const key = await accept(p, 'L-1');
    await p.services.queues.get('t1').obliterate({ force: true }); // the job is gone, the record stays
    await p.services.queues.get('t1').resume();
    const rec = await p.waitForState(key, 'confirmed', 15_000);
    assert.equal(rec.attempts, 1);
    assert.ok(p.lines.some((l) => l.event === 'order.reconciled' && l.ordernr === 'L-1'));
    assert.equal(p.sim.orders({ ordernr: 'L-1' }).length, 1);
  });

  test('graceful stop: in-flight calls finish and are recorded; no attempt is left open', async (t) => {
    const p = await start({ faults: { latencyMs: 400 } });
    let closed = false;
    t.after(() => (closed ? undefined : p.close()));
    const keys = [];
    for (let i = 0; i < 5; i++) keys.push(await accept(p, `G-${i}`));
    await sleep(150); // calls are in flight
    await p.daemon.stop('SIGTERM');
    for (const key of keys) {
      const rec = await p.services.ledger.get(key);
      assert.ok(rec && ['confirmed', 'queued'].includes(rec.state), `${key} is ${rec?.state}`);
      assert.equal(rec.openAttemptAt, undefined);
    }
    assert.ok(keys.length > 0);
    await p.services.close();
    await p.sim.close();
    closed = true;
  });
});

describe('store outages', () => {
  test('Redis down at intake: the order is still accepted (the ledger has it) and is sent once Redis is back', async (t) => {
    const p = await start();
    t.after(() => p.close());
    await stores.redis.kill();
    const r = await p.services.intake.accept(sampleOrderInput('O-1'));
    assert.equal(r.status, 'accepted', 'accepted means: committed to PostgreSQL');
    const key = (r as { key: string }).key;
    assert.equal((await p.services.ledger.get(key))?.state, 'queued');
    assert.ok(p.lines.some((l) => l.event === 'order.enqueue_deferred' && l.ordernr === 'O-1'), 'the missing job is logged');
    await stores.redis.restart(); // empty: it keeps nothing on disk
    const rec = await p.waitForState(key, 'confirmed', 15_000);
    assert.equal(rec.attempts, 1);
    assert.equal(p.sim.orders({ ordernr: 'O-1' }).length, 1);
  });

  test('PostgreSQL down at intake: refused (nothing promised), and accepted again once it is back', async (t) => {
    const p = await start();
    t.after(() => p.close());
    await stores.postgres.stop();
    await assert.rejects(p.services.intake.accept(sampleOrderInput('O-2')), (err) => isPartnerdError(err, 'PD_DATABASE_UNAVAILABLE'));
    await stores.postgres.restart();
    const key = await accept(p, 'O-3');
    await p.waitForState(key, 'confirmed', 15_000);
    assert.equal(p.sim.orders({ ordernr: 'O-2' }).length, 0);
  });
});
