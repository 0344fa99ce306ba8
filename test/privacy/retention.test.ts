import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { CanonicalOrder } from '../../src/domain/canonical-order.js';
import { isPartnerdError } from '../../src/errors.js';
import { createDatabase, type Database } from '../../src/ledger/database.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { migrate } from '../../src/ledger/migrations.js';
import type { OrderState } from '../../src/ledger/order-state.js';
import { PersonalDataStore } from '../../src/ledger/personal-data.js';
import { createPersonHasher } from '../../src/domain/person-hash.js';
import { retentionCutoffs, runRetention } from '../../src/privacy/retention.js';
import { sampleOrder } from '../../support/orders.js';
import { PERSONAL_VALUES } from '../helpers/finance.js';
import { startPipeline, TEST_ERASURE_KEY } from '../../support/pipeline.js';
import { testLogger } from '../../support/test-logs.js';
import { tree } from '../ingest/file-drop/sop-fixtures.js';
import { startPostgres, truncateLedger, type PrivatePostgres } from '../../support/private-postgres.js';

/**
 * Retention against a real ledger and a real S&P folder: personal data of resting orders goes
 * after personalDataDays (exactly those past the limit), live orders are never touched, records
 * go after recordYears ended calendar years, S&P files after fileDays; every run is audited.
 */

let postgres: PrivatePostgres;
let db: Database;
let ledger: Ledger;
const { logger, lines } = testLogger();
const dbConfig = () => ({ url: postgres.url, poolSize: 5, connectTimeoutMs: 2_000, statementTimeoutMs: 10_000 });
const retention = { personalDataDays: 30, fileDays: 10, recordYears: 7, schedule: '30 3 * * *', erasureKey: TEST_ERASURE_KEY };
const NOW = new Date('2026-06-30T12:00:00.000Z');
const CUTOFF = new Date('2026-05-31T12:00:00.000Z'); // NOW - 30 days

before(async () => {
  postgres = await startPostgres();
  await migrate(dbConfig(), logger);
  db = createDatabase(dbConfig(), logger);
  ledger = Ledger.fromDatabase(db, postgres.url, undefined, { personHash: createPersonHasher(TEST_ERASURE_KEY) });
});
after(async () => {
  await db.end();
  await postgres.destroy();
});
beforeEach(() => truncateLedger(postgres.url));

const RESTING: OrderState[] = ['confirmed', 'rejected', 'in_doubt', 'dead', 'unroutable', 'rerouted'];
const LIVE: OrderState[] = ['queued', 'submitting', 'retrying'];

/** An order of the test person in `state`, last changed at `updatedAt`, with what that state holds. */
async function seed(ordernr: string, state: OrderState, updatedAt: Date): Promise<string> {
  let key: string;
  if (state === 'unroutable' || state === 'rerouted') {
    key = (await ledger.registerUnroutable('sop', ordernr, {
      portal: 'sop', ordernr, venueRef: 'okand', organization: { number: '5560160680', name: 'Test Org AB' },
      person: { firstName: 'Tessan', lastName: 'Testsson', personnummer: '19111111-1116', email: 'tessan@test.com' },
      lines: [{ articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250_000, quantity: 1 }], fieldPaths: {},
    }, 'unknown venue "okand"')).key;
  } else {
    const order: CanonicalOrder = { ...sampleOrder(ordernr), person: { ...sampleOrder(ordernr).person, personnummer: '111111+1116' } };
    key = (await ledger.register(order, 'proof', { xml: '<order><personnumber>111111+1116</personnumber><firstname>Tessan</firstname></order>' })).key;
  }
  const confirmed = state === 'confirmed';
  await db.query(
    `UPDATE orders SET state = $2, updated_at = $3, received_at = $3,
       final_at = CASE WHEN $2 IN ('confirmed', 'rejected', 'unroutable') THEN $3::timestamptz END,
       confirmed_at = CASE WHEN $4 THEN $3::timestamptz END,
       payload = CASE WHEN $4 THEN NULL ELSE payload END, xml = CASE WHEN $4 THEN NULL ELSE xml END,
       xml_proof = CASE WHEN $4 THEN NULL ELSE xml_proof END,
       brp_order_number = CASE WHEN $4 THEN '77' END, sum_ore = CASE WHEN $4 THEN 250000 END,
       raw_response = CASE WHEN $4 THEN '<confirmation><personnumber>191111111116</personnumber><firstname>Tessan</firstname>' END,
       review = CASE WHEN $4 THEN 'unparseable 2xx' END,
       brp_error = CASE WHEN $2 = 'rejected' THEN '{"status":400,"errors":[{"message":"Unknown product","code":1030,"debugInfo":"personnumber 111111+1116"}]}'::jsonb END
     WHERE key = $1`,
    [key, state, updatedAt, confirmed],
  );
  await db.query(`INSERT INTO attempts (order_key, n, started_at, ended_at, class, detail) VALUES ($1, 1, $2, $2, 'transient', 'HTTP 503')`, [key, updatedAt]);
  return key;
}

