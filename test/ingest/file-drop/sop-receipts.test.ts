import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stockholmDateOf } from '../../../src/domain/stockholm-date.js';
import { processSopFile, type SopFileDropDeps } from '../../../src/ingest/file-drop/sop-file-drop.js';
import { createSopIngest } from '../../../src/ingest/file-drop/sop-ingest.js';
import { writeSopReceipts } from '../../../src/ingest/file-drop/sop-receipts.js';
import { sampleOrderInput } from '../../../support/orders.js';
import { startPipeline, type Pipeline } from '../../../support/pipeline.js';
import { drop, resetRoot, sopExtra, sopFile, sopRow, tempRoot } from './sop-fixtures.js';

const VENUE_REASON = 'unknown venue at 2:Anläggning (not in portals.sop.venues)';

/**
 * Receipts from the real ledger: orders go in through the file drop and reach their outcome at
 * the BRP simulator (confirmed, rejected) or at routing (unroutable).
 */

let root: string;
let p: Pipeline;

before(async () => {
  root = await tempRoot('sop-receipts');
  await resetRoot(root);
  p = await startPipeline({ extra: sopExtra(root) });
});
after(async () => {
  await p.close();
  await rm(root, { recursive: true, force: true });
});

const HEADER = 'Ordernummer;Status;BRP-ordernummer;Fakturanummer;OCR;Belopp;Meddelande';

function deps(now?: Date): SopFileDropDeps {
  return { root, intake: p.services.portalIntake, logger: p.services.logger, ...(now ? { now: () => now } : {}) };
}

async function dropAndProcess(name: string, rows: string[], now?: Date) {
  await drop(root, name, sopFile(rows));
  return processSopFile(deps(now), name);
}

