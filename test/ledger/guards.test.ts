import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { CanonicalOrder, Portal } from '../../src/domain/canonical-order.js';
import { isPartnerdError } from '../../src/errors.js';
import { createDatabase, type Database } from '../../src/ledger/database.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { migrate } from '../../src/ledger/migrations.js';
import type { AttemptRecord, OrderState } from '../../src/ledger/order-state.js';
import { sampleOrder } from '../../support/orders.js';
import { startPostgres, truncateLedger, type PrivatePostgres } from '../../support/private-postgres.js';
import { testLogger } from '../../support/test-logs.js';

/**
 * The guards of the ledger's exactly-once steps, one at a time, against a private PostgreSQL:
 * for each guarded statement (register, beginAttempt, finishAttempt, transition) the condition
 * that refuses, what a refused call leaves untouched, and the step racing itself from two
 * connection pools, as two daemons would. ledger.test.ts covers what the steps record when they
 * succeed.
 */

let postgres: PrivatePostgres;
/** Two pools: two daemons sharing one ledger. */
let dbA: Database;
let dbB: Database;
let ledgerA: Ledger;
let ledgerB: Ledger;
const { logger } = testLogger();
const dbConfig = () => ({ url: postgres.url, poolSize: 10, connectTimeoutMs: 2_000, statementTimeoutMs: 10_000 });

before(async () => {
  postgres = await startPostgres();
  await migrate(dbConfig(), logger);
  dbA = createDatabase(dbConfig(), logger);
  dbB = createDatabase(dbConfig(), logger);
  ledgerA = Ledger.fromDatabase(dbA, postgres.url);
  ledgerB = Ledger.fromDatabase(dbB, postgres.url);
});
after(async () => {
  await dbA.end();
  await dbB.end();
  await postgres.destroy();
});
beforeEach(() => truncateLedger(postgres.url));

const T0 = new Date(Date.UTC(2026, 11, 1, 9, 0, 0));
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const attempt = (n: number, cls: AttemptRecord['class'], seconds = 1): AttemptRecord => ({ n, startedAt: at(seconds).toISOString(), class: cls });

function order(ordernr: string, options: { tenant?: string; portal?: Portal; businessUnit?: string } = {}): CanonicalOrder {
  const o = sampleOrder(ordernr, options.tenant ?? 't1');
  return { ...o, portal: options.portal ?? o.portal, businessUnit: options.businessUnit ?? o.businessUnit };
}

/** Rows of a table for one order, counted on a connection of its own (nothing cached). */
async function count(table: 'orders' | 'portal_orders' | 'attempts' | 'order_actions' | 'notifications', where: string, params: unknown[]): Promise<number> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const r = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
    return r.rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** An order brought to `state` through the ledger's own steps (register, attempt, outcome). */
async function orderIn(state: OrderState, ordernr: string): Promise<string> {
  if (state === 'unroutable' || state === 'rerouted') {
    const { key } = await ledgerA.registerUnroutable('benify', ordernr, { venueRef: 'x' }, 'unknown venue', at(0));
    if (state === 'rerouted') await ledgerA.transition(key, ['unroutable'], 'rerouted', { detail: 'routed' }, { routedTo: `t1:benify:${ordernr}` });
    return key;
  }
  const { key } = await ledgerA.register(order(ordernr), 'proof', { xml: '<order/>', now: at(0) });
  if (state === 'queued') return key;
  assert.equal((await ledgerA.beginAttempt(key, at(1))).kind, 'started');
  if (state === 'submitting') return key;
  const cls: AttemptRecord['class'] = state === 'confirmed' ? 'confirmed' : state === 'rejected' ? 'rejected' : state === 'in_doubt' ? 'in_doubt' : 'transient';
  assert.equal(await ledgerA.finishAttempt(key, state, attempt(1, cls), {}, { now: at(2) }), true);
  return key;
}