async function row(key: string): Promise<Record<string, unknown>> {
  const r = await db.query('SELECT o.*, row_to_json(o)::text AS all_text FROM orders o WHERE key = $1', [key]);
  return r.rows[0];
}

const PERSONAL_COLUMNS = ['payload', 'xml', 'xml_proof', 'portal_order', 'raw_response', 'person_hash'] as const;

describe('retention: personal data', { concurrency: false }, () => {
  test('strips exactly the resting orders last changed before the limit; live orders and younger ones keep everything', async () => {
    const old = new Date('2026-05-01T00:00:00Z');
    const young = new Date('2026-06-15T00:00:00Z');
    const expired: string[] = [];
    const kept: string[] = [];
    for (const state of RESTING) {
      expired.push(await seed(`OLD-${state}`, state, old));
      kept.push(await seed(`YOUNG-${state}`, state, young));
    }
    // The limit itself: one millisecond before it is past, the limit is not.
    expired.push(await seed('EDGE-past', 'rejected', new Date(CUTOFF.getTime() - 1)));
    kept.push(await seed('EDGE-at', 'rejected', CUTOFF));
    // Live orders, however old: they still need their personal data to reach BRP.
    for (const state of LIVE) kept.push(await seed(`LIVE-${state}`, state, new Date('2025-01-01T00:00:00Z')));

    const before = new Map(await Promise.all(kept.map(async (k) => [k, await row(k)] as const)));
    const expiredBefore = new Map(await Promise.all(expired.map(async (k) => [k, await row(k)] as const)));

    const dry = await runRetention({ database: db, config: { retention, portals: {} }, logger }, { now: NOW, dryRun: true });
    assert.equal(dry.personalData.total, expired.length);
    assert.deepEqual(dry.personalData.byState, { confirmed: 1, rejected: 2, in_doubt: 1, dead: 1, unroutable: 1, rerouted: 1 });
    assert.equal(dry.personalData.cutoff, CUTOFF.toISOString());
    for (const k of expired) assert.deepEqual(await row(k), expiredBefore.get(k), `dry run changed ${k}`);

    const summary = await runRetention({ database: db, config: { retention, portals: {} }, logger }, { now: NOW });
    assert.equal(summary.personalData.total, expired.length);
    assert.deepEqual(summary.personalData.byState, dry.personalData.byState);

    for (const k of expired) {
      const r = await row(k);
      const was = expiredBefore.get(k)!;
      for (const c of PERSONAL_COLUMNS) assert.equal(r[c], null, `${k}.${c}`);
      assert.deepEqual(r.personal_data_removed_at, NOW);
      for (const v of PERSONAL_VALUES) assert.ok(!(r.all_text as string).includes(v), `${k} still holds ${v}`);
      // What finance and the audit need stays.
      for (const c of ['state', 'updated_at', 'final_at', 'confirmed_at', 'brp_order_number', 'sum_ore', 'review', 'organisation_number', 'organisation_name', 'order_total_ore', 'business_unit', 'unroutable_reason']) {
        assert.deepEqual(r[c], was[c], `${k}.${c} kept`);
      }
      if (r.state === 'rejected') assert.deepEqual(r.brp_error, { status: 400, errors: [{ message: 'Unknown product', code: 1030 }] });
      const actions = await db.query('SELECT actor, action, from_state, to_state, detail FROM order_actions WHERE order_key = $1', [k]);
      assert.deepEqual(actions.rows, [{ actor: 'retention', action: 'remove_personal_data', from_state: r.state, to_state: r.state, detail: 'personal data removed: no change for 30 days (retention.personalDataDays)' }]);
      assert.equal((await db.query('SELECT count(*)::int AS n FROM attempts WHERE order_key = $1', [k])).rows[0].n, 1, 'the history stays');
    }
    for (const k of kept) assert.deepEqual(await row(k), before.get(k), `${k} untouched`);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM order_actions WHERE order_key = ANY($1)', [kept])).rows[0].n, 0);

    // Again: nothing left to do.
    const again = await runRetention({ database: db, config: { retention, portals: {} }, logger }, { now: NOW });
    assert.equal(again.personalData.total, 0);
    const audit = await new PersonalDataStore(db).privacyActions();
    assert.deepEqual(audit.map((a) => [a.action, a.actor, a.dryRun]), [['retention', 'retention', false], ['retention', 'retention', false], ['retention', 'retention', true]]);
    const run = lines.find((l) => l.event === 'retention.run' && l.dryRun === false);
    assert.equal(run?.personalDataRemoved, expired.length);
  });

  test('an order whose personal data is gone can never be queued again (a requeue that read it before the removal is refused)', async () => {
    const key = await seed('GONE-1', 'rejected', new Date('2026-05-01T00:00:00Z'));
    await runRetention({ database: db, config: { retention, portals: {} }, logger }, { now: NOW });
    await assert.rejects(
      ledger.transition(key, ['rejected'], 'queued', { action: 'requeue', actor: 'operator', detail: 'test' }),
      (err: unknown) => isPartnerdError(err, 'PD_ILLEGAL_TRANSITION') && /no stored order to send/.test(err.message),
    );
    assert.equal((await row(key)).state, 'rejected');
    // Transitions to a resting state still work (an in-doubt order found in BRP can be resolved).
    const doubt = await seed('GONE-2', 'in_doubt', new Date('2026-05-01T00:00:00Z'));
    await runRetention({ database: db, config: { retention, portals: {} }, logger }, { now: NOW });
    assert.equal(await ledger.transition(doubt, ['in_doubt'], 'confirmed', { action: 'resolve', actor: 'operator', detail: 'test' }), 'in_doubt');
  });
});

