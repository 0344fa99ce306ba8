import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stockholmDateOf } from '../../../src/domain/stockholm-date.js';
import { processSopFile, scanSopInbox, type SopFileDropDeps } from '../../../src/ingest/file-drop/sop-file-drop.js';
import { createSopIngest } from '../../../src/ingest/file-drop/sop-ingest.js';
import type { PortalIntake } from '../../../src/ingest/portal-intake.js';
import type { PortalOrder } from '../../../src/portals/portal-order.js';
import { SOP_HEADER } from '../../../src/portals/sop.js';
import { events, startPipeline, type Pipeline } from '../../../support/pipeline.js';
import { TEST_PERSONNUMMER } from '../../../support/orders.js';
import { contractExample, drop, HEADER_LINE, resetRoot, sopExtra, sopFile, sopRow, tempRoot, tree } from './sop-fixtures.js';

/**
 * The S&P inbox end to end: real files in a temporary folder, real Redis, the real daemon and the
 * BRP simulator, so orders reach `confirmed` and the simulator shows how many BRP orders exist.
 */

let root: string;
let p: Pipeline;

before(async () => {
  root = await tempRoot('sop-drop');
  p = await startPipeline({ extra: sopExtra(root) });
});
after(async () => {
  await p.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(async () => { await resetRoot(root); });

const today = () => stockholmDateOf(new Date());
const key = (ordernr: string) => `t1:sop:${ordernr}`;
const sopIngest = () => createSopIngest(p.services, { lockWaitMs: 5_000 });

/** The intake, recording every PortalOrder handed to it. */
function recordingIntake(seen: PortalOrder[]): Pick<PortalIntake, 'ingest'> {
  return { ingest: (order, options) => { seen.push(order); return p.services.portalIntake.ingest(order, options); } };
}

function deps(intake: Pick<PortalIntake, 'ingest'> = p.services.portalIntake): SopFileDropDeps {
  return { root, intake, logger: p.services.logger };
}

describe('S&P file drop', { concurrency: false }, () => {
  test('the contract example: parsed exactly, both orders confirmed, the file archived unchanged', async () => {
    const content = contractExample();
    await drop(root, 'orders-20261120.csv', content);
    const seen: PortalOrder[] = [];
    const summary = await scanSopInbox(deps(recordingIntake(seen)));

    assert.deepEqual(summary, {
      files: [{
        file: 'orders-20261120.csv', outcome: 'archived', rows: 3, orders: 2, accepted: 2, duplicate: 0, unroutable: 0, rejected: 0,
        movedTo: `archive/${today()}/orders-20261120.csv`,
      }],
    });
    assert.deepEqual(seen, [
      {
        portal: 'sop', ordernr: 'SP-100045', venueRef: 'odenplan',
        organization: { number: '556123-4567', name: 'Test Org AB' },
        person: {
          firstName: 'Tessan', lastName: 'Testsson', personnummer: '19111111-1116',
          address: { street: 'Testgatan 4', postalCode: '123 45', city: 'Teststad', country: 'SE' },
          email: 'tessan@test.com', phones: { mobile: '073-123 45 67' },
        },
        lines: [
          { articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 1, renew: false },
          { articleCode: 'TOWEL', startDay: '2026-12-01', priceIncVatOre: 1000, quantity: 1, renew: false },
        ],
        fieldPaths: seen[0]!.fieldPaths,
      },
      {
        portal: 'sop', ordernr: 'SP-100046', venueRef: 'gbg-city',
        organization: { number: '5560160680', name: 'Bröderna "Ek" & Söner; AB' },
        person: {
          firstName: 'Åsa', lastName: 'Öberg', personnummer: '201212121212',
          address: { street: 'Storgatan 1', postalCode: '41101', city: 'Göteborg', country: 'SE' },
        },
        lines: [{ articleCode: 'CLIP-10', startDay: '2026-11-21', priceIncVatOre: 195050, quantity: 1, renew: false }],
        fieldPaths: seen[1]!.fieldPaths,
      },
    ]);
    assert.equal(seen[0]!.fieldPaths['person.personnummer'], '2:Personnummer');
    assert.equal(seen[0]!.fieldPaths['lines[1].priceIncVatOre'], '3:Belopp inkl moms');
    assert.equal(seen[1]!.fieldPaths['organization.name'], '4:Företagsnamn');

    const a = await p.waitForState(key('SP-100045'), 'confirmed');
    const b = await p.waitForState(key('SP-100046'), 'confirmed');
    assert.equal(a.sumOre, 251000);
    assert.equal(b.sumOre, 195050);
    const [simA] = p.sim.orders({ ordernr: 'SP-100045' });
    const [simB] = p.sim.orders({ ordernr: 'SP-100046' });
    assert.deepEqual([simA?.origin, simA?.businessUnit, simA?.sum], ['sop', '1', 251000]);
    assert.deepEqual([simB?.origin, simB?.businessUnit, simB?.sum], ['sop', '2', 195050]);

    assert.deepEqual(await tree(root), [`archive/${today()}/orders-20261120.csv`]);
    assert.equal(await readFile(join(root, 'archive', today(), 'orders-20261120.csv'), 'utf8'), content);
    const logged = events(p.lines, 'sop.file.processed').filter((l) => l.file === 'orders-20261120.csv');
    assert.equal(logged.length, 1);
    assert.deepEqual(
      [logged[0]!.rows, logged[0]!.orders, logged[0]!.accepted, logged[0]!.duplicate, logged[0]!.unroutable, logged[0]!.rejected],
      [3, 2, 2, 0, 0, 0],
    );
  });

  test('bad rows: each bad order is rejected whole into rejected/NAME.errors.csv, the others go ahead', async () => {
    const rows = [
      sopRow('SP-200', { Artikelnummer: 'GYM-12M' }), // line 2: fine, but its order has a bad line 4
      sopRow('SP-201'), // line 3: fine
      sopRow('SP-200', { Artikelnummer: 'TOWEL', 'Belopp inkl moms': 'tio kronor', 'Förnya': 'kanske' }), // line 4: adapter errors
      sopRow('SP-202', { Personnummer: '19111111-1117' }), // line 5: check digit (found by the intake's validation)
      'SP-203;2026-11-20;"kort; rad"', // line 6: three fields
      sopRow('SP-204', { 'Anläggning': 'okand' }), // line 7: unroutable, stored: not a bad row
    ];
    await drop(root, 'mixed.csv', sopFile(rows));
    const summary = await sopIngest().scanOnce();
    assert.deepEqual(summary.files, [{
      file: 'mixed.csv', outcome: 'archived', rows: 6, orders: 5, accepted: 1, duplicate: 0, unroutable: 1, rejected: 3,
      errorsFile: 'rejected/mixed.errors.csv', movedTo: `archive/${today()}/mixed.csv`,
    }]);

    // Only the Ordernummer of each row: the errors file never repeats a name, personnummer or address.
    const rest = SOP_HEADER.slice(1).map(() => '').join(';');
    assert.equal(
      await readFile(join(root, 'rejected', 'mixed.errors.csv'), 'utf8'),
      [
        `${HEADER_LINE};Radnummer;Fel`,
        `SP-200;${rest};2;ordern avvisad: fel på rad 4`,
        `SP-200;${rest};4;Belopp inkl moms: amount is not a decimal number of kronor | Förnya: must be Ja, Nej or empty`,
        `SP-202;${rest};5;Personnummer: personnummer check digit does not match`,
        `SP-203;${rest};6;raden har 3 fält, rubrikraden har 18`,
        '',
      ].join('\r\n'),
    );
    await p.waitForState(key('SP-201'), 'confirmed');
    assert.equal((await p.services.ledger.get('~:sop:SP-204'))?.state, 'unroutable');
    for (const nr of ['SP-200', 'SP-202', 'SP-203']) {
      assert.equal(await p.services.ledger.keyForPortalOrder('sop', nr), undefined, `${nr} is not stored`);
      assert.equal(p.sim.orders({ ordernr: nr }).length, 0);
    }
    assert.deepEqual(await tree(root), [`archive/${today()}/mixed.csv`, 'rejected/mixed.errors.csv']);

    const rejectedLogs = events(p.lines, 'sop.order.rejected').filter((l) => l.file === 'mixed.csv');
    assert.deepEqual(rejectedLogs.map((l) => [l.ordernr, l.lines, l.badLines]), [
      ['SP-200', [2, 4], [4]], ['SP-202', [5], [5]], ['SP-203', [6], [6]],
    ]);
    const logText = JSON.stringify(p.lines);
    for (const pn of [...TEST_PERSONNUMMER, '19111111-1117', '191111111116']) assert.ok(!logText.includes(pn), 'no personnummer in logs');
  });

  test('only complete *.csv files directly in the inbox are read: .part, other files, hidden files and folders are left alone', async () => {
    await drop(root, 'upload.csv.part', sopFile([sopRow('SP-300')]));
    await drop(root, 'notes.txt', 'hej');
    await drop(root, '.hidden.csv', sopFile([sopRow('SP-301')]));
    await mkdir(join(root, 'inbox', 'sub.csv'), { recursive: true });
    await writeFile(join(root, 'inbox', 'sub.csv', 'inner.csv'), sopFile([sopRow('SP-302')]));

    assert.deepEqual(await sopIngest().scanOnce(), { files: [] });
    const before = await tree(root);
    assert.deepEqual(before, ['inbox/.hidden.csv', 'inbox/notes.txt', 'inbox/sub.csv/inner.csv', 'inbox/upload.csv.part']);
    for (const nr of ['SP-300', 'SP-301', 'SP-302']) assert.equal(await p.services.ledger.keyForPortalOrder('sop', nr), undefined);

    // The upload completes: renamed to .csv, it is read on the next scan.
    await rename(join(root, 'inbox', 'upload.csv.part'), join(root, 'inbox', 'upload.csv'));
    const summary = await sopIngest().scanOnce();
    assert.deepEqual(summary.files.map((f) => [f.file, f.outcome, f.accepted]), [['upload.csv', 'archived', 1]]);
    await p.waitForState(key('SP-300'), 'confirmed');
  });

  test('oldest file first', async () => {
    await drop(root, 'b.csv', sopFile([sopRow('SP-310')]));
    await drop(root, 'a.csv', sopFile([sopRow('SP-311')]));
    const { utimes } = await import('node:fs/promises');
    await utimes(join(root, 'inbox', 'b.csv'), new Date('2026-11-20T08:00:00Z'), new Date('2026-11-20T08:00:00Z'));
    await utimes(join(root, 'inbox', 'a.csv'), new Date('2026-11-20T09:00:00Z'), new Date('2026-11-20T09:00:00Z'));
    const summary = await sopIngest().scanOnce();
    assert.deepEqual(summary.files.map((f) => f.file), ['b.csv', 'a.csv']);
  });

  test('the same file again (re-dropped after the archive, or under another name) creates no new BRP order', async () => {
    const content = sopFile([sopRow('SP-320'), sopRow('SP-320', { Artikelnummer: 'TOWEL', 'Belopp inkl moms': '10,00' })], '\n');
    await drop(root, 'once.csv', content);
    assert.deepEqual((await sopIngest().scanOnce()).files.map((f) => [f.accepted, f.duplicate]), [[1, 0]]);
    await p.waitForState(key('SP-320'), 'confirmed');

    await drop(root, 'once.csv', content);
    await drop(root, 'copy.csv', content);
    const again = await sopIngest().scanOnce();
    assert.deepEqual(again.files.map((f) => [f.file, f.outcome, f.accepted, f.duplicate, f.movedTo]).sort(), [
      ['copy.csv', 'archived', 0, 1, `archive/${today()}/copy.csv`],
      ['once.csv', 'archived', 0, 1, `archive/${today()}/once-2.csv`],
    ]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(p.sim.orders({ ordernr: 'SP-320' }).length, 1);
    assert.deepEqual(await tree(root), [`archive/${today()}/copy.csv`, `archive/${today()}/once-2.csv`, `archive/${today()}/once.csv`]);
    for (const name of ['copy.csv', 'once-2.csv', 'once.csv']) assert.equal(await readFile(join(root, 'archive', today(), name), 'utf8'), content);
  });

  test('a crash in the middle of a file: it stays in the inbox; the next scan reads it whole, finds the duplicate, then archives', async () => {
    await drop(root, 'crash.csv', sopFile([sopRow('SP-330'), sopRow('SP-331', { Artikelnummer: 'TOWEL', 'Belopp inkl moms': '10,00 kr' }), sopRow('SP-332', { Personnummer: 'x' })]));
    let calls = 0;
    const crashing: Pick<PortalIntake, 'ingest'> = {
      ingest: async (order, options) => {
        if (++calls === 2) throw new Error('simulated crash: Redis went away');
        return p.services.portalIntake.ingest(order, options);
      },
    };
    const first = await scanSopInbox(deps(crashing));
    assert.deepEqual(first.files, [{ file: 'crash.csv', outcome: 'failed', rows: 3, orders: 3, accepted: 1, duplicate: 0, unroutable: 0, rejected: 0 }]);
    assert.deepEqual(await tree(root), ['inbox/crash.csv'], 'not archived, no errors file yet');
    assert.equal(events(p.lines, 'sop.file.failed').filter((l) => l.file === 'crash.csv').length, 1);
    await p.waitForState(key('SP-330'), 'confirmed');

    const second = await sopIngest().scanOnce();
    assert.deepEqual(second.files, [{
      file: 'crash.csv', outcome: 'archived', rows: 3, orders: 3, accepted: 1, duplicate: 1, unroutable: 0, rejected: 1,
      errorsFile: 'rejected/crash.errors.csv', movedTo: `archive/${today()}/crash.csv`,
    }]);
    await p.waitForState(key('SP-331'), 'confirmed');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(p.sim.orders({ ordernr: 'SP-330' }).length, 1);
    assert.equal(p.sim.orders({ ordernr: 'SP-331' }).length, 1);
    assert.deepEqual(await tree(root), [`archive/${today()}/crash.csv`, 'rejected/crash.errors.csv']);
  });

  test('a crash after the errors file but before the archive: the re-run writes the same errors file and archives', async () => {
    const content = sopFile([sopRow('SP-340', { Personnummer: '19111111-1117' }), sopRow('SP-341')]);
    await drop(root, 'half.csv', content);
    await processSopFile(deps(), 'half.csv');
    const errors = await readFile(join(root, 'rejected', 'half.errors.csv'), 'utf8');
    // As if the process died before the move: the file is back in the inbox.
    await rename(join(root, 'archive', today(), 'half.csv'), join(root, 'inbox', 'half.csv'));
    await rm(join(root, 'archive'), { recursive: true });
    const again = await processSopFile(deps(), 'half.csv');
    assert.deepEqual([again.outcome, again.accepted, again.duplicate, again.rejected], ['archived', 0, 1, 1]);
    assert.equal(await readFile(join(root, 'rejected', 'half.errors.csv'), 'utf8'), errors);
    assert.deepEqual(await tree(root), [`archive/${today()}/half.csv`, 'rejected/half.errors.csv']);
  });

  test('a header without a required column: the whole file is rejected and moved to rejected/', async () => {
    const header = SOP_HEADER.filter((c) => c !== 'Personnummer');
    const content = `${header.join(';')}\r\nSP-350;2026-11-20\r\n`;
    await drop(root, 'noheader.csv', content);
    let called = 0;
    const summary = await scanSopInbox(deps({ ingest: async () => { called++; throw new Error('must not be called'); } }));
    assert.deepEqual(summary.files, [{
      file: 'noheader.csv', outcome: 'rejected', rows: 0, orders: 0, accepted: 0, duplicate: 0, unroutable: 0, rejected: 0,
      errorsFile: 'rejected/noheader.errors.csv', movedTo: 'rejected/noheader.csv',
    }]);
    assert.equal(called, 0);
    assert.equal(
      await readFile(join(root, 'rejected', 'noheader.errors.csv'), 'utf8'),
      `${HEADER_LINE};Radnummer;Fel\r\n${SOP_HEADER.map(() => '').join(';')};1;` +
        `"header row not recognised (line 1; expected columns ${SOP_HEADER.join(', ')}; missing Personnummer)"\r\n`,
    );
    assert.equal(await readFile(join(root, 'rejected', 'noheader.csv'), 'utf8'), content);
    assert.deepEqual(await tree(root), ['rejected/noheader.csv', 'rejected/noheader.errors.csv']);
    assert.equal(events(p.lines, 'sop.file.rejected').filter((l) => l.file === 'noheader.csv').length, 1);
  });

  test('a file saved with CR-only line ends (Excel "CSV (Macintosh)") is read like any other', async () => {
    const content = sopFile([sopRow('SP-370'), sopRow('SP-370', { Artikelnummer: 'TOWEL', 'Belopp inkl moms': '10,00' }), sopRow('SP-371')], '\r');
    await drop(root, 'mac.csv', content);
    const summary = await sopIngest().scanOnce();
    assert.deepEqual(summary.files.map((f) => [f.file, f.outcome, f.rows, f.orders, f.accepted, f.rejected]), [['mac.csv', 'archived', 3, 2, 2, 0]]);
    await p.waitForState(key('SP-370'), 'confirmed');
    await p.waitForState(key('SP-371'), 'confirmed');
  });

  test('a file whose first row is not the header: rejected, and no log line or errors file quotes any of it', async () => {
    const rows = [sopRow('SP-380'), sopRow('SP-380', { Artikelnummer: 'TOWEL' }), sopRow('SP-381', { 'Förnamn': 'Åsa', Efternamn: 'Öberg' })];
    await drop(root, 'headless.csv', `${rows.join('\r\n')}\r\n`);
    const summary = await sopIngest().scanOnce();
    assert.deepEqual(summary.files.map((f) => [f.file, f.outcome]), [['headless.csv', 'rejected']]);
    const errors = await readFile(join(root, 'rejected', 'headless.errors.csv'), 'utf8');
    const logged = JSON.stringify(events(p.lines, 'sop.file.rejected').filter((l) => l.file === 'headless.csv'));
    assert.match(logged, /header row not recognised \(line 1; expected columns/);
    for (const value of ['Tessan', 'Testsson', 'Åsa', 'Öberg', '19111111-1116', 'Testgatan', 'tessan@test.com', '073-123 45 67', 'Teststad', 'SP-380', 'SP-381']) {
      assert.ok(!errors.includes(value), `the errors file quotes ${value}`);
      assert.ok(!logged.includes(value), `the log line quotes ${value}`);
    }
  });

  test('columns reordered and a row a field too many: no order goes ahead without that row, and nothing shifted into Ordernummer is quoted', async () => {
    // Ordernummer last: after the extra field, the cell under Ordernummer is Orderdatum's, here a name.
    const reversed = (line: string) => line.split(';').reverse().join(';');
    const shifted = sopRow('SP-390', { Orderdatum: 'Tessan', Artikelnummer: 'TOWEL' }).split(';');
    shifted.splice(2, 0, 'extra');
    const content = [reversed(HEADER_LINE), reversed(sopRow('SP-390')), shifted.reverse().join(';'), reversed(sopRow('SP-391')), ''].join('\r\n');
    await drop(root, 'shifted.csv', content);
    let called = 0;
    const summary = await scanSopInbox(deps({ ingest: async () => { called++; throw new Error('must not be called'); } }));
    assert.deepEqual(summary.files.map((f) => [f.file, f.outcome, f.movedTo, f.errorsFile]), [['shifted.csv', 'rejected', 'rejected/shifted.csv', 'rejected/shifted.errors.csv']]);
    assert.equal(called, 0, 'SP-390 would have gone ahead without its TOWEL line');
    const errors = await readFile(join(root, 'rejected', 'shifted.errors.csv'), 'utf8');
    assert.match(errors, /;3;raden har 19 fält, rubrikraden har 18, och Ordernummer är inte första kolumnen/);
    const logged = JSON.stringify(events(p.lines, 'sop.file.rejected').filter((l) => l.file === 'shifted.csv'));
    for (const value of ['Tessan', 'Testsson', '19111111-1116', 'Testgatan', 'tessan@test.com', '073-123 45 67']) {
      assert.ok(!errors.includes(value), `the errors file quotes ${value}`);
      assert.ok(!logged.includes(value), `the log line quotes ${value}`);
    }
  });

  test('scanOnce creates the four folders when missing', async () => {
    await rm(root, { recursive: true, force: true });
    assert.deepEqual(await sopIngest().scanOnce(), { files: [] });
    for (const f of ['inbox', 'archive', 'rejected', 'outbox']) assert.ok((await stat(join(root, f))).isDirectory());
  });

  test('start(): the scan runs on its schedule (Stockholm cron, one run per tick)', async (t) => {
    const config = { ...p.services.config, portals: { sop: { ...p.services.config.portals.sop!, schedule: '* * * * * *' } } };
    const ingest = createSopIngest({ ...p.services, config });
    ingest.start();
    t.after(() => ingest.stop());
    await drop(root, 'scheduled.csv', sopFile([sopRow('SP-360')]));
    const deadline = Date.now() + 5_000;
    while (!(await tree(root)).includes(`archive/${today()}/scheduled.csv`)) {
      if (Date.now() > deadline) assert.fail('the scheduled scan did not archive the file');
      await new Promise((r) => setTimeout(r, 100));
    }
    await p.waitForState(key('SP-360'), 'confirmed');
  });
});