describe('register: one record per key, one per portal order', () => {
  test('the key (tenant, portal, ordernr) is one record: a second registration that even holds the portal order id is a duplicate, and the first is untouched', async () => {
    const first = await ledgerA.register(order('G-1'), 'first-proof', { xml: '<first/>', now: at(0) });
    assert.deepEqual(first, { key: 't1:benify:G-1', created: true, state: 'queued' });
    // replaceIndexFrom the key itself: the portal order id is granted, so only the record's own
    // uniqueness stands between this call and a second row.
    const again = await ledgerB.register(order('G-1', { businessUnit: '2' }), 'second-proof', { xml: '<second/>', replaceIndexFrom: 't1:benify:G-1', now: at(5) });
    assert.deepEqual(again, { key: 't1:benify:G-1', created: false, state: 'queued', existingKey: 't1:benify:G-1' });
    const rec = await ledgerA.get('t1:benify:G-1');
    assert.equal(rec?.xmlProof, 'first-proof');
    assert.equal(rec?.businessUnit, '1');
    assert.equal(rec?.receivedAt, at(0).toISOString());
    assert.equal(await count('orders', 'ordernr = $1', ['G-1']), 1);
  });

  test('a portal order id is claimed per portal: under another tenant it is a duplicate of the first key; the same number at another portal is another order', async () => {
    assert.equal((await ledgerA.register(order('G-2', { tenant: 't1' }))).created, true);
    const otherTenant = await ledgerB.register(order('G-2', { tenant: 't2' }));
    assert.deepEqual(otherTenant, { key: 't2:benify:G-2', created: false, state: 'queued', existingKey: 't1:benify:G-2' });
    assert.equal(await ledgerA.get('t2:benify:G-2'), undefined);
    const otherPortal = await ledgerB.register(order('G-2', { tenant: 't2', portal: 'actiway' }));
    assert.deepEqual(otherPortal, { key: 't2:actiway:G-2', created: true, state: 'queued' });
    assert.equal(await ledgerA.keyForPortalOrder('benify', 'G-2'), 't1:benify:G-2');
    assert.equal(await ledgerA.keyForPortalOrder('actiway', 'G-2'), 't2:actiway:G-2');
    assert.equal(await count('portal_orders', 'portal_order_id = $1', ['G-2']), 2);
  });

  test('two daemons register one portal order for two tenants at once, ten times each: one record, every other call names it', async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const ordernr = `G-3-${n}`;
      const calls = Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? ledgerA : ledgerB).register(order(ordernr, { tenant: i % 4 < 2 ? 't1' : 't2' }), 'proof'));
      const results = await Promise.all(calls);
      const created = results.filter((r) => r.created);
      assert.equal(created.length, 1, `${ordernr}: one registration creates the record`);
      for (const r of results.filter((r) => !r.created)) assert.equal(r.created === false && r.existingKey, created[0]!.key, `${ordernr}: a duplicate names the record`);
      assert.equal(await count('orders', 'ordernr = $1', [ordernr]), 1);
      assert.equal(await count('portal_orders', 'portal_order_id = $1', [ordernr]), 1);
    }
  });
});

