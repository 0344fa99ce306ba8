import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPortalPayload } from '../../src/admin/render-portal-payload.js';
import type { Portal } from '../../src/domain/canonical-order.js';
import { SOP_HEADER } from '../../src/portals/sop.js';
import { startAllPortals, type AllPortalsRig } from '../helpers/all-portals.js';
import { actiwayOrder, benifyOrder } from '../ingest/http/helpers.js';
import { sopFile, sopRow } from '../ingest/file-drop/sop-fixtures.js';

/**
 * The three payloads the issue found where `render` and intake disagreed, each fed to both: the
 * verdicts (and the messages) are now the same, because both read the payload with
 * readPortalPayload. The generated corpus is in fuzz/properties/render-agrees-with-ingest.
 */

let rig: AllPortalsRig;
before(async () => { rig = await startAllPortals(); });
after(async () => rig?.close());

const render = (portal: Portal, bytes: Uint8Array) => renderPortalPayload(rig.p.services.config, rig.p.services.documents, portal, bytes);

describe('render and intake agree on the payloads they used to disagree on', () => {
  test('S&P: a row with an extra field and a row with a missing field are refused by both, with the same message', async () => {
    const rows = [sopRow('SP-RA-1', { 'Anläggning': 'odenplan' }), `${sopRow('SP-RA-2')};`, sopRow('SP-RA-3').replace(/;Nej$/, ''), sopRow('SP-RA-4')];
    const bytes = Buffer.from(sopFile(rows));
    const rendered = render('sop', bytes);
    assert.deepEqual(rendered.orders.map((o) => o.key), ['t1:sop:SP-RA-1', 't1:sop:SP-RA-4']);
    assert.deepEqual(rendered.problems, [
      { order: 'SP-RA-2', errors: [{ path: '3', message: `raden har ${SOP_HEADER.length + 1} fält, rubrikraden har ${SOP_HEADER.length}` }] },
      { order: 'SP-RA-3', errors: [{ path: '4', message: `raden har ${SOP_HEADER.length - 1} fält, rubrikraden har ${SOP_HEADER.length}` }] },
    ]);

    const { summary, errorsFile } = await rig.sendSop('agree.csv', bytes);
    assert.deepEqual([summary.accepted, summary.rejected], [2, 2]);
    const blank = SOP_HEADER.slice(1).map(() => '').join(';');
    assert.match(errorsFile ?? '', new RegExp(`\\r\\nSP-RA-2;${blank};3;raden har 19 fält, rubrikraden har 18\\r\\nSP-RA-3;${blank};4;raden har 17 fält, rubrikraden har 18\\r\\n$`));
  });

  test('Benify: a body that starts with a byte-order mark renders, and is accepted', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(benifyOrder('BNF-RA-BOM')))]);
    const rendered = render('benify', bytes);
    assert.deepEqual([rendered.ok, rendered.orders.map((o) => o.key)], [true, ['t1:benify:BNF-RA-BOM']]);
    const r = await rig.sendBenify(bytes);
    assert.equal(r.status, 202);
  });

  test('Actiway: XML with invalid UTF-8 is refused by both, with the same message', async () => {
    const xml = actiwayOrder('AW-RA-U8');
    const at = xml.indexOf('Tessan') + 3;
    const bytes = Buffer.concat([Buffer.from(xml.slice(0, at)), Buffer.from([0xff]), Buffer.from(xml.slice(at))]);
    const rendered = render('actiway', bytes);
    assert.equal(rendered.ok, false);
    assert.equal(rendered.problems.length, 1);
    const [problem] = rendered.problems;
    assert.equal(problem!.order, '(file)');
    const r = await rig.sendActiway(bytes);
    assert.equal(r.status, 400);
    assert.equal(r.text, `<ActiwayReceipt status="rejected"><Error path="/">${problem!.errors[0]!.message}</Error></ActiwayReceipt>`);
    assert.match(problem!.errors[0]!.message, /^the document is not valid UTF-8 \(line 5, byte \d+\)$/);
  });
});
