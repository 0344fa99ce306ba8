import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { isPartnerdError } from '../../src/errors.js';
import { createDatabase, type Database } from '../../src/ledger/database.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { migrate } from '../../src/ledger/migrations.js';
import { sampleOrder } from '../../support/orders.js';
import { startPostgres, truncateLedger, type PrivatePostgres } from '../../support/private-postgres.js';
import { testLogger } from '../../support/test-logs.js';

/**
 * The ledger's guard steps, each on its own, against a real PostgreSQL: what the exactly-once
 * promise rests on (one record per key and per portal order, one open attempt, one recorded
 * outcome), even when the same step runs concurrently.
 */

let postgres: PrivatePostgres;
let db: Database;
let ledger: Ledger;
const { logger } = testLogger();
const dbConfig = () => ({ url: postgres.url, poolSize: 20, connectTimeoutMs: 2_000, statementTimeoutMs: 10_000 });

before(async () => {
  postgres = await startPostgres();
  await migrate(dbConfig(), logger);
  db = createDatabase(dbConfig(), logger);
  ledger = Ledger.fromDatabase(db, postgres.url);
});
after(async () => {
  await db.end();
  await postgres.destroy();
});
beforeEach(() => truncateLedger(postgres.url));

describe('register: the exactly-once guard', () => {
  test('twenty concurrent registrations of one order: one record, nineteen duplicates naming it', async () => {
    const order = sampleOrder('EO-1');
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.register(order, 'proof', { xml: '<order/>' })));
    assert.equal(results.filter((r) => r.created).length, 1);
    for (const r of results.filter((r) => !r.created)) {
      assert.deepEqual(r, { key: 't1:benify:EO-1', created: false, state: 'queued', existingKey: 't1:benify:EO-1' });
    }
    const rec = await ledger.get('t1:benify:EO-1');
    assert.equal(rec?.state, 'queued');
    assert.equal(rec?.xmlProof, 'proof');
    assert.equal(rec?.payload?.person.personnummer, '111111-1116', 'the payload is kept while the order may be sent');
  });

  test('one portal order id, whatever tenant routing says: the second tenant gets a duplicate of the first key', async () => {
    assert.equal((await ledger.register(sampleOrder('EO-2', 't1'))).created, true);
    const other = await ledger.register(sampleOrder('EO-2', 't2'));
    assert.deepEqual(other, { key: 't2:benify:EO-2', created: false, state: 'queued', existingKey: 't1:benify:EO-2' });
    assert.equal(await ledger.get('t2:benify:EO-2'), undefined);
    assert.equal(await ledger.keyForPortalOrder('benify', 'EO-2'), 't1:benify:EO-2');
  });

  test('an unroutable order hands its portal order id on only when re-routed from exactly that key', async () => {
    const stub = await ledger.registerUnroutable('benify', 'EO-3', { venueRef: 'x' }, 'unknown venue "x"');
    assert.deepEqual(stub, { key: '~:benify:EO-3', created: true, state: 'unroutable' });
    assert.equal((await ledger.get('~:benify:EO-3'))?.finalAt !== undefined, true, 'unroutable is an outcome with a time');
    assert.equal((await ledger.register(sampleOrder('EO-3'))).created, false, 'without replaceIndexFrom it is a duplicate');
    assert.equal((await ledger.register(sampleOrder('EO-3'), '', { replaceIndexFrom: '~:benify:OTHER' })).created, false);
    const moved = await ledger.register(sampleOrder('EO-3'), '', { replaceIndexFrom: '~:benify:EO-3' });
    assert.equal(moved.created, true);
    assert.equal(await ledger.keyForPortalOrder('benify', 'EO-3'), 't1:benify:EO-3');
  });

  test('a pull portal\'s invalid order is recorded rejected with an outbox entry; push portals\' are not recorded at all', async () => {
    const r = await ledger.registerRejected('t1', { portal: 'wellnet', ordernr: 'EO-4' }, [{ path: 'rows[0].priceOre', message: 'must be an integer' }]);
    assert.equal(r.created, true);
    const rec = await ledger.get('t1:wellnet:EO-4');
    assert.equal(rec?.rejectedBy, 'partnerd');
    assert.deepEqual(rec?.brpError, { errors: [{ message: 'rows[0].priceOre: must be an integer' }] });
    assert.deepEqual(await ledger.claimDueNotifications(10, 60_000), ['t1:wellnet:EO-4']);
  });
});