describe('beginAttempt: an attempt opens only from a state that may be sent', () => {
  test('every resting state is answered `done` with that state, and opens nothing; an unknown key is `missing`', async () => {
    const resting: OrderState[] = ['confirmed', 'rejected', 'in_doubt', 'dead', 'unroutable', 'rerouted'];
    for (const state of resting) {
      const key = await orderIn(state, `G-B-${state}`);
      const before = await ledgerA.get(key);
      assert.deepEqual(await ledgerA.beginAttempt(key, at(10)), { kind: 'done', state }, state);
      const afterwards = await ledgerA.get(key);
      assert.equal(afterwards?.state, state);
      assert.equal(afterwards?.attempts, before?.attempts, `${state}: no attempt counted`);
      assert.equal(afterwards?.updatedAt, before?.updatedAt, `${state}: the row is not written`);
      assert.equal(await count('attempts', 'order_key = $1 AND ended_at IS NULL', [key]), 0, `${state}: no attempt open`);
    }
    assert.deepEqual(await ledgerA.beginAttempt('t1:benify:NOPE', at(10)), { kind: 'done', state: 'missing' });
  });

  test('an open attempt is reported, never opened twice: the caller learns which attempt and since when', async () => {
    const key = await orderIn('submitting', 'G-B-OPEN');
    assert.deepEqual(await ledgerB.beginAttempt(key, at(30)), { kind: 'open', openedAt: at(1).toISOString(), attempt: 1 });
    const rec = await ledgerA.get(key);
    assert.equal(rec?.attempts, 1);
    assert.equal(rec?.openAttemptAt, at(1).toISOString(), 'the open attempt keeps its start: the in-doubt deadline counts from it');
    assert.deepEqual((await ledgerA.attempts(key)).map((a) => [a.n, a.class]), [[1, 'open']]);
  });

  test('retrying opens the next attempt; the earlier one keeps its outcome', async () => {
    const key = await orderIn('retrying', 'G-B-RETRY');
    const begun = await ledgerA.beginAttempt(key, at(20));
    assert.equal(begun.kind === 'started' && begun.attempt, 2);
    assert.deepEqual((await ledgerA.attempts(key)).map((a) => [a.n, a.class]), [[1, 'transient'], [2, 'open']]);
  });

  test('two daemons begin the same orders at once, ten calls each: exactly one attempt opens per order', async () => {
    const keys = await Promise.all([1, 2, 3, 4, 5].map((n) => orderIn('queued', `G-B-RACE-${n}`)));
    for (const key of keys) {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? ledgerA : ledgerB).beginAttempt(key, at(10))));
      assert.equal(results.filter((r) => r.kind === 'started').length, 1, `${key}: one attempt started`);
      assert.ok(results.every((r) => r.kind === 'started' || (r.kind === 'open' && r.attempt === 1)), `${key}: the others see attempt 1 open`);
      assert.equal(await count('attempts', 'order_key = $1', [key]), 1);
      assert.equal((await ledgerA.get(key))?.attempts, 1);
    }
  });
});

describe('finishAttempt: only the open attempt records an outcome', () => {
  test('once the order left `submitting` (declared in doubt elsewhere), a late answer is refused and writes nothing, not even the outbox row', async () => {
    const { key } = await ledgerA.register(order('G-F-1', { portal: 'wellnet' }), 'proof', { xml: '<order/>', now: at(0) });
    assert.equal((await ledgerA.beginAttempt(key, at(1))).kind, 'started');
    // The worker that ran the job again found the attempt open past every deadline.
    assert.equal(await ledgerB.finishAttempt(key, 'in_doubt', { ...attempt(1, 'interrupted'), detail: 'worker stopped during the call' }, { lastError: 'attempt interrupted' }, { now: at(60) }), true);
    const late = await ledgerA.finishAttempt(key, 'confirmed', { ...attempt(1, 'confirmed'), httpStatus: 200 },
      { brpOrderNumber: '7001', invoiceNumber: '9001', ocr: '90012', sumOre: 250_000 }, { dropPayload: true, now: at(61) });
    assert.equal(late, false);
    const rec = await ledgerA.get(key);
    assert.equal(rec?.state, 'in_doubt');
    assert.equal(rec?.brpOrderNumber, undefined);
    assert.equal(rec?.sumOre, undefined);
    assert.notEqual(rec?.payload, undefined, 'the payload stays: an operator may still re-queue it');
    assert.equal(rec?.lastError, 'attempt interrupted');
    assert.deepEqual((await ledgerA.attempts(key)).map((a) => [a.n, a.class, a.httpStatus]), [[1, 'interrupted', undefined]]);
    assert.equal(await count('notifications', 'order_key = $1', [key]), 0, 'Wellnet is told nothing of an outcome that was not recorded');
  });

  test('a stale attempt cannot close a newer one: attempt 1\'s late answer is refused while attempt 2 is open', async () => {
    const key = await orderIn('submitting', 'G-F-2');
    // Policy `retry`: attempt 1 was declared interrupted and attempt 2 opened.
    assert.equal(await ledgerB.finishAttempt(key, 'retrying', attempt(1, 'interrupted'), {}, { now: at(60) }), true);
    const second = await ledgerB.beginAttempt(key, at(61));
    assert.equal(second.kind === 'started' && second.attempt, 2);
    const late = await ledgerA.finishAttempt(key, 'confirmed', { ...attempt(1, 'confirmed'), httpStatus: 200 }, { brpOrderNumber: '7002' }, { dropPayload: true, now: at(62) });
    assert.equal(late, false, 'attempt 1 is closed: its answer does not become attempt 2\'s');
    const rec = await ledgerA.get(key);
    assert.equal(rec?.state, 'submitting');
    assert.equal(rec?.brpOrderNumber, undefined);
    assert.deepEqual((await ledgerA.attempts(key)).map((a) => [a.n, a.class]), [[1, 'interrupted'], [2, 'open']]);
    assert.equal(await ledgerB.finishAttempt(key, 'confirmed', { ...attempt(2, 'confirmed', 61), httpStatus: 200 }, { brpOrderNumber: '7003' }, { dropPayload: true, now: at(63) }), true);
    assert.equal((await ledgerA.get(key))?.brpOrderNumber, '7003');
    assert.deepEqual((await ledgerA.attempts(key)).map((a) => [a.n, a.class]), [[1, 'interrupted'], [2, 'confirmed']]);
  });

  test('two daemons finish the same attempt at once with different outcomes: one is recorded, whole', async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const key = await orderIn('submitting', `G-F-RACE-${n}`);
      const [confirmed, doubt] = await Promise.all([
        ledgerA.finishAttempt(key, 'confirmed', { ...attempt(1, 'confirmed'), httpStatus: 200 }, { brpOrderNumber: `80${n}` }, { dropPayload: true, now: at(5) }),
        ledgerB.finishAttempt(key, 'in_doubt', attempt(1, 'interrupted'), { lastError: 'attempt interrupted' }, { now: at(5) }),
      ]);
      assert.equal(Number(confirmed) + Number(doubt), 1, `${key}: exactly one outcome recorded`);
      const rec = await ledgerA.get(key);
      const cls = (await ledgerA.attempts(key)).map((a) => a.class);
      if (confirmed) {
        assert.equal(rec?.state, 'confirmed');
        assert.equal(rec?.brpOrderNumber, `80${n}`);
        assert.equal(rec?.lastError, undefined);
        assert.deepEqual(cls, ['confirmed']);
      } else {
        assert.equal(rec?.state, 'in_doubt');
        assert.equal(rec?.brpOrderNumber, undefined);
        assert.deepEqual(cls, ['interrupted']);
      }
    }
  });
});

