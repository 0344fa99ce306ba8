import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { stockholmDateOf } from '../../src/domain/stockholm-date.js';
import { isPartnerdError } from '../../src/errors.js';
import { processSopFile } from '../../src/ingest/file-drop/sop-file-drop.js';
import { PersonalDataStore } from '../../src/ledger/personal-data.js';
import { erase, type ErasureRequest } from '../../src/privacy/erasure.js';
import { createPersonHasher, personnummerPattern } from '../../src/domain/person-hash.js';
import { sampleOrder, sampleOrderInput } from '../../support/orders.js';
import { ledgerCellsMatching } from '../helpers/finance.js';
import { startPipeline, type Pipeline } from '../../support/pipeline.js';
import { drop, resetRoot, sopExtra, sopFile, sopRow, tempRoot, tree } from '../ingest/file-drop/sop-fixtures.js';

/**
 * Erasure on request against a real pipeline: the person's orders from Benify and S&P in every
 * outcome (confirmed, an unreadable 2xx whose raw body echoes the person, rejected by BRP, in
 * doubt, unroutable), a live one, the S&P archive, rejected and inbox files; another person's data
 * beside it that must stay.
 */

const A = { long: '191111111116' }; // the test personnummer (sopRow's and sampleOrderInput's), born 1911
const B = { long: '201212121212' };
const C = { long: '197010632391' }; // a samordningsnummer (day + 60)
const PERSON_B = { firstName: 'Britt', lastName: 'Bsson', personnummer: '201212121212', email: 'britt@example.com', phones: { mobile: '+46700000001' } };
const SOP_B = { 'Förnamn': 'Britt', Efternamn: 'Bsson', Personnummer: '20121212-1212', Utdelningsadress: 'Bgatan 2', Postort: 'Bstad', 'E-post': 'britt@example.com', Mobiltelefon: '070-000 00 01' } as const;
/** A's other personal values: none may be left in the ledger once A is erased. */
const A_VALUES = ['Tessan', 'Testsson', 'tessan@test.com', 'Testgatan', 'Teststad', '0731234567', '46731234567'];

let root: string;
let p: Pipeline;
const today = stockholmDateOf(new Date());
const LIVE_KEY = 'gone:benify:E-LIVE';

function request(target: ErasureRequest['target'], extra: Partial<ErasureRequest> = {}): ErasureRequest {
  return { target, reason: 'DSR-2026-17', actor: 'dpo', ...extra };
}
const run = (r: ErasureRequest) => erase({ database: p.services.database, ledger: p.services.ledger, config: p.services.config, logger: p.services.logger, redis: p.services.redis }, r);

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await p.services.database.query<T>(text, params)).rows;
}

/** Every file below root (but the inbox) that holds any spelling of the number. */
async function filesHolding(long: string, { inbox = false } = {}): Promise<string[]> {
  const re = new RegExp(personnummerPattern(long));
  const out: string[] = [];
  for (const f of await tree(root)) {
    if (!inbox && f.startsWith('inbox/')) continue;
    if (re.test((await readFile(join(root, f))).toString('latin1'))) out.push(f);
  }
  return out;
}

