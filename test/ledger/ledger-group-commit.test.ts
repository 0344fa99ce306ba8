import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Portal } from '../../src/domain/canonical-order.js';
import { createDatabase, type Database } from '../../src/ledger/database.js';
import { Ledger, type OrderOutcome } from '../../src/ledger/ledger.js';
import { migrate } from '../../src/ledger/migrations.js';
import type { AttemptRecord, OrderState } from '../../src/ledger/order-state.js';
import { sampleOrder } from '../../support/orders.js';
import { startPostgres, truncateLedger, type PrivatePostgres } from '../../support/private-postgres.js';
import { testLogger } from '../../support/test-logs.js';

/**
 * Group commit on a real PostgreSQL (ledger/group-commit.ts): orders registered, opened and
 * closed at the same moment share statements, and still each gets exactly its own record, its
 * own attempt and its own outcome; one order the database refuses fails alone.
 */

let postgres: PrivatePostgres;
let db: Database;
let ledger: Ledger;
/** Statements the ledger sent through the pool since the last reset. */
let statements = 0;
const { logger } = testLogger();
const dbConfig = () => ({ url: postgres.url, poolSize: 10, connectTimeoutMs: 2_000, statementTimeoutMs: 10_000 });

before(async () => {
  postgres = await startPostgres();
  await migrate(dbConfig(), logger);
  db = createDatabase(dbConfig(), logger);
  const counted = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'query') return (...args: Parameters<Database['query']>) => (statements++, (target.query as (...a: unknown[]) => unknown)(...args));
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  ledger = Ledger.fromDatabase(counted, postgres.url);
});
after(async () => {
  await db.end();
  await postgres.destroy();
});
beforeEach(async () => {
  await truncateLedger(postgres.url);
  statements = 0;
});

const N = 40;
const nrs = Array.from({ length: N }, (_, i) => `GC-${i}`);
const keyOf = (nr: string, portal: Portal = 'benify') => `t1:${portal}:${nr}`;
const attemptOf = (n: number, cls: AttemptRecord['class'], durationMs: number): AttemptRecord => ({ n, startedAt: new Date().toISOString(), class: cls, httpStatus: 200, durationMs });

async function registerAll(portal: Portal = 'benify'): Promise<void> {
  const results = await Promise.all(nrs.map((nr) => ledger.register({ ...sampleOrder(nr), portal }, `proof-${nr}`, { xml: `<order n="${nr}"/>` })));
  assert.ok(results.every((r) => r.created));
}