describe('S&P receipts', { concurrency: false }, () => {
  test("a day with confirmed, rejected and unroutable orders: exact file, in the order of outcomes, S&P's only", async () => {
    const day = stockholmDateOf(new Date());
    await dropAndProcess('r1.csv', [sopRow('SP-400'), sopRow('SP-400', { Artikelnummer: 'TOWEL', 'Belopp inkl moms': '10,00 kr' })]);
    const confirmed = await p.waitForState('t1:sop:SP-400', 'confirmed');
    // Another portal's order the same day is not S&P's business.
    const benify = await p.services.intake.accept(sampleOrderInput('B-400'));
    assert.equal(benify.status, 'accepted');
    await p.waitForState((benify as { key: string }).key, 'confirmed');
    // BAR maps to product 9999, which BRP does not know: BRP rejects the order.
    await dropAndProcess('r2.csv', [sopRow('SP-401', { Artikelnummer: 'BAR', 'Belopp inkl moms': '25,00' }), sopRow('SP-401', { 'Belopp inkl moms': '100,00' })]);
    const rejected = await p.waitForState('t1:sop:SP-401', 'rejected');
    assert.equal(rejected.brpError?.errors[0]?.message, 'Unknown product');
    const r3 = await dropAndProcess('r3.csv', [sopRow('SP-402', { 'Anläggning': 'okand', 'Belopp inkl moms': '1\u00A0234,50' }), sopRow('SP-402', { 'Anläggning': 'okand', 'Belopp inkl moms': '0,50' })]);
    assert.equal(r3.unroutable, 1);

    const path = await writeSopReceipts(p.services, day);
    assert.equal(path, join(root, 'outbox', `receipts-${day}.csv`));
    const expected = [
      HEADER,
      `SP-400;levererad;${confirmed.brpOrderNumber};${confirmed.invoiceNumber};${confirmed.ocr};2 510,00;`,
      'SP-401;avvisad;;;;125,00;Unknown product',
      `SP-402;avvisad;;;;1 235,00;${VENUE_REASON}`,
      '',
    ].join('\r\n');
    const [sim] = p.sim.orders({ ordernr: 'SP-400' });
    assert.deepEqual([confirmed.brpOrderNumber, confirmed.invoiceNumber, confirmed.ocr], [String(sim!.brpOrderNumber), String(sim!.invoiceNumber), String(sim!.ocr)]);
    assert.equal(await readFile(path, 'utf8'), expected);

    // Again: the same content, written by rename (a new file, not the old one rewritten), no temporary file left.
    const before = await stat(path);
    const reader = await open(path, 'r');
    try {
      const again = await writeSopReceipts(p.services, day);
      assert.equal(again, path);
      assert.equal(await readFile(path, 'utf8'), expected);
      assert.notEqual((await stat(path)).ino, before.ino, 'replaced by rename, not written in place');
      assert.equal((await reader.readFile('utf8')), expected, 'a reader of the old file still sees a whole file');
    } finally {
      await reader.close();
    }
    assert.deepEqual(await readdir(join(root, 'outbox')), [`receipts-${day}.csv`]);
  });

  test('the Stockholm day is local midnight to midnight, DST included (2026-10-25 has 25 hours)', async () => {
    // Unroutable orders take their outcome time from the intake's clock: put them around the day's edges.
    const at = {
      'SP-410': '2026-10-24T21:59:59.999Z', // 23:59:59 CEST on the 24th
      'SP-411': '2026-10-24T22:00:00.000Z', // 00:00 CEST on the 25th
      'SP-412': '2026-10-25T22:59:59.999Z', // 23:59:59 CET on the 25th (after the clocks went back)
      'SP-413': '2026-10-25T23:00:00.000Z', // 00:00 CET on the 26th
    };
    for (const [nr, iso] of Object.entries(at)) {
      const r = await dropAndProcess(`${nr}.csv`, [sopRow(nr, { 'Anläggning': 'stangd', 'Belopp inkl moms': '99,00' })], new Date(iso));
      assert.equal(r.unroutable, 1);
    }
    const path = await writeSopReceipts(p.services, '2026-10-25');
    assert.equal(
      await readFile(path, 'utf8'),
      `${HEADER}\r\nSP-411;avvisad;;;;99,00;${VENUE_REASON}\r\nSP-412;avvisad;;;;99,00;${VENUE_REASON}\r\n`,
    );
    // The daily run's default day is yesterday in Stockholm.
    const ingest = createSopIngest(p.services, { now: () => new Date('2026-10-26T05:00:00Z') });
    assert.equal(await ingest.writeReceipts(), join(root, 'outbox', 'receipts-2026-10-25.csv'));
    assert.equal(await ingest.writeReceipts('2026-10-26'), join(root, 'outbox', 'receipts-2026-10-26.csv'));
    assert.equal(
      await readFile(join(root, 'outbox', 'receipts-2026-10-26.csv'), 'utf8'),
      `${HEADER}\r\nSP-413;avvisad;;;;99,00;${VENUE_REASON}\r\n`,
    );
  });

  test('a day without outcomes still gets its file (the header only)', async () => {
    const path = await writeSopReceipts(p.services, '2020-01-01');
    assert.equal(await readFile(path, 'utf8'), `${HEADER}\r\n`);
  });

  test('start(): the receipts run on receiptsSchedule and report yesterday', async (t) => {
    const config = { ...p.services.config, portals: { sop: { ...p.services.config.portals.sop!, schedule: '0 0 1 1 *', receiptsSchedule: '* * * * * *' } } };
    const ingest = createSopIngest({ ...p.services, config }, { now: () => new Date('2020-01-02T12:00:00Z') });
    await rm(join(root, 'outbox', 'receipts-2020-01-01.csv'), { force: true });
    ingest.start();
    t.after(() => ingest.stop());
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = await stat(join(root, 'outbox', 'receipts-2020-01-01.csv')).then(() => true, () => false);
      if (found) break;
      if (Date.now() > deadline) assert.fail('the scheduled receipts were not written');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