describe('transition: operators\' moves, guarded by the state they start from', () => {
  test('a move into a live state needs the stored order: once its payload is gone it is refused and nothing is written', async () => {
    const { key } = await ledgerA.register(order('G-T-1'), 'proof', { xml: '<order/>', now: at(0) });
    await ledgerA.beginAttempt(key, at(1));
    assert.equal(await ledgerA.finishAttempt(key, 'dead', attempt(1, 'transient'), { lastError: 'HTTP 503' }, { dropPayload: true, now: at(2) }), true);
    await assert.rejects(
      ledgerB.transition(key, ['dead'], 'queued', { actor: 'anna', action: 'requeue', detail: 'requeued' }),
      (err) => isPartnerdError(err, 'PD_ILLEGAL_TRANSITION') && /no stored order to send/.test(err.message),
    );
    assert.equal((await ledgerA.get(key))?.state, 'dead');
    assert.equal(await count('order_actions', 'order_key = $1', [key]), 0, 'no audit row for a move that did not happen');
  });

  test('ten operators on two daemons re-queue one dead order at once: one move, one audit row; the others are told it is queued', async () => {
    for (const n of [1, 2, 3]) {
      const key = await orderIn('dead', `G-T-RACE-${n}`);
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? ledgerA : ledgerB).transition(key, ['dead', 'rejected', 'in_doubt'], 'queued', { actor: `op-${i}`, action: 'requeue', detail: 'requeued' })));
      const moved = results.filter((r) => r.status === 'fulfilled');
      assert.equal(moved.length, 1, `${key}: one operator moved it`);
      assert.equal((moved[0] as PromiseFulfilledResult<OrderState>).value, 'dead');
      for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
        assert.ok(isPartnerdError(r.reason, 'PD_ILLEGAL_TRANSITION') && /is queued, not dead/.test(r.reason.message), String(r.reason));
      }
      assert.equal(await count('order_actions', 'order_key = $1', [key]), 1, `${key}: one audit row`);
      assert.equal((await ledgerA.get(key))?.state, 'queued');
    }
  });
});