describe('attempts: one open at a time, one outcome recorded', () => {
  test('ten workers begin the same order at once: one attempt opens, the others see it open', async () => {
    await ledger.register(sampleOrder('EA-1'), 'proof', { xml: '<order/>' });
    const results = await Promise.all(Array.from({ length: 10 }, () => ledger.beginAttempt('t1:benify:EA-1')));
    const started = results.filter((r) => r.kind === 'started');
    assert.equal(started.length, 1);
    assert.ok(results.filter((r) => r.kind !== 'started').every((r) => r.kind === 'open' && r.attempt === 1));
    const s = started[0]!;
    assert.ok(s.kind === 'started');
    assert.equal(s.xml, '<order/>');
    assert.equal(s.payload()?.ordernr, 'EA-1', 'the stored order, parsed on demand');
    const attempts = await ledger.attempts('t1:benify:EA-1');
    assert.deepEqual(attempts.map((a) => [a.n, a.class]), [[1, 'open']], 'the attempt is committed before any call is made');
  });

  test('finishing: only the open attempt, only once; confirmed drops the payload and records BRP\'s numbers', async () => {
    await ledger.register(sampleOrder('EA-2'), 'proof', { xml: '<order/>' });
    const b = await ledger.beginAttempt('t1:benify:EA-2');
    assert.equal(b.kind, 'started');
    const attempt = { n: 1, startedAt: new Date().toISOString(), class: 'confirmed' as const, httpStatus: 200, durationMs: 42 };
    const outcome = { brpOrderNumber: '7001', invoiceNumber: '9001', ocr: '90012', sumOre: 250000, vatSums: [{ ratePercent: 6, amountOre: 14151 }], dueDate: '2026-12-31', invoiceDate: '2026-12-01' };
    const finishes = await Promise.all([1, 2, 3].map(() => ledger.finishAttempt('t1:benify:EA-2', 'confirmed', attempt, outcome, { dropPayload: true })));
    assert.deepEqual(finishes.sort(), [false, false, true]);
    const rec = await ledger.get('t1:benify:EA-2');
    assert.equal(rec?.state, 'confirmed');
    assert.equal(rec?.payload, undefined);
    assert.equal(rec?.xmlProof, undefined);
    assert.equal(rec?.sumOre, 250000);
    assert.equal(rec?.dueDate, '2026-12-31', 'a calendar date, not a UTC timestamp');
    assert.deepEqual(rec?.vatSums, [{ ratePercent: 6, amountOre: 14151 }]);
    assert.ok(rec?.confirmedAt && rec.finalAt);
    assert.deepEqual((await ledger.attempts('t1:benify:EA-2')).map((a) => [a.class, a.httpStatus, a.durationMs]), [['confirmed', 200, 42]]);
    assert.deepEqual(await ledger.beginAttempt('t1:benify:EA-2'), { kind: 'done', state: 'confirmed' }, 'a confirmed order is never sent again');
  });

  test('a wellnet outcome is written to the outbox in the same statement; claims are leased and skip each other', async () => {
    for (const n of [1, 2, 3]) {
      const order = { ...sampleOrder(`EN-${n}`), portal: 'wellnet' as const };
      await ledger.register(order, 'p', { xml: '<order/>' });
      await ledger.beginAttempt(`t1:wellnet:EN-${n}`);
      await ledger.finishAttempt(`t1:wellnet:EN-${n}`, n === 3 ? 'rejected' : 'confirmed', { n: 1, startedAt: new Date().toISOString(), class: 'confirmed' });
    }
    const [a, b] = await Promise.all([ledger.claimDueNotifications(2, 60_000), ledger.claimDueNotifications(2, 60_000)]);
    assert.equal(a.length + b.length, 3);
    assert.equal(new Set([...a, ...b]).size, 3, 'no notification handed to two claimants');
    assert.deepEqual(await ledger.claimDueNotifications(10, 60_000), [], 'leased: not due again yet');
    await ledger.notificationDone('t1:wellnet:EN-1');
    assert.equal(await ledger.notificationFailed('t1:wellnet:EN-2', new Date(Date.now() - 1), 'HTTP 503'), 1);
    assert.deepEqual(await ledger.claimDueNotifications(10, 60_000), ['t1:wellnet:EN-2'], 'a failed one is due again at its retry time');
    assert.deepEqual(await ledger.notifyBacklogByPortal(), [{ portal: 'wellnet', count: 2 }]);
  });
});

describe('operator transitions and the audit trail', () => {
  test('guarded by the current state, recorded with actor and reason; a refused move names the state and writes nothing', async () => {
    await ledger.register(sampleOrder('ET-1'), 'p', { xml: '<order/>' });
    await ledger.beginAttempt('t1:benify:ET-1');
    await ledger.finishAttempt('t1:benify:ET-1', 'dead', { n: 1, startedAt: new Date().toISOString(), class: 'transient' }, { lastError: 'HTTP 503' });
    const from = await ledger.transition('t1:benify:ET-1', ['dead', 'rejected'], 'queued', { actor: 'anna', action: 'requeue', reason: 'BRP back up', detail: 'requeued' });
    assert.equal(from, 'dead');
    await assert.rejects(
      ledger.transition('t1:benify:ET-1', ['dead'], 'queued', { detail: 'again' }),
      (err) => isPartnerdError(err, 'PD_ILLEGAL_TRANSITION') && /is queued, not dead/.test(err.message),
    );
    await assert.rejects(ledger.transition('t1:benify:NOPE', ['dead'], 'queued'), (err) => isPartnerdError(err, 'PD_UNKNOWN_ORDER'));
    const actions = (await ledger.history('t1:benify:ET-1')).filter((e) => e.kind === 'action');
    assert.deepEqual(actions.map((a) => a.kind === 'action' && [a.actor, a.action, a.fromState, a.toState, a.reason]), [['anna', 'requeue', 'dead', 'queued', 'BRP back up']]);
  });

  test('final_at: set on reaching an outcome, kept while it rests there, cleared when it leaves', async () => {
    await ledger.registerUnroutable('sop', 'EF-1', {}, 'unknown venue');
    const first = (await ledger.get('~:sop:EF-1'))!.finalAt;
    await new Promise((r) => setTimeout(r, 5));
    await ledger.transition('~:sop:EF-1', ['unroutable'], 'unroutable', { detail: 'still unroutable' }, { unroutableReason: 'still unknown' });
    const still = (await ledger.get('~:sop:EF-1'))!;
    assert.equal(still.finalAt, first, 'a "still unroutable" note does not move the outcome\'s day');
    assert.equal(still.unroutableReason, 'still unknown');
    await ledger.transition('~:sop:EF-1', ['unroutable'], 'rerouted', { detail: 'routed' }, { routedTo: 't1:sop:EF-1' }, { dropPortalOrder: true });
    const moved = (await ledger.get('~:sop:EF-1'))!;
    assert.equal(moved.finalAt, undefined);
    assert.equal(moved.portalOrder, undefined);
    const day = await ledger.finalBetween('sop', new Date(Date.now() - 60_000), new Date(Date.now() + 60_000));
    assert.deepEqual(day.map((r) => r.key), [], 'an order that left its outcome is not in that day\'s list');
  });
});