describe('retention: records', { concurrency: false }, () => {
  test('records go once recordYears calendar years have ended after the year of their last change; with their history', async () => {
    // NOW is in 2026: 2019 is the oldest year kept (2018 + 7 = 2025 has ended).
    assert.equal(retentionCutoffs(retention, NOW).records.toISOString(), '2018-12-31T23:00:00.000Z');
    const gone = await seed('Y2018', 'confirmed', new Date('2018-12-31T22:59:59.999Z')); // 23:59:59 on 31 Dec in Stockholm
    const kept = await seed('Y2019', 'confirmed', new Date('2018-12-31T23:00:00.000Z')); // 00:00 on 1 Jan 2019
    const live = await seed('Y2015', 'queued', new Date('2015-03-01T00:00:00Z'));
    const rejected = await seed('Y2017', 'rejected', new Date('2017-06-01T00:00:00Z'));
    await db.query(`INSERT INTO notifications (order_key, portal, due_at) VALUES ($1, 'sop', now())`, [gone]);
    await db.query(`INSERT INTO order_actions (order_key, at, actor, action) VALUES ($1, now(), 'operator', 'requeue')`, [rejected]);

    const dry = await runRetention({ database: db, config: { retention, portals: {} }, logger }, { now: NOW, dryRun: true });
    assert.deepEqual([dry.records.total, dry.records.byState], [2, { confirmed: 1, rejected: 1 }]);
    assert.ok(await row(gone), 'a dry run deletes nothing');

    const summary = await runRetention({ database: db, config: { retention, portals: {} }, logger }, { now: NOW });
    assert.deepEqual([summary.records.total, summary.records.byState], [2, { confirmed: 1, rejected: 1 }]);
    for (const k of [gone, rejected]) {
      assert.equal(await row(k), undefined, `${k} deleted`);
      for (const table of ['attempts', 'order_actions', 'notifications', 'portal_orders']) {
        assert.equal((await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE order_key = $1`, [k])).rows[0].n, 0, `${table} of ${k}`);
      }
    }
    assert.ok(await row(kept), 'a record of 2019 is kept');
    assert.equal((await row(live)).state, 'queued', 'a live order is never deleted');
    assert.ok(await ledger.keyForPortalOrder('benify', 'Y2019'));
    // The run is the record of the deletion (the orders' own audit rows went with them).
    const [audit] = await new PersonalDataStore(db).privacyActions(1);
    assert.deepEqual((audit!.summary as { records: unknown }).records, { byState: { confirmed: 1, rejected: 1 }, total: 2, cutoff: '2018-12-31T23:00:00.000Z' });
  });
});

describe('retention: S&P files', { concurrency: false }, () => {
  test('archive, rejected and outbox files older than fileDays are deleted, younger ones kept, the inbox never touched', async () => {
    const root = join(tmpdir(), `partnerd-retention-${process.pid}-${Date.now()}`);
    const now = new Date();
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
    const files: Array<[string, Date]> = [
      ['archive/2020-01-01/old.csv', daysAgo(11)],
      ['archive/2020-01-02/old.csv', daysAgo(10.5)],
      ['archive/2020-01-02/young.csv', daysAgo(9)],
      ['archive/2099-01-01/young.csv', daysAgo(1)],
      ['rejected/old.errors.csv', daysAgo(30)],
      ['rejected/young.errors.csv', daysAgo(2)],
      ['outbox/receipts-old.csv', daysAgo(10.01)],
      ['outbox/receipts-young.csv', daysAgo(9.99)],
      ['inbox/waiting.csv', daysAgo(100)],
    ];
    try {
      for (const [name, mtime] of files) {
        await mkdir(join(root, name, '..'), { recursive: true });
        await writeFile(join(root, name), 'Ordernummer;Personnummer\r\nSP-1;19111111-1116\r\n');
        await utimes(join(root, name), mtime, mtime);
      }
      const config = { retention, portals: { sop: { root, venues: {}, articles: {}, schedule: '*/5 * * * *', receiptsSchedule: '0 6 * * *' } } };
      const dry = await runRetention({ database: db, config, logger }, { now, dryRun: true });
      assert.deepEqual(dry.files?.deleted, ['archive/2020-01-01/old.csv', 'archive/2020-01-02/old.csv', 'outbox/receipts-old.csv', 'rejected/old.errors.csv']);
      assert.equal((await tree(root)).length, files.length, 'a dry run deletes nothing');

      const summary = await runRetention({ database: db, config, logger }, { now });
      assert.deepEqual(summary.files?.deleted, dry.files?.deleted);
      assert.equal(summary.files?.kept, 4);
      assert.deepEqual(await tree(root), ['archive/2020-01-02/young.csv', 'archive/2099-01-01/young.csv', 'inbox/waiting.csv', 'outbox/receipts-young.csv', 'rejected/young.errors.csv']);
      assert.deepEqual((await readdir(join(root, 'archive'))).sort(), ['2020-01-02', '2099-01-01'], 'an old day folder left empty is removed');
      assert.ok((await stat(join(root, 'inbox/waiting.csv'))).isFile());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

test('the daemon runs retention on its schedule (once per tick across replicas), audited as actor retention', async () => {
  const p = await startPipeline({ extra: { retention: { schedule: '* * * * * *' } } });
  try {
    const client = new pg.Client({ connectionString: p.postgres.url });
    await client.connect();
    try {
      const deadline = Date.now() + 10_000;
      let runs = 0;
      while (runs === 0 && Date.now() < deadline) {
        runs = (await client.query(`SELECT count(*)::int AS n FROM privacy_actions WHERE action = 'retention' AND actor = 'retention' AND NOT dry_run`)).rows[0].n;
        if (runs === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(runs >= 1, 'a scheduled run was recorded');
      assert.ok(p.lines.some((l) => l.event === 'retention.run'), 'retention.run logged');
    } finally {
      await client.end();
    }
  } finally {
    await p.close();
  }
});