describe('group commit against PostgreSQL', () => {
  test('forty orders at once: registered, opened and closed in far fewer statements, each with its own values', async () => {
    await registerAll();
    const registered = statements;
    const begun = await Promise.all(nrs.map((nr) => ledger.beginAttempt(keyOf(nr))));
    const opened = statements - registered;
    for (const [i, b] of begun.entries()) {
      assert.equal(b.kind, 'started');
      if (b.kind !== 'started') continue;
      assert.equal(b.attempt, 1);
      assert.equal(b.xmlProof, `proof-GC-${i}`, 'each order gets its own stored document back');
      assert.equal(b.xml, `<order n="GC-${i}"/>`);
      assert.equal(b.payload()?.ordernr, `GC-${i}`);
    }
    const outcome = (i: number): OrderOutcome => ({
      brpOrderNumber: `B${i}`, invoiceNumber: `I${i}`, ocr: `${1000 + i}`, sumOre: 1000 * i, sumExVatOre: 800 * i,
      vatSums: [{ ratePercent: 25, amountOre: 200 * i }], invoiceDate: '2026-12-01', dueDate: `2026-12-${String(1 + (i % 28)).padStart(2, '0')}`,
    });
    const before = statements;
    const finished = await Promise.all(nrs.map((nr, i) => ledger.finishAttempt(keyOf(nr), 'confirmed', attemptOf(1, 'confirmed', i), outcome(i), { dropPayload: true })));
    const closed = statements - before;
    assert.ok(finished.every((f) => f === true));
    assert.ok(registered < N / 2 && opened < N / 2 && closed < N / 2, `statements: ${registered} to register, ${opened} to open, ${closed} to close ${N} orders`);

    for (const [i, nr] of nrs.entries()) {
      const rec = await ledger.get(keyOf(nr));
      assert.equal(rec?.state, 'confirmed');
      assert.equal(rec?.brpOrderNumber, `B${i}`);
      assert.equal(rec?.ocr, `${1000 + i}`);
      assert.equal(rec?.sumOre, 1000 * i);
      assert.equal(rec?.dueDate, outcome(i).dueDate);
      assert.deepEqual(rec?.vatSums, [{ ratePercent: 25, amountOre: 200 * i }]);
      assert.equal(rec?.payload, undefined);
      assert.deepEqual((await ledger.attempts(keyOf(nr))).map((a) => [a.n, a.class, a.durationMs]), [[1, 'confirmed', i]]);
    }
  });

  test('different outcomes in the same moment: each order moves to its own state, only the told outcomes reach the outbox', async () => {
    await registerAll('wellnet');
    await Promise.all(nrs.map((nr) => ledger.beginAttempt(keyOf(nr, 'wellnet'))));
    const plan: Array<[OrderState, AttemptRecord['class'], OrderOutcome]> = [
      ['confirmed', 'confirmed', { brpOrderNumber: 'B', invoiceNumber: 'I', ocr: '1' }],
      ['rejected', 'rejected', { brpError: { status: 400, errors: [{ code: 7, message: 'no such article' }] } }],
      ['retrying', 'transient', { lastError: 'HTTP 503' }],
      ['queued', 'throttled', {}],
    ];
    await Promise.all(nrs.map((nr, i) => {
      const [next, cls, outcome] = plan[i % plan.length]!;
      return ledger.finishAttempt(keyOf(nr, 'wellnet'), next, attemptOf(1, cls, 5), outcome, { dropPayload: next === 'confirmed' });
    }));
    for (const [i, nr] of nrs.entries()) {
      const [next, cls, outcome] = plan[i % plan.length]!;
      const rec = await ledger.get(keyOf(nr, 'wellnet'));
      assert.equal(rec?.state, next, nr);
      assert.equal(rec?.brpOrderNumber, outcome.brpOrderNumber, nr);
      assert.deepEqual(rec?.brpError, outcome.brpError, nr);
      assert.equal(rec?.lastError, outcome.lastError, nr);
      assert.equal(rec?.payload === undefined, next === 'confirmed', `${nr}: the payload is dropped only when confirmed`);
      assert.equal((await ledger.attempts(keyOf(nr, 'wellnet')))[0]?.class, cls, nr);
    }
    const due = await ledger.claimDueNotifications(100, 60_000);
    assert.deepEqual(due.sort(), nrs.filter((_, i) => i % plan.length < 2).map((nr) => keyOf(nr, 'wellnet')).sort(), 'confirmed and rejected are told, the others not');
  });

  test('one outcome PostgreSQL refuses fails only its own order; the others sharing the moment are recorded', async () => {
    await registerAll();
    await Promise.all(nrs.map((nr) => ledger.beginAttempt(keyOf(nr))));
    const results = await Promise.allSettled(nrs.map((nr, i) =>
      ledger.finishAttempt(keyOf(nr), 'confirmed', attemptOf(1, 'confirmed', 1), { brpOrderNumber: `B${i}`, dueDate: i === 7 ? '2026-13-45' : '2026-12-31' })));
    assert.equal(results[7]!.status, 'rejected');
    assert.match(String((results[7] as PromiseRejectedResult).reason), /date/);
    for (const [i, r] of results.entries()) if (i !== 7) assert.deepEqual(r, { status: 'fulfilled', value: true }, nrs[i]!);
    const refused = await ledger.get(keyOf('GC-7'));
    assert.equal(refused?.state, 'submitting', 'nothing was written for it: its attempt is still open');
    assert.equal(refused?.brpOrderNumber, undefined);
    assert.equal((await ledger.get(keyOf('GC-8')))?.brpOrderNumber, 'B8');
  });

  test('the same portal order twice in one moment: one record, the other a duplicate naming it', async () => {
    const results = await Promise.all([
      ledger.register(sampleOrder('GC-DUP', 't1')), ledger.register(sampleOrder('GC-DUP', 't2')),
      ledger.register(sampleOrder('GC-OTHER', 't1')), ledger.register(sampleOrder('GC-DUP', 't1')),
    ]);
    assert.deepEqual(results.map((r) => r.created), [true, false, true, false]);
    assert.deepEqual(results[1], { key: 't2:benify:GC-DUP', created: false, state: 'queued', existingKey: 't1:benify:GC-DUP' });
    assert.deepEqual(results[3], { key: 't1:benify:GC-DUP', created: false, state: 'queued', existingKey: 't1:benify:GC-DUP' });
  });
});
