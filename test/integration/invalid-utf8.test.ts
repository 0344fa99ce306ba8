import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAllPortals, sopInbox, type AllPortalsRig } from '../helpers/all-portals.js';
import { epassiPurchase, wellnetOrder } from '../ingest/pull/fixtures.js';
import { actiwayOrder, benifyOrder } from '../ingest/http/helpers.js';
import { contractExample } from '../ingest/file-drop/sop-fixtures.js';

/**
 * Invalid UTF-8 is refused by all five portals, with its place (line and byte), and nothing is
 * stored: no U+FFFD ever reaches an order. The byte is 0xFF in the middle of "Tessan", as the
 * portals' broken exports send it.
 */

const FF = Buffer.from([0xff]);

/** `text` as bytes with 0xFF after the first "Tes" of "Tessan"; returns the bytes and where the 0xFF is. */
function broken(text: string): { bytes: Buffer; byte: number; line: number } {
  const at = text.indexOf('Tessan') + 3;
  assert.ok(at > 2, 'the payload holds Tessan');
  const head = Buffer.from(text.slice(0, at), 'utf8');
  return { bytes: Buffer.concat([head, FF, Buffer.from(text.slice(at), 'utf8')]), byte: head.length, line: text.slice(0, at).split(/\r\n|\r|\n/).length };
}

let rig: AllPortalsRig;
before(async () => { rig = await startAllPortals(); });
after(async () => rig?.close());

describe('invalid UTF-8 is refused in every portal, with its place', () => {
  test('Benify push → 400 at "" naming line and byte; nothing stored', async () => {
    const { bytes, byte, line } = broken(JSON.stringify(benifyOrder('BNF-U8-1'), null, 2));
    const r = await rig.sendBenify(bytes);
    assert.equal(r.status, 400);
    assert.deepEqual(JSON.parse(r.text), { status: 'invalid', errors: [{ path: '', message: `the body is not valid UTF-8 (line ${line}, byte ${byte})` }] });
    assert.ok(line > 1 && byte > 100);
    assert.equal(await rig.p.services.ledger.keyForPortalOrder('benify', 'BNF-U8-1'), undefined);
  });

  test('Actiway push → 400 at "/" naming line and byte; nothing stored', async () => {
    const { bytes, byte, line } = broken(actiwayOrder('AW-U8-1'));
    const r = await rig.sendActiway(bytes);
    assert.equal(r.status, 400);
    assert.equal(r.text, `<ActiwayReceipt status="rejected"><Error path="/">the document is not valid UTF-8 (line ${line}, byte ${byte})</Error></ActiwayReceipt>`);
    assert.equal(await rig.p.services.ledger.keyForPortalOrder('actiway', 'AW-U8-1'), undefined);
  });

  test('S&P file → the whole file rejected, the errors file and the log name the line and byte; nothing stored', async () => {
    const { bytes, byte, line } = broken(contractExample('SP-U8-1', 'SP-U8-2'));
    const { summary, errorsFile } = await rig.sendSop('broken.csv', bytes);
    assert.equal(summary.outcome, 'rejected');
    assert.equal(line, 2);
    assert.match(errorsFile ?? '', new RegExp(`;${line};filen är inte UTF-8 \\(rad ${line}, byte ${byte}\\)\\r\\n$`));
    assert.deepEqual(await sopInbox(rig), []);
    for (const nr of ['SP-U8-1', 'SP-U8-2']) assert.equal(await rig.p.services.ledger.keyForPortalOrder('sop', nr), undefined);
  });

  // A page that is not UTF-8 cannot be read at all: like any unusable answer the poll backs off
  // (the Wellnet cursor stays where it was), and the next good page is read as it is.
  test('Wellnet page → the poll backs off, nothing stored, the cursor stays; the next good page is taken', async () => {
    rig.wellnet.addOrders(wellnetOrder('WN-U8-1', 1));
    rig.wellnet.failNext(1, 'invalid-utf8', 'poll');
    const cursorBefore = await rig.p.services.ledger.cursor('wellnet');
    const bad = await rig.pull.pollOnce('wellnet');
    assert.equal(bad.outcome, 'backoff');
    assert.match(bad.error ?? '', /^wellnet poll: HTTP 200 with a page that cannot be read: the body is not valid UTF-8 \(line 1, byte \d+\)$/);
    assert.equal(bad.orders, 0);
    assert.equal(await rig.p.services.ledger.keyForPortalOrder('wellnet', 'WN-U8-1'), undefined);
    assert.equal(await rig.p.services.ledger.cursor('wellnet'), cursorBefore);

    const good = await rig.pull.pollOnce('wellnet');
    assert.deepEqual([good.outcome, good.accepted], ['ok', 1]);
    await rig.p.waitForState('t1:wellnet:WN-U8-1', 'confirmed');
  });

  test('Epassi page → the poll backs off, nothing stored; the next good page is taken', async () => {
    rig.epassi.addPurchases(epassiPurchase('EP-U8-1'));
    rig.epassi.failNext(1, 'invalid-utf8', 'poll');
    const bad = await rig.pull.pollOnce('epassi');
    assert.equal(bad.outcome, 'backoff');
    assert.match(bad.error ?? '', /^epassi poll: HTTP 200 with a page that cannot be read: the body is not valid UTF-8 \(line 1, byte \d+\)$/);
    assert.equal(await rig.p.services.ledger.keyForPortalOrder('epassi', 'EP-U8-1'), undefined);

    const good = await rig.pull.pollOnce('epassi');
    assert.deepEqual([good.outcome, good.accepted], ['ok', 1]);
    await rig.p.waitForState('t1:epassi:EP-U8-1', 'confirmed');
  });
});