before(async () => {
  root = await tempRoot('erasure');
  await resetRoot(root);
  p = await startPipeline({ extra: sopExtra(root), faults: { scriptByOrdernr: { 'E-UNPARSED': ['malformed-2xx'], 'E-DOUBT': ['timeout-after-commit'] }, hangMs: 2_500 } });
  const accept = async (ordernr: string, overrides: Record<string, unknown> = {}) => {
    const r = await p.services.intake.accept(sampleOrderInput(ordernr, overrides));
    assert.equal(r.status, 'accepted', JSON.stringify(r));
  };
  // Benify: A in every outcome, B and C beside.
  await accept('E-CONF');
  await accept('E-UNPARSED');
  await accept('E-REJ', { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 100 }] });
  await accept('E-DOUBT');
  await accept('B-CONF', { person: PERSON_B });
  await accept('C-CONF', { person: { ...PERSON_B, firstName: 'Cecilia', personnummer: '701063-2391' } });
  // S&P: A and B in one file; A alone (unroutable); A invalid beside B valid; A in a file that is not even UTF-8; A still in the inbox.
  const deps = { root, intake: p.services.portalIntake, logger: p.services.logger };
  await drop(root, 'mixed.csv', sopFile([sopRow('SP-A1'), sopRow('SP-B1', SOP_B), sopRow('SP-A1', { Artikelnummer: 'TOWEL', 'Belopp inkl moms': '10,00' })]));
  await drop(root, 'alone.csv', sopFile([sopRow('SP-A2', { 'Anläggning': 'okand' })]));
  await drop(root, 'invalid.csv', sopFile([sopRow('SP-A3', { Startdatum: '2026-02-30' }), sopRow('SP-B2', SOP_B)]));
  await drop(root, 'latin1.csv', Buffer.from(sopFile([sopRow('SP-A4', { 'Företagsnamn': 'Öst AB' })]), 'latin1'));
  for (const f of ['mixed.csv', 'alone.csv', 'invalid.csv', 'latin1.csv']) await processSopFile(deps, f);
  await drop(root, 'later.csv', sopFile([sopRow('SP-A5')]));

  for (const k of ['t1:benify:E-CONF', 't1:benify:E-UNPARSED', 't1:benify:B-CONF', 't1:benify:C-CONF', 't1:sop:SP-A1', 't1:sop:SP-B1', 't1:sop:SP-B2']) await p.waitForState(k, 'confirmed');
  await p.waitForState('t1:benify:E-REJ', 'rejected');
  await p.waitForState('t1:benify:E-DOUBT', 'in_doubt');
  // An operator's note that names the number (it should not, but free text is free).
  await p.services.ledger.recordAction('t1:benify:E-REJ', { actor: 'operator', action: 'note', detail: 'customer 111111+1116 called about it' });
  // A live order of A: its tenant is gone from the config, so it waits (queued) for it to come back.
  const live = sampleOrder('E-LIVE', 'gone');
  live.person.personnummer = '111111+1116';
  assert.equal((await p.services.ledger.register(live)).created, true);
});

after(async () => {
  await p.close();
  await rm(root, { recursive: true, force: true });
});

const A_KEYS = ['t1:benify:E-CONF', 't1:benify:E-UNPARSED', 't1:benify:E-REJ', 't1:benify:E-DOUBT', 't1:sop:SP-A1', '~:sop:SP-A2', LIVE_KEY].sort();