describe('transactions and cursors', () => {
  test('everything in a transaction commits together or not at all', async () => {
    await assert.rejects(ledger.transaction(async (tx) => {
      await tx.register(sampleOrder('EX-1'));
      await tx.saveCursor('wellnet', 'c-1');
      throw new Error('boom');
    }), /boom/);
    assert.equal(await ledger.get('t1:benify:EX-1'), undefined);
    assert.equal(await ledger.cursor('wellnet'), undefined);
    await ledger.transaction(async (tx) => {
      await tx.register(sampleOrder('EX-1'));
      await tx.saveCursor('wellnet', 'c-2');
    });
    assert.equal((await ledger.get('t1:benify:EX-1'))?.state, 'queued');
    assert.equal(await ledger.cursor('wellnet'), 'c-2');
  });

  test('lookups: by order number, BRP order number, invoice number, OCR; listings newest change first, keyset-paginated', async () => {
    for (const n of [1, 2, 3]) {
      await ledger.register(sampleOrder(`EL-${n}`), 'p', { xml: '<order/>' });
      await ledger.beginAttempt(`t1:benify:EL-${n}`);
      await ledger.finishAttempt(`t1:benify:EL-${n}`, 'confirmed', { n: 1, startedAt: new Date().toISOString(), class: 'confirmed' },
        { brpOrderNumber: `B${n}`, invoiceNumber: `I${n}`, ocr: `O${n}` }, { now: new Date(Date.UTC(2026, 11, 1, 10, n)) });
    }
    for (const text of ['EL-2', 'B2', 'I2', 'O2', 't1:benify:EL-2']) assert.deepEqual((await ledger.find(text)).map((r) => r.key), ['t1:benify:EL-2'], text);
    const page1 = await ledger.list({ states: ['confirmed'], limit: 2 });
    assert.deepEqual(page1.map((r) => r.ordernr), ['EL-3', 'EL-2']);
    const page2 = await ledger.list({ states: ['confirmed'], limit: 2, after: { updatedAt: page1[1]!.updatedAt, key: page1[1]!.key } });
    assert.deepEqual(page2.map((r) => r.ordernr), ['EL-1']);
    assert.equal((await ledger.countByState()).confirmed, 3);
  });
});

describe('migrations', () => {
  test('five processes migrating an empty database at once: each migration applied and recorded exactly once', async () => {
    const fresh = await startPostgres();
    try {
      const config = { url: fresh.url, poolSize: 2, connectTimeoutMs: 2_000, statementTimeoutMs: 10_000 };
      const results = await Promise.all(Array.from({ length: 5 }, () => migrate(config, logger)));
      assert.equal(results.filter((r) => r.applied.length > 0).length, 1, 'one applied it, the others waited and found it done');
      const client = new pg.Client({ connectionString: fresh.url });
      await client.connect();
      const rows = (await client.query('SELECT name FROM pgmigrations')).rows;
      await client.end();
      assert.equal(rows.length, results.find((r) => r.applied.length > 0)!.applied.length);
    } finally {
      await fresh.destroy();
    }
  });
});

describe('look-ups by outside text', () => {
  test('text no stored id can hold (U+0000, a lone surrogate) is not found, without a store error', async () => {
    await ledger.register(sampleOrder('NUL-1', 't1'));
    for (const text of ['NUL-1\u0000', 'NUL\uD800-1']) {
      assert.equal(await ledger.keyForPortalOrder('benify', text), undefined);
      assert.equal(await ledger.get(`t1:benify:${text}`), undefined);
      assert.deepEqual(await ledger.find(text), []);
    }
    assert.equal(await ledger.keyForPortalOrder('benify', 'NUL-1'), 't1:benify:NUL-1', 'the plain id is still found');
  });
});