describe('erasure', { concurrency: false }, () => {
  test('finds the person by every form of the number: 12 or 10 digits, -, + or none, samordningsnummer (dry run: nothing changes)', async () => {
    const before = await sql('SELECT key, row_to_json(o)::text AS t FROM orders o ORDER BY key');
    const filesBefore = await tree(root);
    const keys = async (personnummer: string) => (await run(request({ personnummer }, { dryRun: true }))).orders.map((o) => o.key).sort();
    for (const form of ['191111111116', '19111111-1116', '111111+1116', '19111111+1116', ' 19111111-1116 ']) assert.deepEqual(await keys(form), A_KEYS, form);
    for (const form of ['201212121212', '20121212-1212', '121212-1212', '1212121212']) assert.deepEqual(await keys(form), ['t1:benify:B-CONF', 't1:sop:SP-B1', 't1:sop:SP-B2'], form);
    for (const form of ['197010632391', '19701063-2391', '701063-2391', '7010632391']) assert.deepEqual(await keys(form), ['t1:benify:C-CONF'], form);
    // 111111-1116 is someone born in 2011: not A.
    assert.deepEqual(await keys('111111-1116'), []);

    const dry = await run(request({ personnummer: '19111111-1116' }, { dryRun: true }));
    assert.deepEqual(dry.orders.find((o) => o.key === LIVE_KEY), { key: LIVE_KEY, state: 'queued', outcome: 'refused', why: 'queued: it is still to be sent to BRP, which needs the person to create it' });
    assert.deepEqual(dry.files?.map((f) => [f.file, f.outcome, f.rows]), [
      [`archive/${today}/alone.csv`, 'deleted', 1],
      [`archive/${today}/invalid.csv`, 'rewritten', 1],
      [`archive/${today}/mixed.csv`, 'rewritten', 2],
      ['inbox/later.csv', 'pending', 1],
      ['rejected/latin1.csv', 'deleted', 0],
    ]);
    assert.equal(dry.refused, 2);
    assert.deepEqual(await sql('SELECT key, row_to_json(o)::text AS t FROM orders o ORDER BY key'), before, 'a dry run changes no order');
    assert.deepEqual(await tree(root), filesBefore, 'a dry run changes no file');
    assert.ok((await new PersonalDataStore(p.services.database).privacyActions(1))[0]!.dryRun, 'a dry run is audited too');
  });

  test('refused without a reason, with a personnummer in the reason, for a number that is not one; the number never in the message', async () => {
    await assert.rejects(run(request({ personnummer: '19111111-1116' }, { reason: ' ' })), (err: unknown) => isPartnerdError(err, 'PD_INVALID_ARGUMENT') && /reason/.test(err.message));
    await assert.rejects(run(request({ personnummer: '19111111-1116' }, { reason: 'request from 19111111-1116' })), (err: unknown) => isPartnerdError(err, 'PD_INVALID_ARGUMENT') && !err.message.includes('1116'));
    await assert.rejects(run(request({ personnummer: '19111111-1117' })), (err: unknown) => isPartnerdError(err, 'PD_INVALID_ARGUMENT') && /check digit/.test(err.message) && !err.message.includes('1117'));
    await assert.rejects(run(request({ key: 't1:benify:NOPE' })), (err: unknown) => isPartnerdError(err, 'PD_UNKNOWN_ORDER'));
  });

  test('erases the person\'s orders and S&P rows, refuses the live order and the unread inbox file, audits it; others keep theirs', async () => {
    const bBefore = await sql('SELECT key, row_to_json(o)::text AS t FROM orders o WHERE key LIKE $1 OR key LIKE $2 ORDER BY key', ['%:B-%', '%:SP-B%']);
    const money = await sql('SELECT key, brp_order_number, invoice_number, ocr, sum_ore, sum_ex_vat_ore, vat_sums, order_total_ore, organisation_number, due_date::text FROM orders WHERE key = ANY($1) ORDER BY key', [A_KEYS]);
    const result = await run(request({ personnummer: '111111+1116' }));
    assert.equal(result.refused, 2);
    assert.deepEqual(result.orders.map((o) => [o.key, o.outcome]).sort(), A_KEYS.map((k) => [k, k === LIVE_KEY ? 'refused' : 'erased']));

    for (const key of A_KEYS.filter((k) => k !== LIVE_KEY)) {
      const [r] = await sql<Record<string, unknown>>('SELECT o.*, row_to_json(o)::text AS all_text FROM orders o WHERE key = $1', [key]);
      for (const c of ['payload', 'xml', 'xml_proof', 'portal_order', 'raw_response', 'person_hash']) assert.equal(r![c], null, `${key}.${c}`);
      assert.ok(r!.personal_data_removed_at, `${key}: when its personal data was removed`);
      assert.ok(!new RegExp(personnummerPattern(A.long)).test(r!.all_text as string), `${key} holds the number`);
      for (const v of A_VALUES) assert.ok(!(r!.all_text as string).includes(v), `${key} holds ${v}`);
      const audit = await sql('SELECT actor, action, reason, detail FROM order_actions WHERE order_key = $1 AND action = $2', [key, 'erase']);
      assert.deepEqual(audit, [{ actor: 'dpo', action: 'erase', reason: 'DSR-2026-17', detail: 'personal data erased on request (GDPR art. 17), by personnummer' }]);
    }
    assert.deepEqual(await sql('SELECT detail FROM order_actions WHERE order_key = $1 AND action = $2', ['t1:benify:E-REJ', 'note']), [{ detail: 'customer [raderat] called about it' }]);
    assert.deepEqual(await sql('SELECT key, brp_order_number, invoice_number, ocr, sum_ore, sum_ex_vat_ore, vat_sums, order_total_ore, organisation_number, due_date::text FROM orders WHERE key = ANY($1) ORDER BY key', [A_KEYS]), money, 'financial fields kept');
    assert.deepEqual(await sql('SELECT key, row_to_json(o)::text AS t FROM orders o WHERE key LIKE $1 OR key LIKE $2 ORDER BY key', ['%:B-%', '%:SP-B%']), bBefore, 'B untouched');
    assert.notEqual((await p.services.ledger.get(LIVE_KEY))?.payload, undefined, 'the live order keeps what it needs');

    // The S&P files: A's rows gone, B's kept; the inbox untouched (reported).
    assert.deepEqual(await filesHolding(A.long), []);
    assert.deepEqual(await filesHolding(A.long, { inbox: true }), ['inbox/later.csv']);
    const mixed = await readFile(join(root, 'archive', today, 'mixed.csv'), 'utf8');
    assert.deepEqual(mixed.split('\r\n').slice(1, -1).map((l) => l.split(';')[0]), ['SP-B1']);
    assert.ok(mixed.includes('Britt') && !mixed.includes('Tessan'), 'B\'s row kept, A\'s gone');
    assert.deepEqual((await readFile(join(root, 'archive', today, 'invalid.csv'), 'utf8')).split('\r\n').slice(1, -1).map((l) => l.split(';')[0]), ['SP-B2']);
    assert.ok(!(await tree(root)).includes(`archive/${today}/alone.csv`), 'a file of A alone is deleted');
    assert.ok((await tree(root)).includes('rejected/latin1.errors.csv'), 'the errors file of the unreadable file holds no row: kept');
    // An errors file carries each rejected row's Ordernummer and the problem, never the row itself: nothing of the person to remove.
    assert.ok((await tree(root)).includes('rejected/invalid.errors.csv'), 'the errors file of invalid.csv is kept');
    assert.doesNotMatch(await readFile(join(root, 'rejected', 'invalid.errors.csv'), 'utf8'), /1111111116|111111[-+]1116|Tessan|Testsson/);

    // The audit of the request: who, why, which orders and files; never the number.
    const [action] = await new PersonalDataStore(p.services.database).privacyActions(1);
    assert.deepEqual([action!.action, action!.actor, action!.reason, action!.dryRun], ['erasure', 'dpo', 'DSR-2026-17', false]);
    assert.ok(!new RegExp(personnummerPattern(A.long)).test(JSON.stringify(action)), 'the audit holds no number');
    assert.ok(p.lines.some((l) => l.event === 'privacy.erasure' && Array.isArray(l.erased) && (l.erased as string[]).includes('t1:benify:E-CONF')), 'privacy.erasure logged');
  });

  test('in flight (submitting) is refused too; once the order has an outcome and the inbox was read, no trace of the number is left anywhere', async () => {
    const begun = await p.services.ledger.beginAttempt(LIVE_KEY);
    assert.equal(begun.kind, 'started');
    const inFlight = await run(request({ personnummer: '191111111116' }));
    assert.deepEqual(inFlight.orders.filter((o) => o.outcome === 'refused'), [{ key: LIVE_KEY, state: 'submitting', outcome: 'refused', why: 'submitting: a call to BRP with the order is in flight' }]);
    // BRP answered; S&P's file was read (here: taken out of the inbox by S&P).
    await p.services.ledger.finishAttempt(LIVE_KEY, 'confirmed', { n: 1, startedAt: new Date().toISOString(), class: 'confirmed' }, { brpOrderNumber: '900', sumOre: 250_000 }, { dropPayload: true });
    await rm(join(root, 'inbox', 'later.csv'));

    const done = await run(request({ personnummer: '19111111-1116' }));
    assert.deepEqual(done.orders.map((o) => [o.key, o.outcome]), [[LIVE_KEY, 'erased']], 'the others have nothing left to find');
    assert.equal(done.refused, 0);

    // Every text and JSON column of every table of the ledger, and every S&P file.
    assert.deepEqual(await ledgerCellsMatching(p.postgres.url, personnummerPattern(A.long)), []);
    for (const v of A_VALUES) assert.deepEqual(await ledgerCellsMatching(p.postgres.url, v), [], v);
    assert.deepEqual(await filesHolding(A.long, { inbox: true }), []);
    // B and C can still be found (confirmed orders keep no number in plain text, only the hash).
    const hash = createPersonHasher(p.services.config.retention.erasureKey);
    assert.equal((await sql<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE person_hash = $1', [hash(B.long)]))[0]?.n, 3);
    assert.equal((await sql<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE person_hash = $1', [hash(C.long)]))[0]?.n, 1);
    assert.equal((await sql<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE person_hash = $1', [hash(A.long)]))[0]?.n, 0);
  });

  test('by key: that order only, and its rows in the S&P files; a live key refused', async () => {
    const r = await run(request({ key: 't1:sop:SP-B1' }, { reason: 'DSR-2026-18' }));
    assert.deepEqual(r.orders, [{ key: 't1:sop:SP-B1', state: 'confirmed', outcome: 'erased' }]);
    assert.deepEqual(r.files?.map((f) => [f.file, f.outcome, f.rows]), [[`archive/${today}/mixed.csv`, 'deleted', 1]]);
    const [b1] = await sql<{ person_hash: string | null }>('SELECT person_hash FROM orders WHERE key = $1', ['t1:sop:SP-B1']);
    assert.equal(b1?.person_hash, null);
    const others = await sql<{ key: string }>('SELECT key FROM orders WHERE person_hash IS NOT NULL AND key LIKE $1 ORDER BY key', ['%B%']);
    assert.deepEqual(others.map((o) => o.key), ['t1:benify:B-CONF', 't1:sop:SP-B2']);
    assert.deepEqual(await filesHolding(B.long), [`archive/${today}/invalid.csv`], 'SP-B2 is still in its file');

    const live = sampleOrder('E-LIVE-2', 'gone');
    await p.services.ledger.register(live);
    const refused = await run(request({ key: 'gone:benify:E-LIVE-2' }));
    assert.deepEqual([refused.refused, refused.orders[0]?.outcome, refused.orders[0]?.state], [1, 'refused', 'queued']);
    assert.notEqual((await p.services.ledger.get('gone:benify:E-LIVE-2'))?.payload, undefined);
  });
});
